/**
 * The exit classifier on OpenClaw's own lines (as measured on the real gateway, see
 * /work/shared/reference/openclaw-failures.md): each class, its culprit and its evidence.
 */
import { describe, expect, it } from 'vitest';
import { classifyExit, fixFor, needsPerson } from '../../../../src/recovery/classify/index.js';
import { describeExit } from '../../../../src/recovery/ladder/describe.js';

const CAPTURE = '/home/u/.openclaw/tmp/plugin-captures/5f0c2a9e-1d7b-4e43-9c59-1f2b3c4d5e6f/captures/openclaw-plugin-build-Ab12Cd/package-0/node_modules';
const exit = (code: number | null, lines: string[], signal: string | null = null, bundle: { name: string; json: unknown } | null = null) =>
  classifyExit({ code, signal, lines, bundle });

describe('classifyExit', () => {
  it('a plugin that throws later (uncaught exception): exit 1, the plugin named from the stack path', () => {
    const f = exit(1, [
      '2026-12-03T10:00:01.000Z [gateway] ready',
      `${CAPTURE}/crash-plugin/index.js:9`,
      "      throw new Error('boom from crash-plugin');",
      'Error: boom from crash-plugin',
      `    at Timeout._onTimeout (${CAPTURE}/crash-plugin/index.js:9:13)`,
      '    at listOnTimeout (node:internal/timers:608:17)',
    ]);
    expect(f).toMatchObject({ class: 'plugin-crash', culprit: 'crash-plugin', summary: 'plugin crash-plugin crashed the gateway with an uncaught exception' });
    expect(f!.evidence).toEqual(['Error: boom from crash-plugin', `at Timeout._onTimeout (${CAPTURE}/crash-plugin/index.js:9:13)`]);
  });

  it('an unhandled rejection: named from OpenClaw\'s line, or from the stability bundle alone', () => {
    const line = `[openclaw] Unhandled promise rejection: Error: rejected later at ${CAPTURE}/reject-plugin/index.js:5:20`;
    expect(exit(1, [line])).toMatchObject({ class: 'plugin-crash', culprit: 'reject-plugin', evidence: [line] });
    const bundle = { name: '2026-12-03T10-00-00-000Z-unhandled_rejection.json', json: { error: { stack: `Error: rejected later\n    at ${CAPTURE}/reject-plugin/index.js:5:20` } } };
    const f = exit(1, ['[openclaw] Unhandled promise rejection: Error: rejected later'], null, bundle);
    expect(f).toMatchObject({ class: 'plugin-crash', culprit: 'reject-plugin', summary: 'plugin reject-plugin crashed the gateway with an unhandled promise rejection' });
    expect(f!.evidence[1]).toContain('unhandled_rejection.json: at ');
  });

  it('a scoped plugin id is kept whole', () => {
    expect(exit(1, [`    at x (${CAPTURE}/@acme/bad-plugin/dist/index.js:1:1)`])?.culprit).toBe('@acme/bad-plugin');
  });

  it('a clean exit or one without a plugin frame is not a plugin crash', () => {
    expect(exit(0, [`    at x (${CAPTURE}/crash-plugin/index.js:1:1)`])).toBeNull();
    expect(exit(1, ['Error: something', '    at main (/usr/lib/node_modules/openclaw/dist/index.js:1:1)'])).toBeNull();
  });

  it('heap exhausted: exit 134 named plainly as out of memory', () => {
    const line = 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory';
    const f = exit(134, ['<--- Last few GCs --->', line]);
    expect(f).toEqual({ class: 'out-of-memory', culprit: null, evidence: [line], summary: 'ran out of memory (JavaScript heap out of memory)' });
    expect(describeExit({ code: 134, signal: null, at: 0, hint: null, failure: f! })).toBe('ran out of memory (JavaScript heap out of memory)');
    expect(exit(134, [])?.summary).toBe('ran out of memory (exit 134, aborted)');
  });

  it('a stale state lock: exit 78 (or 1 after the lock timeout), the pid named', () => {
    const line = 'Another gateway (pid 4242) already owns this state directory; refusing to run automatic startup migrations or report the gateway ready. Stop it with "openclaw gateway stop" (or select a different OPENCLAW_STATE_DIR), then retry startup.';
    expect(exit(78, [line])).toMatchObject({ class: 'stale-lock', culprit: 'pid 4242' });
    expect(exit(1, ['gateway already running (pid 777); lock timeout after 5000ms'])).toMatchObject({ class: 'stale-lock', culprit: 'pid 777' });
  });

  it('version drift: a config stamped by a newer OpenClaw', () => {
    const f = exit(1, [
      'Your OpenClaw config was written by version 2027.1.0, but this command is running 2026.9.6.',
      'Refusing to run automatic gateway startup migrations because this OpenClaw binary (2026.9.6) is older than the config.',
    ]);
    expect(f).toMatchObject({ class: 'version-drift', culprit: 'config stamped 2027.1.0', summary: 'the config was written by OpenClaw 2027.1.0, newer than the 2026.9.6 running it' });
    expect(f!.evidence).toHaveLength(2);
    expect(needsPerson(f)).toBe(false);
  });

  it("a state database newer than the build, and Node too old: a person's decision with the fix", () => {
    const schema = exit(78, ['Gateway failed to start: SqliteSchemaVersionError: /s/state/openclaw.sqlite uses newer schema version 99; this build supports 18.']);
    expect(schema).toMatchObject({ class: 'state-schema', summary: 'the state database has schema version 99, newer than this OpenClaw supports (18)' });
    expect(needsPerson(schema)).toBe(true);
    expect(fixFor(schema!)).toContain('openclaw backup create');
    const node = exit(1, ['openclaw: Node 20.20.2: node:sqlite is unavailable; use 24.16+/26.1+ (or install one OpenClaw can find)']);
    expect(node).toMatchObject({ class: 'node-too-old', culprit: 'Node 20.20.2', summary: 'OpenClaw cannot run on Node 20.20.2 and found no usable Node (it needs 24.16+/26.1+)' });
    expect(fixFor(node!)).toContain('Node 24.16+');
  });

  it('another OpenClaw process owns the gateway: two supervisors', () => {
    const f = exit(78, ['Gateway failed to start: Doctor could not enter maintenance. StateDatabaseCoordinatorContentionError: another OpenClaw process owns gateway-lifecycle | gateway.maintenance_required.']);
    expect(f?.class).toBe('duelling-supervisors');
    expect(fixFor(f!)).toContain('clawmedic install');
    expect(fixFor(f!)).toContain('GATEWAY_RESTART_COMMAND');
  });

  it('ANSI colours do not hide a line', () => {
    expect(exit(78, ['\u001b[31mAnother gateway (pid 9) already owns this state directory\u001b[39m'])?.culprit).toBe('pid 9');
  });
});
