import { describe, expect, it } from 'vitest';
import {
  classifyScreen,
  conversationLines,
  findApiError,
  inputText,
  isToolCallLine,
  keysToChoose,
  LineRelay,
  parseDialog,
  parsePermission,
  type Dialog,
} from '../../../src/agent/screen.js';
import { AUTO_MODE_332 as AUTO_MODE, COLS, EFFORT_ROW_332, footers, LOGO_331, LOGO_332, NBSP, ROWS, rule, spread, WELCOME_197 } from '../../fixtures/claude-screens.mjs';

/*
 * Screens as @xterm/headless renders them in a 120x40 PTY (`translateToString(true)`), transcribed from
 * /work/shared/reference/claude-code-pty.md §4.1-4.6 and from captures of 2.1.197. Real rows keep what the CLI
 * wrote: a non-breaking space after `❯` and `⎿`, and trailing spaces where it padded a row.
 */

const RULE = rule();
const FOOTERS = footers();
const DOWN = '\x1b[B';
const UP = '\x1b[A';

/** A full-height screen: the given rows, then empty rows up to 40. */
function screen(...rows: string[]): string[] {
  expect(rows.length).toBeLessThanOrEqual(ROWS);
  return [...rows, ...Array<string>(ROWS - rows.length).fill('')];
}

/** A row the CLI padded with spaces to the full width (submitted prompts are). */
function padded(text: string): string {
  return text.padEnd(COLS, ' ');
}

const FOOTER_IDLE_197 = FOOTERS[197].idle;
const FOOTER_TYPING_197 = FOOTERS[197].typing;
const FOOTER_BUSY_197 = FOOTERS[197].busy;
const FOOTER_IDLE_331 = FOOTERS[331].idle;
const FOOTER_BUSY_331 = FOOTERS[331].busy;

/** The input box as rendered: rules above and below, `❯` + non-breaking space + the text. */
function inputBox(text = '', footer = FOOTER_IDLE_197): string[] {
  return [RULE, `❯${NBSP}${text} `, RULE, footer];
}

const PROMPT = 'please recover the service RUN: echo recovered > marker.txt';

const READY_197 = screen(...WELCOME_197, ...inputBox());
const READY_331 = screen(...LOGO_331, ...inputBox('', FOOTER_IDLE_331));
const TYPING_197 = screen(...WELCOME_197, ...inputBox(PROMPT, FOOTER_TYPING_197));

const BUSY_197 = screen(
  ...WELCOME_197,
  padded(`❯ ${PROMPT}`),
  '',
  '· Canoodling…',
  '                                ',
  ...inputBox('', FOOTER_BUSY_197),
);
const BUSY_LATER_197 = screen(
  ...WELCOME_197,
  padded(`❯ ${PROMPT}`),
  '',
  '✢ Canoodling… (5s · ↑ 29 tokens)',
  '',
  ...inputBox('', FOOTER_BUSY_197),
);
const BUSY_331 = screen(
  ...LOGO_331,
  `❯ ${PROMPT}`,
  '',
  '✶ Canoodling…',
  '',
  ...inputBox('', FOOTER_BUSY_331),
);

const TOOL_CALL_197 = [
  padded(`❯ ${PROMPT}`),
  '',
  '● I will run the recovery command.',
  '                                ',
  '● Bash(echo recovered > marker.txt)',
  `  ⎿ ${NBSP}Waiting…`,
  '',
];

const PERMISSION_197 = screen(
  ...WELCOME_197,
  ...TOOL_CALL_197,
  RULE,
  ' Bash command',
  '',
  '   echo recovered > marker.txt',
  '   Write recovery marker file',
  '',
  ' Do you want to proceed?',
  ' ❯ 1. Yes',
  '   2. Yes, and always allow access to approve-17773/ from this project',
  '   3. No',
  '',
  ' Esc to cancel · Tab to amend · ctrl+e to explain',
);

const PERMISSION_331_BODY = [
  ' Bash command',
  ' Tip: auto mode handles these prompts for you — choose "switch to auto mode" below',
  ' Write recovery marker file',
  ' ╌╌╌╌',
  ' echo recovered > marker.txt',
  ' ╌╌╌╌',
  ' Do you want to proceed?',
  ' ❯ 1. Yes',
  '   2. Yes, and always allow access to /tmp/ws from this project',
  '   3. Yes, and switch to auto mode · auto mode handles these prompts for you',
  '   4. No',
  ' Esc to cancel · Tab to amend',
];
const PERMISSION_331 = screen(
  ...LOGO_331,
  `❯ ${PROMPT}`,
  '',
  '● I will run the recovery command.',
  '',
  '● Bash(echo recovered > marker.txt)',
  `  ⎿ ${NBSP}Waiting…`,
  '',
  RULE,
  ...PERMISSION_331_BODY,
);

const DONE_197 = screen(
  ...WELCOME_197,
  padded(`❯ ${PROMPT}`),
  '',
  '● I will run the recovery command.',
  '                                ',
  '● Bash(echo recovered > marker.txt)',
  `  ⎿ ${NBSP}(No output)`,
  '',
  '● RECOVERY COMPLETE',
  '',
  '✻ Brewed for 0s',
  '',
  ...inputBox(),
);
const DONE_331 = screen(
  ...LOGO_331,
  `❯ ${PROMPT}`,
  '',
  '● I will run the recovery command.',
  '',
  '● Ran 1 shell command',
  '',
  '● RECOVERY COMPLETE',
  '',
  '✻ Brewed for 0s · done 11:01 PM',
  '',
  ...inputBox('', FOOTER_IDLE_331),
);

const TRUST_197 = screen(
  '',
  RULE,
  ' Accessing workspace:',
  '',
  ' /tmp/cchome-fVSxgM/ws',
  '',
  ' Quick safety check: Is this a project you created or one you trust? (Like your own code, a well-known open source',
  " project, or work from your team). If not, take a moment to review what's in this folder first.",
  '',
  " Claude Code'll be able to read, edit, and execute files here.",
  '',
  ' Security guide',
  '',
  ' ❯ 1. Yes, I trust this folder',
  '   2. No, exit',
  '',
  ' Enter to confirm · Esc to cancel',
);
const TRUST_331 = TRUST_197.map((row) =>
  row === ' ❯ 1. Yes, I trust this folder' ? ' ❯ No, exit' : row === '   2. No, exit' ? '   Yes, I trust this folder' : row,
);

const API_KEY_197 = screen(
  '',
  RULE,
  '  Detected a custom API key in your environment',
  '',
  '  ANTHROPIC_API_KEY: sk-ant-...sk-test',
  '',
  '  Do you want to use this API key?',
  '',
  '    1. Yes',
  '  ❯ 2. No (recommended)',
  '',
  '  Enter to confirm · Esc to cancel',
);
const API_KEY_331 = API_KEY_197.map((row) =>
  row === '    1. Yes' ? '    Yes' : row === '  ❯ 2. No (recommended)' ? '  ❯ No (recommended)' : row,
);

/** The onboarding banner above the theme picker, security notes and offline failure. */
const BANNER_197 = [
  'Welcome to Claude Code v2.1.197',
  '..........................................................',
  '',
  '       █████████                                        *',
  '      ██▄█████▄██                        *',
  '       █████████      *',
  '.......█ █   █ █..........................................',
  '',
];

const SECURITY_197 = screen(
  ...BANNER_197,
  ' Security notes:',
  '',
  ' 1. Claude can make mistakes.',
  "    You're responsible for Claude's actions and should always",
  '    review them, especially when running code.',
  '',
  ' 2. Due to prompt injection risks, only use it with code you trust',
  '    Learn more: https://code.claude.com/docs/en/security',
  '',
  ' Press Enter to continue…',
);
const SECURITY_331 = SECURITY_197.map((row) => (row === ' Press Enter to continue…' ? ' Press Enter to continue' : row));

const THEME_DIFF = [
  '',
  ` ${'╌'.repeat(118)}`,
  '  1  function greet() {',
  padded('  2 -  console.log("Hello, World!");'),
  padded('  2 +  console.log("Hello, Claude!");'),
  '  3  }',
  ` ${'╌'.repeat(118)}`,
  '  Syntax theme: Monokai Extended (ctrl+t to disable)',
];
const THEME_197 = screen(
  ...BANNER_197,
  " Let's get started.",
  '',
  ' Choose the text style that looks best with your terminal',
  ' To change this later, run /theme',
  '',
  '   1. Auto (match terminal)',
  ' ❯ 2. Dark mode ✔',
  '   3. Light mode',
  '   4. Dark mode (colorblind-friendly)',
  '   5. Light mode (colorblind-friendly)',
  '   6. Dark mode (ANSI colors only)',
  '   7. Light mode (ANSI colors only)',
  ...THEME_DIFF,
);
const THEME_331 = screen(
  ...BANNER_197.map((row) => row.replace('2.1.197', '2.1.331')),
  " Let's get started.",
  '',
  ' Choose the text style that looks best with your terminal',
  ' To change this later, run /theme',
  '',
  ' ❯ ✔ Auto (match terminal)',
  '   Dark mode',
  '   Light mode',
  '   Dark mode (colorblind-friendly)',
  '   Light mode (colorblind-friendly)',
  '   Dark mode (ANSI colors only)',
  '   Light mode (ANSI colors only)',
  ...THEME_DIFF,
);

const LOGIN_197 = screen(
  ...BANNER_197,
  ' Claude Code can be used with your Claude subscription or billed based on API usage through your Console account.',
  '',
  ' Select login method:',
  '',
  ' ❯ 1. Claude account with subscription · Pro, Max, Team, or Enterprise',
  '',
  '   2. Anthropic Console account · API usage billing',
  '',
  '   3. 3rd-party platform · Amazon Bedrock, Microsoft Foundry, or Vertex AI',
);

const OFFLINE_197 = screen(
  ...BANNER_197,
  ' Unable to connect to Anthropic services',
  '',
  ' Failed to connect to api.anthropic.com: ENOTFOUND',
  '',
  ' Please check your internet connection and network settings.',
  '',
  ' Note: Claude Code might not be available in your country. Check supported countries at',
  ' https://anthropic.com/supported-countries',
);
const OFFLINE_331 = screen(
  ...BANNER_197.map((row) => row.replace('2.1.197', '2.1.331')),
  ' Unable to connect to Anthropic services',
  '',
  ' Failed to connect to api.anthropic.com: ENOTFOUND',
  '',
  ' Check your internet connection and network settings.',
  '',
  ' Claude Code might not be available in your country. Check supported countries at',
  ' https://anthropic.com/supported-countries',
);

/** A turn that ended with `errorRows` printed, then idle. */
function errorScreen(errorRows: string[], input = ''): string[] {
  return screen(...WELCOME_197, padded(`❯ ${PROMPT}`), ...errorRows, '', '✻ Cogitated for 1s', '', ...inputBox(input));
}

/** A retrying turn: the retry banner where the spinner is, `esc to interrupt` in the footer. */
function retryScreen(banner: string): string[] {
  return screen(...WELCOME_197, padded(`❯ ${PROMPT}`), '', banner, '                                ', ...inputBox('', FOOTER_BUSY_197));
}

const ERRORS_197: Array<[string, string[], string]> = [
  [
    '500',
    [
      '● API Error: 500 Internal server error (fake). This is a server-side issue, usually temporary — try again in a ',
      '  moment. If it persists, check your inference gateway (127.0.0.1:33565).',
    ],
    'API Error: 500 Internal server error (fake). This is a server-side issue, usually temporary — try again in a',
  ],
  ['529', ['● API Error: 529 Overloaded. This is a server-side issue, usually temporary — try again in a moment.'], 'API Error: 529 Overloaded. This is a server-side issue, usually temporary — try again in a moment.'],
  ['401', [`  ⎿ ${NBSP}Invalid API key · Fix external API key`], 'Invalid API key · Fix external API key'],
  ['refused', ['● API Error: Unable to connect to API (ConnectionRefused)'], 'API Error: Unable to connect to API (ConnectionRefused)'],
  [
    'timeout',
    [`  ⎿ ${NBSP}Request timed out (API_TIMEOUT_MS=5000ms, try increasing it)`],
    'Request timed out (API_TIMEOUT_MS=5000ms, try increasing it)',
  ],
];
const ERRORS_331: Array<[string, string[], string]> = [
  [
    'refused',
    ['● API Error: Connection refused — a firewall or proxy may be blocking it (ECONNREFUSED)'],
    'API Error: Connection refused — a firewall or proxy may be blocking it (ECONNREFUSED)',
  ],
  [
    'timeout',
    ['● Request timed out. If the API is slow to answer, or a proxy or gateway holds responses, set API_TIMEOUT_MS…'],
    'Request timed out. If the API is slow to answer, or a proxy or gateway holds responses, set API_TIMEOUT_MS…',
  ],
];

describe('classifyScreen', () => {
  it.each([
    ['the 2.1.197 ready screen with the welcome box', READY_197],
    ['the 2.1.331 ready screen with the compact logo', READY_331],
    ['a prompt being typed', TYPING_197],
    ['a finished turn on 2.1.197', DONE_197],
    ['a finished turn on 2.1.331', DONE_331],
  ])('is idle on %s', (_name, lines) => {
    expect(classifyScreen(lines)).toBe('idle');
  });

  it.each([
    ['· Canoodling… on 2.1.197', BUSY_197],
    ['✢ Canoodling… (5s · ↑ 29 tokens)', BUSY_LATER_197],
    ['2.1.331 with its manual-mode footer', BUSY_331],
    ['the API-error retry banner', retryScreen('✻ API error · Retrying in 3s · attempt 3/10')],
    ['the timeout retry banner', retryScreen('✻ Request timed out. · Retrying in 0s · attempt 1/1')],
  ])('is busy on %s', (_name, lines) => {
    expect(classifyScreen(lines)).toBe('busy');
  });

  it('is busy while a pending permission is hidden by typing ("Waiting for permission…")', () => {
    const lines = screen(
      ...WELCOME_197,
      padded('❯ first line'),
      '',
      '● Bash(echo recovered > marker.txt)',
      `  ⎿ ${NBSP}Waiting…`,
      '',
      '',
      '  Waiting for permission…',
      RULE,
      `❯${NBSP}second line`,
      RULE,
      spread('', 'ctrl+g to edit in Vim'),
    );
    expect(classifyScreen(lines)).toBe('busy');
  });

  it.each([
    ['2.1.197', PERMISSION_197],
    ['2.1.331', PERMISSION_331],
  ])('is permission on the %s permission prompt (not dialog, although options and ❯ are shown)', (_v, lines) => {
    expect(classifyScreen(lines)).toBe('permission');
  });

  it.each([
    ['trust 2.1.197', TRUST_197],
    ['trust 2.1.331', TRUST_331],
    ['API key 2.1.197', API_KEY_197],
    ['API key 2.1.331', API_KEY_331],
    ['security notes 2.1.197', SECURITY_197],
    ['security notes 2.1.331', SECURITY_331],
    ['theme picker 2.1.197', THEME_197],
    ['theme picker 2.1.331', THEME_331],
    ['login picker', LOGIN_197],
    ['offline onboarding failure 2.1.197', OFFLINE_197],
    ['offline onboarding failure 2.1.331', OFFLINE_331],
  ])('is dialog on the %s', (_name, lines) => {
    expect(classifyScreen(lines)).toBe('dialog');
  });

  it('is unknown on an empty or half-drawn screen', () => {
    expect(classifyScreen(screen())).toBe('unknown');
    expect(classifyScreen(screen(...WELCOME_197))).toBe('unknown');
    expect(classifyScreen([])).toBe('unknown');
  });

  it('does not take typed text for a state', () => {
    expect(classifyScreen(screen(...WELCOME_197, ...inputBox('esc to interrupt', FOOTER_TYPING_197)))).toBe('idle');
    expect(classifyScreen(screen(...WELCOME_197, ...inputBox('Press Enter to continue', FOOTER_TYPING_197)))).toBe('idle');
    expect(classifyScreen(screen(...WELCOME_197, ...inputBox('Do you want to proceed? Esc to cancel')))).toBe('idle');
  });

  it('does not take a dialog title in the agent reply for a dialog while the prompt is shown', () => {
    const lines = screen(...WELCOME_197, '● Here is the summary.', '', '  Security notes:', '  - rotate the token', '', ...inputBox());
    expect(classifyScreen(lines)).toBe('idle');
    expect(parseDialog(lines)).toBeNull();
  });
});

describe('findApiError', () => {
  it.each(ERRORS_197)('finds the 2.1.197 %s error', (_name, rows, expected) => {
    const lines = errorScreen(rows);
    expect(classifyScreen(lines)).toBe('idle');
    expect(findApiError(lines)).toBe(expected);
  });

  it.each(ERRORS_331)('finds the 2.1.331 %s error', (_name, rows, expected) => {
    expect(findApiError(errorScreen(rows))).toBe(expected);
  });

  it('finds the 2.1.331 500 error although the input shows the "Resend" placeholder', () => {
    const lines = errorScreen(
      ['● API Error: 500 Internal server error (fake). This is a server-side issue, usually temporary — try again in a moment.'],
      'Resend your message to try again',
    );
    expect(findApiError(lines)).toBe(
      'API Error: 500 Internal server error (fake). This is a server-side issue, usually temporary — try again in a moment.',
    );
  });

  it('ignores the retry banners (lowercase "API error", and the timeout one)', () => {
    expect(findApiError(retryScreen('✻ API error · Retrying in 3s · attempt 3/10'))).toBeNull();
    expect(findApiError(retryScreen('✻ Request timed out. · Retrying in 0s · attempt 1/1'))).toBeNull();
  });

  it('ignores "API Error" typed into the input box', () => {
    const lines = screen(...WELCOME_197, ...inputBox('why do I get API Error: 500 and Request timed out?', FOOTER_TYPING_197));
    expect(findApiError(lines)).toBeNull();
    expect(classifyScreen(lines)).toBe('idle');
  });

  it('ignores the words in a submitted prompt and in the middle of the agent text', () => {
    const lines = screen(
      ...WELCOME_197,
      padded('❯ API Error: 500 keeps showing in the gateway log, fix it'),
      '',
      '● The gateway log shows an API Error: 500 from the upstream; restarting it.',
      '',
      ...inputBox(),
    );
    expect(findApiError(lines)).toBeNull();
  });

  it('returns null on clean screens', () => {
    for (const lines of [READY_197, READY_331, BUSY_197, DONE_197, DONE_331, PERMISSION_197, API_KEY_197]) {
      expect(findApiError(lines)).toBeNull();
    }
  });

  it('reports the offline onboarding failure', () => {
    expect(findApiError(OFFLINE_197)).toBe('Unable to connect to Anthropic services');
  });
});

describe('parsePermission', () => {
  it('parses the 2.1.197 prompt: command, then the description below it', () => {
    expect(parsePermission(PERMISSION_197)).toEqual({
      tool: 'Bash',
      command: 'echo recovered > marker.txt',
      description: 'Write recovery marker file',
    });
  });

  it('parses the 2.1.331 prompt: description above the fenced command, Tip skipped', () => {
    expect(parsePermission(PERMISSION_331)).toEqual({
      tool: 'Bash',
      command: 'echo recovered > marker.txt',
      description: 'Write recovery marker file',
    });
  });

  it('parses the 2.1.331 prompt even without a top rule', () => {
    const lines = screen(`❯ ${PROMPT}`, '', '● Bash(echo recovered > marker.txt)', `  ⎿ ${NBSP}Waiting…`, '', ...PERMISSION_331_BODY);
    expect(parsePermission(lines)).toEqual({
      tool: 'Bash',
      command: 'echo recovered > marker.txt',
      description: 'Write recovery marker file',
    });
  });

  it('skips the "requires approval" notice and keeps a multi-line command', () => {
    const lines = screen(
      RULE,
      ' Bash command',
      '',
      '   systemctl restart nginx &&',
      '     systemctl is-active nginx',
      '   Restart the web server',
      '',
      ' This command requires approval',
      '',
      ' Do you want to proceed?',
      ' ❯ 1. Yes',
      '   2. Yes, and don’t ask again for: systemctl restart *',
      '   3. No',
      '',
      ' Esc to cancel · Tab to amend · ctrl+e to explain',
    );
    expect(parsePermission(lines)).toEqual({
      tool: 'Bash',
      command: 'systemctl restart nginx &&\n  systemctl is-active nginx',
      description: 'Restart the web server',
    });
  });

  it('gives a null description when there is none', () => {
    const lines = screen(RULE, ' Bash command', '', '   ls -la', '', ' Do you want to proceed?', ' ❯ 1. Yes', '   2. No', '', ' Esc to cancel');
    expect(parsePermission(lines)).toEqual({ tool: 'Bash', command: 'ls -la', description: null });
  });

  it('takes the first word of other headers', () => {
    const fetch = screen(
      RULE,
      ' Fetch',
      '',
      '   https://example.com/status',
      '   Claude wants to fetch content from example.com',
      '',
      ' Do you want to allow Claude to fetch this content?',
      ' ❯ 1. Yes',
      '   2. No',
      '',
      ' Esc to cancel',
    );
    expect(parsePermission(fetch)).toEqual({
      tool: 'Fetch',
      command: 'https://example.com/status',
      description: 'Claude wants to fetch content from example.com',
    });
    expect(classifyScreen(fetch)).toBe('permission');

    const edit = screen(
      RULE,
      ' Edit file',
      ' src/app.ts',
      ` ${'╌'.repeat(118)}`,
      ' 1 -const port = 80;',
      ' 1 +const port = 8080;',
      ` ${'╌'.repeat(118)}`,
      ' Do you want to make this edit to app.ts?',
      ' ❯ 1. Yes',
      '   2. No',
      ' Esc to cancel',
    );
    expect(parsePermission(edit)).toEqual({
      tool: 'Edit',
      command: '1 -const port = 80;\n1 +const port = 8080;',
      description: 'src/app.ts',
    });
  });

  it('is null when no permission prompt is shown', () => {
    for (const lines of [READY_197, BUSY_197, DONE_197, TRUST_197, API_KEY_197, SECURITY_197, OFFLINE_197]) {
      expect(parsePermission(lines)).toBeNull();
    }
  });
});

describe('parseDialog', () => {
  it('reads the 2.1.197 trust dialog: numbered, "Yes" preselected', () => {
    expect(parseDialog(TRUST_197)).toMatchObject({
      kind: 'trust',
      title: 'Accessing workspace:',
      options: [
        { text: 'Yes, I trust this folder', selected: true },
        { text: 'No, exit', selected: false },
      ],
    });
  });

  it('reads the 2.1.331 trust dialog: unnumbered, "No, exit" preselected', () => {
    expect(parseDialog(TRUST_331)?.options).toEqual([
      { text: 'No, exit', selected: true },
      { text: 'Yes, I trust this folder', selected: false },
    ]);
  });

  it('reads the API-key dialog of both versions', () => {
    const expected = {
      kind: 'api-key',
      title: 'Detected a custom API key in your environment',
      options: [
        { text: 'Yes', selected: false },
        { text: 'No (recommended)', selected: true },
      ],
    };
    expect(parseDialog(API_KEY_197)).toMatchObject(expected);
    expect(parseDialog(API_KEY_331)).toMatchObject(expected);
  });

  it('reads the theme picker without the diff preview, ✔ stripped', () => {
    const d197 = parseDialog(THEME_197);
    expect(d197?.kind).toBe('theme');
    expect(d197?.title).toBe('Choose the text style that looks best with your terminal');
    expect(d197?.options.map((o) => o.text)).toEqual([
      'Auto (match terminal)',
      'Dark mode',
      'Light mode',
      'Dark mode (colorblind-friendly)',
      'Light mode (colorblind-friendly)',
      'Dark mode (ANSI colors only)',
      'Light mode (ANSI colors only)',
    ]);
    expect(d197?.options.find((o) => o.selected)?.text).toBe('Dark mode');

    const d331 = parseDialog(THEME_331);
    expect(d331?.options).toHaveLength(7);
    expect(d331?.options[0]).toEqual({ text: 'Auto (match terminal)', selected: true });
  });

  it('reads the security notes: no options', () => {
    expect(parseDialog(SECURITY_197)).toMatchObject({ kind: 'security', title: 'Security notes:', options: [] });
    expect(parseDialog(SECURITY_331)).toMatchObject({ kind: 'security', title: 'Security notes:', options: [] });
  });

  it('reads the login picker, numbered options spaced by blank lines', () => {
    expect(parseDialog(LOGIN_197)).toMatchObject({
      kind: 'login',
      title: 'Select login method:',
      options: [
        { text: 'Claude account with subscription · Pro, Max, Team, or Enterprise', selected: true },
        { text: 'Anthropic Console account · API usage billing', selected: false },
        { text: '3rd-party platform · Amazon Bedrock, Microsoft Foundry, or Vertex AI', selected: false },
      ],
    });
    expect(keysToChoose(parseDialog(LOGIN_197)!, (t) => t.startsWith('Anthropic Console'))).toBe(`${DOWN}\r`);
  });

  it('does not cross a blank line into text that is not the next numbered option', () => {
    const lines = screen(
      '',
      RULE,
      ' Accessing workspace:',
      '',
      ' ❯ 1. Yes, I trust this folder',
      '   2. No, exit',
      '',
      '   1. Claude can make mistakes.',
      '',
      ' Enter to confirm · Esc to cancel',
    );
    expect(parseDialog(lines)?.options.map((o) => o.text)).toEqual(['Yes, I trust this folder', 'No, exit']);
  });

  it('reads the offline onboarding failure: no options', () => {
    expect(parseDialog(OFFLINE_197)).toMatchObject({ kind: 'offline', title: 'Unable to connect to Anthropic services', options: [] });
    expect(parseDialog(OFFLINE_331)).toMatchObject({ kind: 'offline', title: 'Unable to connect to Anthropic services', options: [] });
  });

  it('reads a dialog it does not know by its footer', () => {
    const lines = screen(
      '',
      RULE,
      ' New MCP server found in .mcp.json: approver',
      '',
      ' MCP servers may execute code or access system resources.',
      '',
      ' ❯ 1. Use this and all future MCP servers in this project',
      '   2. Use this MCP server',
      '   3. Continue without using this MCP server',
      '',
      ' Enter to confirm · Esc to cancel',
    );
    expect(classifyScreen(lines)).toBe('dialog');
    expect(parseDialog(lines)).toMatchObject({
      kind: 'unknown',
      title: 'New MCP server found in .mcp.json: approver',
      options: [
        { text: 'Use this and all future MCP servers in this project', selected: true },
        { text: 'Use this MCP server', selected: false },
        { text: 'Continue without using this MCP server', selected: false },
      ],
    });
  });

  it('joins an option wrapped onto a deeper-indented line', () => {
    const lines = screen(
      RULE,
      ' Accessing workspace:',
      '',
      ' ❯ 1. Yes, I trust this folder',
      '   2. No, exit and let me review what is in this folder first, then start Claude Code again',
      '      somewhere else',
      '',
      ' Enter to confirm · Esc to cancel',
    );
    expect(parseDialog(lines)?.options[1]?.text).toBe(
      'No, exit and let me review what is in this folder first, then start Claude Code again somewhere else',
    );
  });

  it('is null on the permission prompt and on plain screens', () => {
    for (const lines of [PERMISSION_197, PERMISSION_331, READY_197, READY_331, BUSY_197, DONE_197, screen()]) {
      expect(parseDialog(lines)).toBeNull();
    }
  });
});

describe('keysToChoose', () => {
  const trust = (text: string): boolean => /trust/i.test(text);

  it('trusts with Enter on 2.1.197 and Down, Enter on 2.1.331', () => {
    expect(keysToChoose(parseDialog(TRUST_197)!, trust)).toBe('\r');
    expect(keysToChoose(parseDialog(TRUST_331)!, trust)).toBe(`${DOWN}\r`);
  });

  it('accepts the API key: Up, Enter (from "No (recommended)" onto "Yes")', () => {
    const yes = (text: string): boolean => text === 'Yes';
    expect(keysToChoose(parseDialog(API_KEY_197)!, yes)).toBe(`${UP}\r`);
    expect(keysToChoose(parseDialog(API_KEY_331)!, yes)).toBe(`${UP}\r`);
    expect(keysToChoose(parseDialog(API_KEY_197)!, (t) => t.startsWith('No'))).toBe('\r');
  });

  it('moves several steps', () => {
    const light = (text: string): boolean => text === 'Light mode (ANSI colors only)';
    expect(keysToChoose(parseDialog(THEME_197)!, light)).toBe(`${DOWN.repeat(5)}\r`);
    expect(keysToChoose(parseDialog(THEME_331)!, light)).toBe(`${DOWN.repeat(6)}\r`);
    expect(keysToChoose(parseDialog(THEME_197)!, (t) => t.startsWith('Auto'))).toBe(`${UP}\r`);
  });

  it('presses Enter on the security notes when continuing is wanted', () => {
    const dialog = parseDialog(SECURITY_197)!;
    expect(keysToChoose(dialog, (t) => t === 'continue')).toBe('\r');
    expect(keysToChoose(dialog, () => false)).toBeNull();
  });

  it('is null when no option matches, on the offline screen, or with nothing selected', () => {
    expect(keysToChoose(parseDialog(TRUST_197)!, (t) => t === 'Maybe')).toBeNull();
    expect(keysToChoose(parseDialog(OFFLINE_197)!, () => true)).toBeNull();
    const unselected: Dialog = { kind: 'unknown', title: 'x', options: [{ text: 'A', selected: false }], text: ['x', 'A'] };
    expect(keysToChoose(unselected, () => true)).toBeNull();
  });
});

describe('inputText', () => {
  it('is empty on the ready screens', () => {
    expect(inputText(READY_197)).toBe('');
    expect(inputText(READY_331)).toBe('');
    expect(inputText(DONE_197)).toBe('');
  });

  it('returns what is typed, without the prompt marker', () => {
    expect(inputText(TYPING_197)).toBe(PROMPT);
  });

  it('joins a multi-line input', () => {
    const lines = screen(...WELCOME_197, RULE, `❯${NBSP}second linepasted a`, '  b ', RULE, spread('', 'ctrl+g to edit in Vim'));
    expect(inputText(lines)).toBe('second linepasted a\nb');
  });

  it("treats 2.1.331's Resend placeholder as empty", () => {
    expect(inputText(screen(...LOGO_331, ...inputBox('Resend your message to try again', FOOTER_IDLE_331)))).toBe('');
  });

  it('is null when there is no input box', () => {
    for (const lines of [PERMISSION_197, PERMISSION_331, TRUST_197, THEME_197, OFFLINE_197, screen()]) {
      expect(inputText(lines)).toBeNull();
    }
  });
});

describe('conversationLines', () => {
  it('is empty on the ready screens', () => {
    expect(conversationLines(READY_197)).toEqual([]);
    expect(conversationLines(READY_331)).toEqual([]);
  });

  it('drops the spinner while busy', () => {
    expect(conversationLines(BUSY_197)).toEqual([`❯ ${PROMPT}`]);
    expect(conversationLines(BUSY_LATER_197)).toEqual([`❯ ${PROMPT}`]);
    expect(conversationLines(BUSY_331)).toEqual([`❯ ${PROMPT}`]);
  });

  it('drops the retry banner', () => {
    expect(conversationLines(retryScreen('✻ API error · Retrying in 3s · attempt 3/10'))).toEqual([`❯ ${PROMPT}`]);
  });

  it('keeps the tool call and the whole permission dialog (2.1.197), without the rule', () => {
    expect(conversationLines(PERMISSION_197)).toEqual([
      `❯ ${PROMPT}`,
      '',
      '● I will run the recovery command.',
      '',
      '● Bash(echo recovered > marker.txt)',
      '  ⎿  Waiting…',
      '',
      ' Bash command',
      '',
      '   echo recovered > marker.txt',
      '   Write recovery marker file',
      '',
      ' Do you want to proceed?',
      ' ❯ 1. Yes',
      '   2. Yes, and always allow access to approve-17773/ from this project',
      '   3. No',
      '',
      ' Esc to cancel · Tab to amend · ctrl+e to explain',
    ]);
  });

  it('drops the compact logo of 2.1.331', () => {
    const lines = conversationLines(PERMISSION_331);
    expect(lines[0]).toBe(`❯ ${PROMPT}`);
    expect(lines).toContain(' ╌╌╌╌');
    expect(lines.at(-1)).toBe(' Esc to cancel · Tab to amend');
  });

  it('keeps results and the answer, drops the end-of-turn line and the input box', () => {
    expect(conversationLines(DONE_197)).toEqual([
      `❯ ${PROMPT}`,
      '',
      '● I will run the recovery command.',
      '',
      '● Bash(echo recovered > marker.txt)',
      '  ⎿  (No output)',
      '',
      '● RECOVERY COMPLETE',
    ]);
    expect(conversationLines(DONE_331)).toEqual([
      `❯ ${PROMPT}`,
      '',
      '● I will run the recovery command.',
      '',
      '● Ran 1 shell command',
      '',
      '● RECOVERY COMPLETE',
    ]);
  });

  it('keeps an error, with its wrapped continuation', () => {
    const rows = ERRORS_197[0]![1];
    expect(conversationLines(errorScreen(rows))).toEqual([`❯ ${PROMPT}`, ...rows.map((r) => r.trimEnd())]);
  });

  it('keeps a line that only looks like a status line', () => {
    const lines = screen(...WELCOME_197, '● Checking the service…', '* not a spinner: two words…', ...inputBox());
    expect(conversationLines(lines)).toEqual(['● Checking the service…', '* not a spinner: two words…']);
  });

  it('keeps a welcome box scrolled half off the top out', () => {
    expect(conversationLines(screen(...WELCOME_197.slice(6), '● hello', ...inputBox()))).toEqual(['● hello']);
  });
});

describe('LineRelay', () => {
  it('relays each line of a turn once, in screen order, as the screen changes', () => {
    const relay = new LineRelay();
    expect(relay.next(READY_197)).toEqual([]);
    expect(relay.next(TYPING_197)).toEqual([]);
    expect(relay.next(BUSY_197)).toEqual([`❯ ${PROMPT}`]);
    expect(relay.next(BUSY_LATER_197)).toEqual([]);
    expect(relay.next(PERMISSION_197)).toEqual([
      '● I will run the recovery command.',
      '● Bash(echo recovered > marker.txt)',
      '  ⎿  Waiting…',
      ' Bash command',
      '   echo recovered > marker.txt',
      '   Write recovery marker file',
      ' Do you want to proceed?',
      ' ❯ 1. Yes',
      '   2. Yes, and always allow access to approve-17773/ from this project',
      '   3. No',
      ' Esc to cancel · Tab to amend · ctrl+e to explain',
    ]);
    expect(relay.next(PERMISSION_197)).toEqual([]);
    expect(relay.next(DONE_197)).toEqual(['  ⎿  (No output)', '● RECOVERY COMPLETE']);
    expect(relay.next(DONE_197)).toEqual([]);
  });

  it('relays a line shown twice at once twice, but not again when it scrolls', () => {
    const relay = new LineRelay();
    const first = ['● Bash(true)', '  ⎿  (No output)'];
    const second = ['● Bash(false)', '  ⎿  (No output)'];
    expect(relay.next(screen(...first, ...inputBox()))).toEqual(first);
    expect(relay.next(screen(...first, ...second, ...inputBox()))).toEqual(['● Bash(false)', '  ⎿  (No output)']);
    expect(relay.next(screen(...second, ...inputBox()))).toEqual([]);
  });

  it('forgets the oldest lines beyond 2000', () => {
    const relay = new LineRelay();
    const page = (n: number): string[] =>
      screen(...Array.from({ length: 36 }, (_v, i) => `● line ${n * 36 + i}`), ...inputBox());
    expect(relay.next(page(0))).toHaveLength(36);
    for (let n = 1; n < 60; n++) relay.next(page(n)); // 2160 distinct lines in all
    expect(relay.next(page(0))).toHaveLength(36); // forgotten, so new again
    expect(relay.next(page(59))).toEqual([]); // recent ones are still known
  });

  it('does not relay a long transcript (scrollback + viewport) again on every call', () => {
    const relay = new LineRelay();
    const history = Array.from({ length: 3000 }, (_v, i) => `● step ${i}`);
    const transcript = [...WELCOME_197, ...history, ...inputBox()];
    expect(relay.next(transcript)).toEqual(history.slice(-2000));
    expect(relay.next(transcript)).toEqual([]);
    const longer = [...WELCOME_197, ...history, '● step 3000', ...inputBox()];
    expect(relay.next(longer)).toEqual(['● step 3000']);
    expect(relay.next(longer)).toEqual([]);
  });
});

/* 2.1.332 (measured 2026-12-03): the auto-mode nudge, and its alternate-screen rendering of a turn. */
const AUTO_MODE_BODY = [
  RULE,
  ...AUTO_MODE.body,
  `  ❯ ${AUTO_MODE.options[0]}`,
  `    ${AUTO_MODE.options[1]}`,
];
/** As first drawn: no footer yet. */
const AUTO_MODE_332 = screen(...LOGO_332, ...AUTO_MODE_BODY);
const AUTO_MODE_LATER_332 = screen(...LOGO_332, ...AUTO_MODE_BODY, `  ${AUTO_MODE.laterFooter}`);
const EFFORT_332 = EFFORT_ROW_332();
const DONE_ALT_332 = screen(
  ...LOGO_332,
  `❯ ${PROMPT}`,
  '● I will run the recovery command.',
  '  $ echo recovered > marker.txt',
  '  Ran 1 shell command',
  `  ⎿ ${NBSP}Allowed by PermissionRequest hook`,
  '● RECOVERY COMPLETE',
  '✻ Worked for 0s · done 10:27 AM',
  EFFORT_332,
  ...inputBox('', FOOTER_IDLE_331),
);

describe('2.1.332', () => {
  it('reads the auto-mode nudge, with or without its footer, and answers it "No, keep manual mode"', () => {
    for (const lines of [AUTO_MODE_332, AUTO_MODE_LATER_332]) {
      expect(classifyScreen(lines)).toBe('dialog');
      const dialog = parseDialog(lines)!;
      expect(dialog).toMatchObject({
        kind: 'auto-mode',
        title: 'Make auto mode your default permission mode?',
        options: [
          { text: 'Yes, set auto mode as my default permission mode', selected: true },
          { text: 'No, keep manual mode', selected: false },
        ],
      });
      expect(keysToChoose(dialog, (t) => t.startsWith('No'))).toBe(`${DOWN}\r`);
    }
  });

  it('finds a dialog it does not know by its selection list alone, with its whole text', () => {
    const lines = screen(
      ...LOGO_332,
      RULE,
      '  Let Claude approve its own actions from now on?',
      '  You will not be asked again.',
      '  ❯ Yes, stop asking me',
      '    No, keep asking',
    );
    expect(classifyScreen(lines)).toBe('dialog');
    expect(parseDialog(lines)).toEqual({
      kind: 'unknown',
      title: 'Let Claude approve its own actions from now on?',
      options: [
        { text: 'Yes, stop asking me', selected: true },
        { text: 'No, keep asking', selected: false },
      ],
      text: ['Let Claude approve its own actions from now on?', 'You will not be asked again.', '❯ Yes, stop asking me', 'No, keep asking'],
    });
  });

  it('does not take a lone `❯` line (a submitted prompt) for a dialog', () => {
    const lines = screen(...LOGO_332, `❯ ${PROMPT}`, '', '✢ Cascading…');
    expect(classifyScreen(lines)).toBe('unknown');
    expect(parseDialog(lines)).toBeNull();
  });

  it('drops the effort status line from the conversation and keeps both tool-call renderings', () => {
    expect(classifyScreen(DONE_ALT_332)).toBe('idle');
    expect(conversationLines(DONE_ALT_332)).toEqual([
      `❯ ${PROMPT}`,
      '● I will run the recovery command.',
      '  $ echo recovered > marker.txt',
      '  Ran 1 shell command',
      '  ⎿  Allowed by PermissionRequest hook',
      '● RECOVERY COMPLETE',
    ]);
  });

  it('tells tool calls from the agent words in both renderings', () => {
    for (const line of ['● Bash(echo hi)', '  $ echo hi', '  Ran 1 shell command', '  Ran 3 shell commands', '  Did not run 1 call']) {
      expect(isToolCallLine(line), line).toBe(true);
    }
    for (const line of ['● RECOVERY COMPLETE', '● I will run the recovery command.', '  costs $5 a month']) {
      expect(isToolCallLine(line), line).toBe(false);
    }
  });
});
