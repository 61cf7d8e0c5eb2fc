/**
 * Positive option lists for the read-only commands the agent may run unasked: an option that is
 * not listed (after quote removal: `"-K"` is `-K`) makes the command a question. Nothing listed
 * here writes a file, kills, signals, reaches another host or runs forever (no `tail -f`,
 * `free -s`, `journalctl -f`, `ss -E`, `lsof -r`, `netstat -c`).
 */

export interface OptionSpec {
  /** Single-letter options, alone or clustered (`-la`). */
  flags?: string;
  /** Single-letter options that take a value, attached (`-n5`) or as the next word. */
  valued?: string;
  /** Single-letter options whose value is optional: only attached (`-n5`); alone (`-n -f`) they take none. */
  optional?: string;
  /** Long options; a trailing `=` means it takes a value (`--lines=5` or `--lines 5`). */
  long?: readonly string[];
  /** Option clusters without a dash (BSD `ps aux`): the letters allowed. */
  bare?: string;
  /** `-20` (head, tail). */
  digits?: boolean;
  /** No operands at all. */
  noOperands?: boolean;
  /** A check of the whole argument list (after the prefix): why it is not read-only, or null. */
  check?: (args: string[]) => string | null;
}

const HEAD_TAIL: OptionSpec = {
  flags: 'qvz',
  valued: 'nc',
  digits: true,
  long: ['--lines=', '--bytes=', '--quiet', '--silent', '--verbose', '--zero-terminated'],
};

/** Options of the default read-only commands (keys are AGENT_AUTO_ALLOW prefixes). */
export const OPTION_SPECS: Readonly<Record<string, OptionSpec>> = {
  cat: { flags: 'nbAeEstTvu', long: ['--number', '--number-nonblank', '--show-all', '--show-ends', '--show-tabs', '--squeeze-blank', '--show-nonprinting'] },
  head: HEAD_TAIL,
  tail: HEAD_TAIL,
  ls: {
    flags: 'aAbBcCdfFgGhHiklLmnNopqQrRsStuUvxXZ1',
    valued: 'ITw',
    long: ['--all', '--almost-all', '--human-readable', '--si', '--color', '--color=', '--full-time', '--time-style=', '--sort=', '--time=',
      '--group-directories-first', '--inode', '--recursive', '--reverse', '--size', '--classify', '--dereference', '--directory',
      '--numeric-uid-gid', '--no-group', '--literal', '--quoting-style=', '--ignore=', '--width='],
  },
  stat: { flags: 'LftZ', valued: 'c', long: ['--format=', '--printf=', '--dereference', '--file-system', '--terse'] },
  file: { flags: 'bhiLNkrzZ0', valued: 'eF', long: ['--brief', '--mime', '--mime-type', '--mime-encoding', '--dereference', '--no-dereference', '--keep-going', '--uncompress', '--raw', '--no-pad', '--print0'] },
  wc: { flags: 'clmwL', long: ['--bytes', '--chars', '--lines', '--words', '--max-line-length', '--total='] },
  grep: {
    flags: 'rRiyEFGPwvxnclLhHoqsIaTZzUb',
    valued: 'efmABCd',
    long: ['--recursive', '--dereference-recursive', '--ignore-case', '--no-ignore-case', '--extended-regexp', '--fixed-strings', '--basic-regexp',
      '--perl-regexp', '--word-regexp', '--line-regexp', '--invert-match', '--line-number', '--count', '--files-with-matches',
      '--files-without-match', '--with-filename', '--no-filename', '--only-matching', '--quiet', '--silent', '--no-messages', '--text',
      '--null', '--null-data', '--byte-offset', '--initial-tab', '--color', '--colour', '--color=', '--colour=', '--include=', '--exclude=',
      '--exclude-dir=', '--max-count=', '--after-context=', '--before-context=', '--context=', '--regexp=', '--file=', '--binary-files=',
      '--directories=', '--label='],
    check: grepDirectories,
  },
  pwd: { flags: 'LP', noOperands: true },
  whoami: { noOperands: true },
  id: { flags: 'ugGnrzZ' },
  uptime: { flags: 'ps', long: ['--pretty', '--since'], noOperands: true },
  df: { flags: 'ahHiklPT', valued: 'tx', long: ['--human-readable', '--si', '--inodes', '--local', '--portability', '--print-type', '--all', '--total', '--output', '--output=', '--type=', '--exclude-type=', '--block-size='] },
  du: {
    flags: 'achklmsSxbDHLP0',
    valued: 'dBt',
    long: ['--max-depth=', '--summarize', '--human-readable', '--apparent-size', '--all', '--total', '--one-file-system', '--bytes', '--si', '--exclude=', '--threshold=', '--block-size=', '--dereference', '--count-links'],
  },
  free: { flags: 'bkmghltwv', long: ['--bytes', '--kilo', '--mega', '--giga', '--tera', '--kibi', '--mebi', '--gibi', '--tebi', '--human', '--si', '--lohi', '--total', '--wide', '--committed'], noOperands: true },
  // BSD `e` (the environment of every process) is not among the bare letters; UNIX `-e` means every process.
  ps: {
    flags: 'AadefFHjlLMNTwxyc',
    valued: 'oOpCuUgGtqk',
    bare: 'acfhjlmnrsuvwxSTHX',
    long: ['--forest', '--sort=', '--format=', '--pid=', '--ppid=', '--user=', '--no-headers', '--headers', '--cols=', '--columns=', '--width=', '--cumulative', '--deselect'],
  },
  pgrep: {
    flags: 'lafxnovicAw',
    valued: 'uUPgGstF',
    long: ['--list-name', '--list-full', '--full', '--newest', '--oldest', '--count', '--exact', '--ignore-case', '--inverse', '--euid=', '--uid=', '--parent=', '--pgroup=', '--group=', '--session=', '--terminal=', '--pidfile=', '--older=', '--runstates='],
  },
  lsof: { check: lsofArgs },
  ss: {
    flags: 'hnalmpioetuwx046sZzHOb',
    valued: 'Af',
    long: ['--numeric', '--all', '--listening', '--memory', '--processes', '--info', '--options', '--extended', '--tcp', '--udp', '--raw', '--unix', '--summary', '--ipv4', '--ipv6', '--packet', '--oneline', '--no-header', '--query=', '--family=', '--context', '--contexts'],
  },
  netstat: {
    check: (args) => (args.some((a) => /^-[A-Za-z0-9]*n/.test(a) || a === '--numeric') ? null : 'needs -n (without it, it looks up every address in DNS)'),
    flags: 'tulpanrigsWewx46vo',
    long: ['--tcp', '--udp', '--listening', '--program', '--all', '--numeric', '--route', '--interfaces', '--groups', '--statistics', '--wide', '--extend', '--verbose', '--unix', '--raw', '--timers', '--numeric-hosts', '--numeric-ports', '--numeric-users'],
  },
  which: { flags: 'as' },
  jq: { check: jqArgs },
  journalctl: {
    flags: 'abeqkrxm',
    valued: 'uptogSU',
    optional: 'n',
    long: ['--unit=', '--user-unit=', '--user', '--system', '--lines', '--lines=', '--since=', '--until=', '--boot', '--boot=', '--priority=', '--identifier=',
      '--output=', '--grep=', '--case-sensitive', '--case-sensitive=', '--no-pager', '--no-hostname', '--reverse', '--quiet', '--catalog', '--all',
      '--full', '--no-full', '--merge', '--dmesg', '--utc', '--output-fields=', '--list-boots', '--disk-usage', '--facility=', '--pager-end', '--no-tail'],
  },
  'systemctl status': { flags: 'laq', valued: 'no', long: ['--user', '--system', '--no-pager', '--full', '--all', '--lines=', '--output=', '--no-legend', '--plain', '--quiet'] },
  'systemctl --user status': { flags: 'laq', valued: 'no', long: ['--no-pager', '--full', '--all', '--lines=', '--output=', '--no-legend', '--plain', '--quiet'] },
  'systemctl is-active': { flags: 'q', long: ['--user', '--system', '--quiet'] },
  'systemctl --user is-active': { flags: 'q', long: ['--quiet'] },
  'launchctl list': {},
  'openclaw config validate': { long: ['--json'], noOperands: true },
  'openclaw config get': { long: ['--json'], check: openclawKey },
  'openclaw status': { long: ['--json'], noOperands: true },
  'openclaw health': { long: ['--json'], noOperands: true },
  'openclaw --version': { noOperands: true },
  'npm ls': { flags: 'aglp', long: ['--all', '--json', '--parseable', '--long', '--global', '--depth=', '--omit=', '--include=', '--link', '--production', '--prod', '--dev', '--unicode', '--package-lock-only'] },
  'node --version': { noOperands: true },
  // Not a default, known so that an operator who adds it gets a reader, not a deleter.
  find: { check: findArgs },
};

/** Why `args` are not within `spec`, or null. */
export function optionProblem(prefix: string, spec: OptionSpec, args: string[]): string | null {
  if (spec.check) {
    const why = spec.check(args);
    if (why) return `${prefix}: ${why}`;
  }
  if (!spec.flags && !spec.valued && !spec.long && !spec.bare && spec.check) return null;
  const long = new Set(spec.long ?? []);
  let operandsOnly = false;
  for (let i = 0; i < args.length; i += 1) {
    const w = args[i]!;
    if (operandsOnly || w === '-' || !w.startsWith('-')) {
      if (spec.bare && !w.startsWith('-')) {
        if (![...w].every((c) => spec.bare!.includes(c))) return `${prefix}: the option ${JSON.stringify(w)} is not on its read-only list`;
        continue;
      }
      if (spec.noOperands) return `${prefix} takes no operands here (${JSON.stringify(w)})`;
      continue;
    }
    if (w === '--') {
      operandsOnly = true;
      continue;
    }
    if (w.startsWith('--')) {
      const [name, value] = [w.split('=')[0]!, w.includes('=')];
      if (long.has(`${name}=`)) {
        if (!value && !long.has(name)) {
          if (i + 1 >= args.length) return `${prefix}: ${name} needs a value`;
          i += 1;
        }
        continue;
      }
      if (long.has(name) && !value) continue;
      return `${prefix}: the option ${JSON.stringify(w)} is not on its read-only list`;
    }
    if (spec.digits && /^-\d+$/.test(w)) continue;
    for (let j = 1; j < w.length; j += 1) {
      const c = w[j]!;
      if (spec.flags?.includes(c)) continue;
      if (spec.optional?.includes(c)) break;
      if (spec.valued?.includes(c)) {
        if (j === w.length - 1) {
          if (i + 1 >= args.length) return `${prefix}: -${c} needs a value`;
          i += 1;
        }
        break;
      }
      return `${prefix}: the option -${c} (in ${JSON.stringify(w)}) is not on its read-only list`;
    }
  }
  return null;
}

/** lsof: listing only; never `-r`/`+r` (repeat forever). */
function lsofArgs(args: string[]): string | null {
  const spec: OptionSpec = { flags: 'nPtalwbRUNVXhoKQLxM', valued: 'pcudkD', optional: 'sFTg' };
  if (!args.some((a) => /^-[nPtalwbRUNVXhoKQLxM]*n[nPtalwbRUNVXhoKQLxM]*$/.test(a))) return 'needs -n (without it, it looks up every address in DNS)';
  for (let i = 0; i < args.length; i += 1) {
    const w = args[i]!;
    if (w.startsWith('-i')) {
      if (w === '-i' && args[i + 1] !== undefined && /^(\d|tcp|udp|:|@|\[|[46])/i.test(args[i + 1]!)) i += 1;
      continue;
    }
    if (w === '+D' || w === '+d') {
      i += 1;
      continue;
    }
    if (w.startsWith('+')) return `the option ${JSON.stringify(w)} is not on its read-only list`;
    if (w.startsWith('-')) {
      const valued = w.length === 2 && spec.valued!.includes(w[1]!);
      const why = optionProblem('lsof', spec, valued ? [w, args[i + 1] ?? ''] : [w]);
      if (why) return why.replace(/^lsof: /, '');
      if (valued) i += 1;
    }
  }
  return null;
}

/** grep -d/--directories: `read` or `skip` only (`recurse` reads whole trees). */
function grepDirectories(args: string[]): string | null {
  for (let i = 0; i < args.length; i += 1) {
    const w = args[i]!;
    if (w === '--') break;
    let value: string | undefined;
    if (w === '--directories') value = args[i + 1];
    else if (w.startsWith('--directories=')) value = w.slice('--directories='.length);
    else if (/^-[^-]/.test(w)) {
      for (let j = 1; j < w.length; j += 1) {
        if (!'efmABCd'.includes(w[j]!)) continue;
        if (w[j] === 'd') value = j === w.length - 1 ? args[i + 1] : w.slice(j + 1);
        else if (j === w.length - 1) i += 1; // the next word is that option's value
        break;
      }
    }
    if (value !== undefined && value !== 'read' && value !== 'skip') return `-d/--directories ${JSON.stringify(value)} (only read or skip)`;
  }
  return null;
}

/**
 * jq: only a path filter (`.`, `.gateway.port`, `.a[0].b`). jq is a full language: a filter may
 * read the environment (`$ENV`, `env`, in any spacing), load code or never end (`repeat(1)`),
 * and no check of its text proves otherwise; anything else is asked.
 */
const JQ_PATH = /^\.$|^(?=\.)(\.[A-Za-z_][A-Za-z0-9_]*|\.?\[\d+\]|\.?\[\])+$/;

function jqArgs(args: string[]): string | null {
  const spec: OptionSpec = { flags: 'rcsSjaeCMnR', long: ['--raw-input', '--raw-output', '--compact-output', '--slurp', '--sort-keys', '--join-output', '--ascii-output', '--exit-status', '--null-input', '--tab', '--indent=', '--color-output', '--monochrome-output'] };
  const why = optionProblem('jq', spec, args);
  if (why) return why.replace(/^jq: /, '');
  let filter: string | undefined;
  for (let i = 0; i < args.length && filter === undefined; i += 1) {
    const w = args[i]!;
    if (w === '--indent') i += 1;
    else if (w === '--' || !w.startsWith('-')) filter = w === '--' ? args[i + 1] : w;
  }
  if (filter !== undefined && !JQ_PATH.test(filter)) return `the filter ${JSON.stringify(filter)} is not a plain path (.a.b): any other filter may be one that reads the environment, loads code or never ends`;
  return null;
}

/** A key name that may hold a credential. */
export const SECRET_KEY = /token|secret|passw|key|auth|credential|cookie|webhook|header|bearer|private|cert|session|env/i;

/** openclaw config get: one leaf key, at least two levels deep, none of its parts secret-looking. */
function openclawKey(args: string[]): string | null {
  const keys = args.filter((a) => !a.startsWith('-'));
  if (keys.length !== 1) return 'needs exactly one key (a whole section may hold secrets)';
  const key = keys[0]!;
  const parts = key.split('.');
  if (!/^[A-Za-z0-9_.[\]-]+$/.test(key) || parts.length < 2) return `the key ${JSON.stringify(key)} is a whole section, which may hold secrets`;
  if (parts.some((p) => SECRET_KEY.test(p)) || /^(channels|providers|models|secrets|plugins)$/i.test(parts[0]!)) {
    return `the key ${JSON.stringify(key)} may hold a secret`;
  }
  return null;
}

const FIND_TESTS = new Set(['-name', '-iname', '-path', '-ipath', '-wholename', '-type', '-xtype', '-maxdepth', '-mindepth', '-mtime', '-mmin', '-ctime', '-cmin',
  '-atime', '-amin', '-newer', '-size', '-user', '-group', '-perm', '-regex', '-iregex', '-links', '-inum', '-samefile', '-fstype', '-uid', '-gid', '-printf']);
const FIND_FLAGS = new Set(['-print', '-print0', '-ls', '-prune', '-o', '-a', '-or', '-and', '-not', '!', '(', ')', '-empty', '-readable', '-writable',
  '-executable', '-xdev', '-mount', '-follow', '-depth', '-daystart', '-nouser', '-nogroup', '-true', '-false', '-quit', '-L', '-H', '-P']);

/** find: tests and printing only (no -exec, -ok, -delete, -fprint, -fls). */
function findArgs(args: string[]): string | null {
  for (let i = 0; i < args.length; i += 1) {
    const w = args[i]!;
    if (FIND_TESTS.has(w)) {
      i += 1;
      continue;
    }
    if (FIND_FLAGS.has(w) || !/^[-!()]/.test(w)) continue;
    return `the expression ${JSON.stringify(w)} is not on its read-only list`;
  }
  return null;
}
