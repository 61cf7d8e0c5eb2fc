/**
 * A Bash command line read with a real parser (tree-sitter-bash, the grammar Claude Code itself
 * parses Bash with) into the simple commands it runs, each as the words the program will get
 * (quotes removed, escapes applied). Anything whose words cannot be known without running
 * something (substitutions, expansions, globs, assignments, heredocs, redirections other than
 * to /dev/null or between stdout and stderr, subshells, functions, control flow, background
 * jobs) or that the grammar does not accept makes the whole line unprovable: a question.
 *
 * The parser is loaded once (WebAssembly, at import); parsing is synchronous after that.
 */
import { createRequire } from 'node:module';
import { Language, Parser, type Node } from 'web-tree-sitter';

const require = createRequire(import.meta.url);
await Parser.init();
const parser = new Parser();
parser.setLanguage(await Language.load(require.resolve('tree-sitter-bash/tree-sitter-bash.wasm')));

/** One simple command: its words after quote removal (the first is the program). */
export type SimpleCommand = string[];

export type ShellReading = { ok: true; commands: SimpleCommand[] } | { ok: false; why: string };

class Unprovable extends Error {}

/** Printable ASCII, tab and newline: anything else (a carriage return, NUL, a look-alike space) may split words differently. */
const PLAIN_TEXT = /^[\x20-\x7e\t\n]*$/;
/** Separators between the simple commands of a line that run each of them as written. */
const SEPARATORS = new Set([';', '&&', '||', '|', '\n']);

/**
 * The simple commands of `line`, or why they cannot be known without running it.
 * `home` expands a leading `~` (the only expansion whose result is certain).
 */
export function readCommandLine(line: string, home: string): ShellReading {
  if (!line.trim()) return { ok: false, why: 'an empty command' };
  if (!PLAIN_TEXT.test(line)) return { ok: false, why: 'control or non-ASCII characters' };
  const tree = parser.parse(line);
  if (!tree) return { ok: false, why: 'the parser gave up' };
  try {
    const root = tree.rootNode;
    if (root.hasError) throw new Unprovable('not valid Bash syntax');
    coversEverything(root, line);
    const commands: SimpleCommand[] = [];
    statements(root, home, commands);
    return commands.length ? { ok: true, commands } : { ok: false, why: 'no command' };
  } catch (err) {
    if (err instanceof Unprovable) return { ok: false, why: err.message };
    throw err;
  } finally {
    tree.delete();
  }
}

/** Every character belongs to a token the walk reads: between tokens there is only blank space. */
function coversEverything(root: Node, line: string): void {
  let at = 0;
  const visit = (node: Node): void => {
    if (node.childCount === 0) {
      const gap = line.slice(at, node.startIndex);
      if (!/^[ \t\n]*$/.test(gap)) throw new Unprovable(`text the parser skipped: ${JSON.stringify(gap)}`);
      at = Math.max(at, node.endIndex);
      return;
    }
    for (const child of node.children) visit(child);
  };
  visit(root);
  if (!/^[ \t\n]*$/.test(line.slice(at))) throw new Unprovable('text after the last command');
}

function statements(node: Node, home: string, out: SimpleCommand[]): void {
  for (const child of node.children) {
    if (child.isNamed) statement(child, home, out);
    else if (!SEPARATORS.has(child.type)) throw new Unprovable(`the operator ${JSON.stringify(child.type)}`);
  }
}

function statement(node: Node, home: string, out: SimpleCommand[]): void {
  switch (node.type) {
    case 'command':
      out.push(simpleCommand(node, home));
      return;
    case 'pipeline':
    case 'list':
      statements(node, home, out);
      return;
    case 'redirected_statement': {
      const [body, ...redirects] = node.namedChildren;
      for (const r of redirects) if (r) harmlessRedirect(r);
      if (!body) throw new Unprovable('a redirection without a command');
      statement(body, home, out);
      return;
    }
    default:
      throw new Unprovable(describe(node.type));
  }
}

function simpleCommand(node: Node, home: string): SimpleCommand {
  const words: string[] = [];
  for (const child of node.namedChildren) {
    if (child.type === 'file_redirect') harmlessRedirect(child);
    else if (child.type === 'command_name') words.push(literal(child.namedChildren[0], home));
    else words.push(literal(child, home));
  }
  if (words.length === 0 || node.namedChildren[0]?.type === 'variable_assignment') throw new Unprovable('a variable assignment');
  return words;
}

/** `2>&1`, `>&2`, `>/dev/null`, `2>/dev/null`, `&>/dev/null`: nothing is written or read. */
function harmlessRedirect(node: Node): void {
  if (node.type !== 'file_redirect') throw new Unprovable(describe(node.type));
  const op = node.children.find((c) => !c.isNamed)?.type ?? '';
  const target = node.namedChildren.filter((c) => c.type !== 'file_descriptor');
  const to = target.length === 1 ? target[0]!.text : '';
  if ((op === '>&' && /^[12]$/.test(to)) || (['>', '&>', '>>', '&>>'].includes(op) && to === '/dev/null')) return;
  throw new Unprovable('a redirection');
}

/** The word a node stands for, or Unprovable when it depends on anything but its own text. */
function literal(node: Node | null | undefined, home: string): string {
  if (!node) throw new Unprovable('a missing word');
  switch (node.type) {
    case 'word':
      return unquotedWord(node.text, home);
    case 'number':
      if (!/^-?\d+$/.test(node.text)) throw new Unprovable(`the number ${node.text}`);
      return node.text;
    case 'raw_string':
      return node.text.slice(1, -1);
    case 'string':
      return node.children
        .map((c) => {
          if (c.type === '"') return '';
          if (c.type === 'string_content') {
            // Bash deletes a backslash-newline inside "..." (a line continuation): never guess at it.
            if (c.text.includes('\\\n')) throw new Unprovable('a line continuation inside a quoted string');
            return c.text.replace(/\\([$`"\\])/g, '$1');
          }
          throw new Unprovable(describe(c.type));
        })
        .join('');
    case 'concatenation':
      return node.children.map((c, i) => (i === 0 ? literal(c, home) : literal(c, '\0'))).join('');
    default:
      throw new Unprovable(describe(node.type));
  }
}

/** An unquoted word: escapes applied; globs, braces, `$` and `~user` are not literal. */
function unquotedWord(text: string, home: string): string {
  let out = '';
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (c === '\\') {
      const next = text[i + 1];
      if (next === undefined || next === '\n') throw new Unprovable('a line continuation');
      out += next;
      i += 1;
    } else if ('*?[]{}$`()<>|&;!'.includes(c)) {
      throw new Unprovable(`the unquoted ${JSON.stringify(c)} in ${JSON.stringify(text)} (a glob or an expansion)`);
    } else if (c === '~' && i === 0) {
      const rest = text.slice(1);
      if (home === '\0' || !(rest === '' || rest.startsWith('/'))) throw new Unprovable(`the tilde in ${JSON.stringify(text)}`);
      out += home;
    } else {
      out += c;
    }
  }
  return out;
}

const KINDS: Record<string, string> = {
  command_substitution: 'a command substitution',
  process_substitution: 'a process substitution',
  simple_expansion: 'a variable',
  expansion: 'a parameter expansion',
  arithmetic_expansion: 'an arithmetic expansion',
  ansi_c_string: "an ANSI-C quoted string ($'...')",
  translated_string: 'a translated string ($"...")',
  heredoc_redirect: 'a here-document',
  herestring_redirect: 'a here-string',
  subshell: 'a subshell',
  compound_statement: 'a command group',
  function_definition: 'a function definition',
  variable_assignment: 'a variable assignment',
  declaration_command: 'a declaration (export, local...)',
  negated_command: 'a negated command',
  test_command: 'a test expression',
  comment: 'a comment',
  brace_expression: 'a brace expansion',
};

function describe(type: string): string {
  return KINDS[type] ?? `shell syntax (${type})`;
}
