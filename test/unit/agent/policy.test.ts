import { describe, expect, it } from 'vitest';
import { DEFAULT_READ_ONLY_COMMANDS, parseAutoAllow, readOnlyPolicy } from '../../../src/agent/policy.js';

const PLACES = { home: '/home/op', dataDir: '/home/op/.clawmedic', configPaths: ['/home/op/.openclaw/openclaw.json'] };
const policy = readOnlyPolicy(DEFAULT_READ_ONLY_COMMANDS, PLACES);
const bash = (command: string) => policy('Bash', command);

describe('readOnlyPolicy with the default prefixes', () => {
  it.each([
    'cat /tmp/gateway.log',
    'ls -la',
    'ls -la /home/op',
    'ps aux | grep openclaw',
    'journalctl --user -u openclaw -n 50',
    'systemctl --user status openclaw',
    'openclaw config validate --json',
    'npm ls openclaw',
    '  tail -n 100 /tmp/gateway.log  ',
    'ss -ltnp | grep 18789',
    'cat /tmp/a.json | jq .gateway | head -n 5',
  ])('allows the read-only command %j', (command) => {
    expect(bash(command)).toBe(true);
  });

  it.each([
    ['an output redirection', 'cat a > b'],
    ['an appending redirection', 'echo x >> f'],
    ['a redirection into a reader', 'cat a >b'],
    ['an input redirection', 'cat < /etc/passwd'],
    ['a command chained with ;', 'ls; rm -rf /'],
    ['a command chained with &&', 'ls && rm x'],
    ['a command chained with ||', 'ls || rm x'],
    ['a command substitution', 'cat $(which x)'],
    ['a backtick substitution', 'cat `which x`'],
    ['a parameter expansion', 'cat ${X}'],
    ['a background job', 'ls &'],
    ['a background job followed by another command', 'ls & rm x'],
    ['a second command on a new line', 'ls\nrm -rf /'],
    ['a second command after a carriage return', 'ls\rrm -rf /'],
    ['a config change', 'openclaw config set gateway.mode local'],
    ['a restart', 'systemctl restart x'],
    ['a user-unit restart', 'systemctl --user restart openclaw'],
    ['rm', 'rm -rf /tmp/x'],
    ['cp', 'cp a b'],
    ['find (not in the defaults) with -delete', 'find / -delete'],
    ['journalctl vacuuming its logs', 'journalctl --vacuum-size=1M'],
    ['journalctl rotating its logs', 'journalctl --rotate'],
    ['ss killing sockets', 'ss -K'],
    ['ss killing matching sockets', 'ss -K dst 1.2.3.4'],
    ['a pipe into a shell', 'cat x | sh'],
    ['a pipe into an unlisted command', 'ps aux | xargs kill'],
    ['an empty pipe stage', 'ls |'],
    ['a pipe with no first stage', '| ls'],
    ['a prefix glued to more letters', 'catx /etc/passwd'],
    ['another openclaw subcommand sharing the first word', 'openclaw configure'],
    ['openclaw config with a different verb', 'openclaw config unset gateway.mode'],
    ['the first word of a two-word prefix alone', 'systemctl'],
    ['an empty command', ''],
    ['a blank command', '   '],
  ])('refuses %s: %j', (_what, command) => {
    expect(bash(command)).toBe(false);
  });

  it('refuses the writing arguments of find even when find itself is allowed', () => {
    const withFind = readOnlyPolicy(['find']);
    expect(withFind('Bash', 'find /tmp -name "*.log"')).toBe(true);
    expect(withFind('Bash', 'find / -delete')).toBe(false);
    expect(withFind('Bash', 'find / -name x -exec rm {} +')).toBe(false);
    expect(withFind('Bash', 'find / -execdir rm {} +')).toBe(false);
    expect(withFind('Bash', 'find / -ok rm {} +')).toBe(false);
    expect(withFind('Bash', 'find / -fprint /tmp/out')).toBe(false);
    expect(withFind('Bash', 'find / -fprintf /tmp/out %p')).toBe(false);
  });

  it.each([
    ['Read', '/tmp/gateway.log', true],
    ['Read', '/home/op/.openclaw/openclaw.json', false],
    ['Glob', '**/*.json', true],
    ['Grep', 'gateway', true],
    ['Edit', '/home/op/.openclaw/openclaw.json', false],
    ['Write', '/home/op/.openclaw/openclaw.json', false],
    ['WebFetch', 'https://example.com', false],
    ['MultiEdit', '/etc/hosts', false],
    ['SomeNewTool', 'cat x', false],
    ['bash', 'ls', false],
  ] as const)('decides the tool %s by its name: %s', (tool, command, allowed) => {
    expect(policy(tool, command)).toBe(allowed);
  });

  it('matches only the prefixes it was given', () => {
    const custom = readOnlyPolicy(['docker ps', 'cat']);
    expect(custom('Bash', 'docker ps -a')).toBe(true);
    expect(custom('Bash', 'docker rm gw')).toBe(false);
    expect(custom('Bash', 'cat x | docker ps')).toBe(true);
    expect(custom('Bash', 'ls')).toBe(false);
    expect(custom('Read', '/etc/hosts')).toBe(true);
  });

  it('allows nothing at all with an empty prefix list, not even Read', () => {
    for (const none of [readOnlyPolicy([]), readOnlyPolicy(['', '   '])]) {
      expect(none('Read', '/etc/hosts')).toBe(false);
      expect(none('Glob', '*')).toBe(false);
      expect(none('Bash', 'ls')).toBe(false);
      expect(none('Bash', 'cat x')).toBe(false);
    }
  });
});

describe('parseAutoAllow', () => {
  it('reads none as no prefixes', () => {
    expect(parseAutoAllow('none')).toEqual([]);
    expect(parseAutoAllow(' none ')).toEqual([]);
  });

  it('reads default as the default prefixes', () => {
    expect(parseAutoAllow('default')).toEqual([...DEFAULT_READ_ONLY_COMMANDS]);
    expect(parseAutoAllow('default')).toContain('openclaw config validate');
  });

  it('adds custom prefixes to default', () => {
    expect(parseAutoAllow('default,docker ps')).toEqual([...DEFAULT_READ_ONLY_COMMANDS, 'docker ps']);
    expect(parseAutoAllow('docker ps , default')).toEqual(['docker ps', ...DEFAULT_READ_ONLY_COMMANDS]);
  });

  it('takes a custom list alone, trimmed and without empty items', () => {
    expect(parseAutoAllow('cat, ls -la ,,docker ps')).toEqual(['cat', 'ls -la', 'docker ps']);
    expect(parseAutoAllow('cat')).toEqual(['cat']);
  });

  it('gives a policy that does what the list says', () => {
    expect(readOnlyPolicy(parseAutoAllow('none'))('Read', '/etc/hosts')).toBe(false);
    const custom = readOnlyPolicy(parseAutoAllow('default,docker ps'));
    expect(custom('Bash', 'docker ps')).toBe(true);
    expect(custom('Bash', 'ls -la')).toBe(true);
    expect(custom('Bash', 'docker stop gw')).toBe(false);
  });
});
