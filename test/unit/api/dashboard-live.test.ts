/**
 * What the dashboard shows and does, over real HTTP: the live event stream (a timeline record
 * arrives), operators' requests (the local API's path, audited as the dashboard operator), search,
 * transcripts, and nothing the redactor knows leaves unmasked.
 */
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Incident } from '../../../src/recovery/types.js';
import { bearer, call, SECRET, signInAs, startDashboard, targetStatus, type Harness } from './dashboard-harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

function incident(over: Partial<Incident> = {}): Incident {
  return {
    id: 'gw-1',
    target: 'gw',
    openedAt: 1_700_000_000_000,
    closedAt: null,
    cause: 'gateway exited with code 1',
    state: 'recovering',
    level: 2,
    maxLevel: 2,
    restarts: 1,
    doctorRuns: 0,
    tried: [],
    verifying: null,
    lastDiagnosis: null,
    retryAt: null,
    approval: null,
    outcome: null,
    ...over,
  };
}

/** Reads the event stream until `until` holds for the text so far; resolves with that text. */
function readStream(port: number, token: string, until: (text: string) => boolean, onOpen: () => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/dashboard/api/events', headers: { host: `127.0.0.1:${port}`, ...bearer(token) } }, (res) => {
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      let text = '';
      let opened = false;
      res.on('data', (c: Buffer) => {
        text += c.toString();
        if (!opened && text.includes('event: hello')) {
          opened = true;
          onOpen();
        }
        if (until(text)) {
          req.destroy();
          resolve(text);
        }
      });
      res.on('error', () => {});
    });
    req.on('error', (err) => (err.message.includes('aborted') || err.message.includes('socket hang up') ? undefined : reject(err)));
    req.end();
  });
}

describe('dashboard: live events', () => {
  it('a timeline record reaches a signed-in page as an SSE frame, its secret masked', async () => {
    h = await startDashboard();
    const token = await signInAs(h.port, 'alice');
    const events = h.events;
    const text = await readStream(
      h.port,
      token,
      (t) => t.includes('event: record'),
      () => {
        events.emit('record', { kind: 'step', at: 1, target: 'gw', incidentId: 'gw-1', level: 1, text: `restarting with key ${SECRET}` });
      },
    );
    const frame = text.slice(text.indexOf('event: record'));
    const data = JSON.parse(/^data: (.*)$/m.exec(frame)![1]!);
    expect(data).toMatchObject({ kind: 'step', target: 'gw', incidentId: 'gw-1', level: 1 });
    expect(data.text).toBe('restarting with key [REDACTED]');
    expect(text).not.toContain(SECRET);
  });

  it('a session that ends is dropped from the stream', async () => {
    h = await startDashboard();
    const token = await signInAs(h.port, 'alice');
    const harness = h;
    let signedOut: Promise<unknown> = Promise.resolve();
    const text = await readStream(
      h.port,
      token,
      (t) => t.includes('event: signed-out'),
      () => {
        signedOut = call(harness.port, '/dashboard/api/sign-out', { method: 'POST', headers: bearer(token), body: {} });
      },
    );
    expect((await signedOut as { status: number }).status).toBe(200);
    expect(text).toContain('event: signed-out');
  });
});

describe('dashboard: operator requests', () => {
  it('go the local API way as dashboard:<name> (a body cannot claim another name) and are audited with who', async () => {
    h = await startDashboard();
    h.status.target = targetStatus({ phase: 'waiting-for-human', incident: { id: 'gw-1', state: 'waiting_human', level: 4, cause: 'x', openedAt: 1, approval: null } });
    const token = await signInAs(h.port, 'alice');
    const post = (path: string, body: unknown) => call(h!.port, `/dashboard/api/${path}`, { method: 'POST', headers: bearer(token), body });
    expect((await post('approve', { target: 'gw', approval: 'gw-1-a1', approved: true, by: 'discord:bob (1)' })).json).toEqual({
      target: 'gw',
      approval: 'gw-1-a1',
      approved: true,
      scope: 'once',
    });
    expect((await post('approve', { target: 'gw', approval: 'gw-1-a2', approved: false })).status).toBe(200);
    expect((await post('recover', { target: 'gw', level: 2, note: 'from the phone' })).status).toBe(202);
    expect((await post('pause', { target: 'gw', minutes: 30 })).status).toBe(200);
    expect((await post('resume', { target: 'gw' })).status).toBe(200);
    expect((await post('abort', { target: 'gw', note: null })).status).toBe(200);
    expect(h.calls).toEqual([
      { op: 'decide', args: ['gw-1-a1', true, 'dashboard:alice', 'once'] },
      { op: 'decide', args: ['gw-1-a2', false, 'dashboard:alice', 'once'] },
      { op: 'recover', args: [2, 'dashboard:alice', 'from the phone'] },
      { op: 'pause', args: ['dashboard:alice', h.clock.now() + 30 * 60_000] },
      { op: 'resume', args: ['dashboard:alice'] },
      { op: 'abort', args: ['dashboard:alice', null] },
    ]);
    const audit = (await h.store.listAudit({ limit: 6 })).reverse();
    expect(audit.map((r) => r.text)).toEqual([
      'dashboard:alice: approve gw-1-a1',
      'dashboard:alice: deny gw-1-a2',
      'dashboard:alice: recover level 2: from the phone',
      'dashboard:alice: pause 30 min',
      'dashboard:alice: resume',
      'dashboard:alice: abort',
    ]);
    for (const r of audit) expect(r).toMatchObject({ kind: 'operator', by: 'dashboard:alice', target: 'gw', incidentId: 'gw-1', level: 4 });
  });

  it('are validated by the API rules: a bad request is a 400 that says how to fix it, and nothing is done', async () => {
    h = await startDashboard();
    const token = await signInAs(h.port, 'alice');
    const res = await call(h.port, '/dashboard/api/approve', { method: 'POST', headers: bearer(token), body: { target: 'gw', approved: true } });
    expect(res.status).toBe(400);
    expect(res.json.error).toContain('approval is required: the id of the question you answer');
    const unknown = await call(h.port, '/dashboard/api/recover', { method: 'POST', headers: bearer(token), body: { target: 'nope', level: 1 } });
    expect(unknown.status).toBe(404);
    expect(h.calls).toEqual([]);
  });
});

describe('dashboard: reads', () => {
  it('masks every secret the redactor knows in the status, an incident, its transcript and the audit', async () => {
    h = await startDashboard();
    h.status.target = targetStatus({ lastProbe: { ok: false, at: 1, latencyMs: 3, status: null, error: `refused ${SECRET}` } });
    await h.store.saveIncident(incident({ cause: `crash, env had ${SECRET}`, failure: { class: 'crash', culprit: null, evidence: [`Error: bad key ${SECRET}`], summary: 'it crashed' } }));
    await h.store.appendRecord({ kind: 'step', at: 2, target: 'gw', incidentId: 'gw-1', level: 0, text: `restart (key ${SECRET})` });
    writeFileSync(join(h.transcriptDir, 'gw-1-agent-1.txt'), `$ cat .env\nANTHROPIC_API_KEY=${SECRET}\nRECOVERY SUMMARY: fixed\n`);
    const token = await signInAs(h.port, 'alice');
    const status = await call(h.port, '/dashboard/api/status', { headers: bearer(token) });
    const found = await call(h.port, '/dashboard/api/incidents/gw-1', { headers: bearer(token) });
    const list = await call(h.port, '/dashboard/api/incidents', { headers: bearer(token) });
    const audit = await call(h.port, '/dashboard/api/audit', { headers: bearer(token) });
    for (const res of [status, found, list, audit]) {
      expect(res.status).toBe(200);
      expect(res.text).not.toContain(SECRET);
    }
    expect(status.json.targets[0].lastProbe.error).toBe('refused [REDACTED]');
    expect(found.json.incident.failure).toEqual({ class: 'crash', culprit: null, evidence: ['Error: bad key [REDACTED]'], summary: 'it crashed' });
    expect(found.json.timeline.map((r: { text: string }) => r.text)).toEqual(['restart (key [REDACTED])']);
    expect(found.json.transcripts).toEqual([{ run: 1, lines: ['$ cat .env', 'ANTHROPIC_API_KEY=[REDACTED]', 'RECOVERY SUMMARY: fixed'], truncated: false }]);
  });

  it('searches the incident history by id, cause, state, outcome and failure class', async () => {
    h = await startDashboard();
    await h.store.saveIncident(incident({ id: 'gw-1', openedAt: 1, state: 'resolved', closedAt: 2, outcome: '1 restart', cause: 'gateway was killed by SIGKILL' }));
    await h.store.saveIncident(
      incident({ id: 'gw-2', openedAt: 3, state: 'waiting_human', cause: 'gateway exited with code 1', failure: { class: 'plugin-crash', culprit: 'crash-plugin', evidence: [], summary: 'plugin crash-plugin throws' } }),
    );
    await h.store.saveIncident(incident({ id: 'gw-3', openedAt: 5, state: 'resolved', closedAt: 6, outcome: 'fixed by restore-config', cause: 'config broken' }));
    const token = await signInAs(h.port, 'alice');
    const ids = async (q: string) =>
      (await call(h!.port, `/dashboard/api/incidents?q=${encodeURIComponent(q)}`, { headers: bearer(token) })).json.incidents.map((i: { id: string }) => i.id);
    expect(await ids('')).toEqual(['gw-3', 'gw-2', 'gw-1']);
    expect(await ids('plugin-crash')).toEqual(['gw-2']);
    expect(await ids('crash-plugin waiting')).toEqual(['gw-2']);
    expect(await ids('RESOLVED')).toEqual(['gw-3', 'gw-1']);
    expect(await ids('sigkill')).toEqual(['gw-1']);
    expect(await ids('restore-config')).toEqual(['gw-3']);
    expect(await ids('nothing-like-this')).toEqual([]);
    expect((await call(h.port, '/dashboard/api/incidents/gw-9', { headers: bearer(token) })).status).toBe(404);
  });
});
