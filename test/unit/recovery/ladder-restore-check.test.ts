/**
 * Level 2 restore, with OpenClaw's `config validate` beside the verifying start (issue 10): the
 * gateway starts on the restored file at once; the validator's "no" undoes the verification while
 * it is still being verified, and is only a line once the gateway came back healthy on the file.
 */
import { describe, expect, it } from 'vitest';
import type { LadderEvent } from '../../../src/recovery/types.js';
import { LadderHarness, badConfig, diagnosed, diagnosis, exited, ofType, probeOk, records, repairFinished, started, workTypes } from './ladder-harness.js';

const checked = (ok: boolean, detail = ok ? 'openclaw config validate: ok' : 'openclaw config validate says no (exit 1 in 6.1 s): invalid'): LadderEvent => ({
  type: 'RepairChecked',
  step: 'restore-config',
  ok,
  detail,
});

function restoring(): LadderHarness {
  const h = badConfig();
  h.send(diagnosed(diagnosis({ configOk: false, lkg: true, differs: true })));
  // The restore is back at once: the verifying start goes, the validator still runs.
  expect(workTypes(h.send(repairFinished('restore-config', true, 'restored the known-good copy')))).toEqual(['StartGateway']);
  h.after(50, started(101));
  return h;
}

describe('the restore validated beside its verifying start', () => {
  it('a failed check while verifying stops the gateway and looks for the next repair', () => {
    const h = restoring();
    const actions = h.after(6_000, checked(false));
    expect(records(actions)).toContain('restore-config did not pass its check: openclaw config validate says no (exit 1 in 6.1 s): invalid');
    expect(ofType(actions, 'StopGateway')).toHaveLength(1);
    expect(h.openIncident.verifying).toBeNull();
    expect(workTypes(h.after(500, exited({ code: null, signal: 'SIGTERM' })))).toEqual(['Diagnose']);
    // The restore was tried: the doctor comes next.
    expect(ofType(h.send(diagnosed(diagnosis({ configOk: false, lkg: true }))), 'RunRepair')).toEqual([{ type: 'RunRepair', step: 'doctor', pid: null }]);
  });

  it('a passed check is a line; the start goes on to verify the repair', () => {
    const h = restoring();
    const actions = h.after(6_000, checked(true));
    expect(records(actions)).toEqual(['restore-config checked: openclaw config validate: ok']);
    expect(workTypes(actions)).toEqual([]);
    h.probes(2, probeOk());
    expect(h.incident).toBeNull();
  });

  it('a failed check after the gateway came back healthy on the file is a line, not an outage', () => {
    const h = restoring();
    h.probes(2, probeOk());
    expect(h.incident).toBeNull();
    const actions = h.after(1_000, checked(false));
    expect(records(actions, 'health')).toEqual(['restore-config checked after the gateway came back: openclaw config validate says no (exit 1 in 6.1 s): invalid']);
    expect(workTypes(actions)).toEqual([]);
  });

  it('a check that comes while other work is in flight is a line: that work decides', () => {
    const h = restoring();
    h.after(1_000, exited({ code: 78, hint: 'config' })); // the gateway refused the file itself: diagnosing again
    expect(h.state.pending?.work).toBe('diagnose');
    const actions = h.after(1_000, checked(false));
    expect(workTypes(actions)).toEqual([]);
  });
});
