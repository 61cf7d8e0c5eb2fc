/** Button ids: `cm:<action>:<target>:<subject>`; anything else decodes to nothing. */
import { describe, expect, it } from 'vitest';
import { customId, enableSubject, parseCustomId, parseEnableSubject, type ButtonAction } from '../../../src/bot/custom-id.js';

const ACTIONS: ButtonAction[] = ['abort', 'retry', 'escalate', 'approve', 'deny', 'grant', 'postmortem'];

describe('customId', () => {
  it('encodes action, target and subject', () => {
    expect(customId('abort', 'gw', 'gw-1')).toBe('cm:abort:gw:gw-1');
    expect(customId('approve', 'gw', 'gw-1-a1')).toBe('cm:approve:gw:gw-1-a1');
  });

  it('round-trips every action, and the longest target name the config accepts', () => {
    const target = 'Gw_0-'.repeat(6) + 'xy'; // 32 characters, as GATEWAY_NAME allows
    for (const action of ACTIONS) {
      expect(parseCustomId(customId(action, 'gw', 'gw-12'))).toEqual({ action, target: 'gw', subject: 'gw-12' });
      expect(parseCustomId(customId(action, target, `${target}-1-a1`))).toEqual({ action, target, subject: `${target}-1-a1` });
    }
  });

  it('stays within Discord 100 characters for a 32-character target up to incident 99,999,999', () => {
    const target = 'g'.repeat(32);
    expect(customId('escalate', target, `${target}-99999999`).length).toBeLessThanOrEqual(100);
    expect(customId('approve', target, `${target}-99999999-a99`).length).toBeLessThanOrEqual(100);
  });
});

describe('the re-enable button (plugin by index, never by name)', () => {
  it('names the incident and the index of the plugin it disabled', () => {
    const id = customId('enable', 'gw', enableSubject('gw-12', 0));
    expect(id).toBe('cm:enable:gw:gw-12.0');
    expect(parseCustomId(id)).toEqual({ action: 'enable', target: 'gw', subject: 'gw-12.0' });
    expect(parseEnableSubject('gw-12.0')).toEqual({ incidentId: 'gw-12', index: 0 });
  });

  it.each(['gw-12', 'gw-12.', '.0', 'gw-12.0.1', 'gw-12.x', 'gw-12.100', '@scope/plugin'])('refuses the subject %j', (subject) => {
    expect(parseEnableSubject(subject)).toBeNull();
  });
});

describe('parseCustomId refuses what it did not make', () => {
  it.each([
    ['another bot', 'xx:abort:gw:gw-1'],
    ['no prefix', 'abort:gw:gw-1'],
    ['an unknown action', 'cm:restart:gw:gw-1'],
    ['an action in capitals', 'cm:ABORT:gw:gw-1'],
    ['a missing subject', 'cm:abort:gw'],
    ['an empty target', 'cm:abort::gw-1'],
    ['an empty subject', 'cm:abort:gw:'],
    ['an extra part', 'cm:abort:gw:gw-1:x'],
    ['a dot in the target', 'cm:abort:g.w:gw-1'],
    ['a space in the subject', 'cm:abort:gw:gw 1'],
    ['a trailing newline', 'cm:abort:gw:gw-1\n'],
    ['a 41-character target', `cm:abort:${'g'.repeat(41)}:gw-1`],
    ['a 61-character subject', `cm:abort:gw:${'s'.repeat(61)}`],
    ['an empty string', ''],
  ])('%s', (_what, id) => {
    expect(parseCustomId(id)).toBeNull();
  });

  it('accepts the edges: 32-character target, 60-character subject', () => {
    expect(parseCustomId(`cm:deny:${'g'.repeat(32)}:${'s'.repeat(60)}`)).toEqual({ action: 'deny', target: 'g'.repeat(32), subject: 's'.repeat(60) });
  });
});
