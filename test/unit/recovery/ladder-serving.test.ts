/** GatewayServing: the pid shown is the process serving the port, not the shell or wrapper it was started as. */
import { describe, expect, it } from 'vitest';
import { LadderHarness, boot, killed, records, started } from './ladder-harness.js';

const serving = (pid: number) => ({ type: 'GatewayServing', pid }) as const;

describe('the serving pid', () => {
  it('replaces the started pid of the running gateway, quietly outside an incident', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    expect(h.send(serving(101))).toEqual([]);
    expect(h.state.process).toMatchObject({ status: 'running', pid: 101 });
  });

  it('is written on the timeline of an open incident', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    h.send(killed());
    h.send(started(200));
    expect(records(h.send(serving(201)))).toEqual(['gateway listening as pid 201 (started as pid 200)']);
    expect(h.state.process.pid).toBe(201);
    expect(h.send(serving(201))).toEqual([]); // the same pid again: nothing new
  });

  it('before it listens, names the re-launched gateway process on the timeline as such', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    h.send(killed());
    h.send(started(200));
    expect(records(h.send({ type: 'GatewayServing', pid: 201, listens: false }))).toEqual(['gateway runs as pid 201 (started as pid 200)']);
    expect(h.send(serving(201))).toEqual([]); // then found listening: the same process, nothing new
    expect(h.state.process.pid).toBe(201);
  });

  it('is ignored for a gateway that is not running (late news of an ended run)', () => {
    const h = new LadderHarness();
    h.bootHealthy(100);
    h.send(killed());
    expect(h.state.process.status).not.toBe('running');
    expect(h.send(serving(101))).toEqual([]);
    expect(h.state.process.pid).toBeNull();
  });

  it('applies to an adopted gateway too', () => {
    const h = new LadderHarness();
    h.send(boot(300));
    h.send(serving(301));
    expect(h.state.process).toMatchObject({ status: 'running', pid: 301 });
  });
});
