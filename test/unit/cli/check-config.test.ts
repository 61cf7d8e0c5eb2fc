/** check-config: a short account of what the medic will do, the full dump under --json. */
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli.js';

async function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, env, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), width: undefined });
  return { code, out, err };
}

const base = { PATH: '/nonexistent', HOME: '/tmp/clawmedic-home' };

describe('clawmedic check-config', () => {
  it('says what is supervised, how it restarts, level 3 and the bot, and warns about watch-only', async () => {
    const r = await run(['check-config'], base);
    expect(r.code).toBe(0);
    expect(r.out).toContain('configuration ok: 1 target(s)');
    expect(r.out).toContain('openclaw: only watches the gateway');
    expect(r.out).toMatch(/^level 3 \(AI agent\): off: /m);
    expect(r.out).toContain('Discord bot: off (DISCORD_TOKEN is not set)');
    expect(r.out).toContain('  - openclaw: watch-only: set GATEWAY_COMMAND=openclaw gateway run');
    expect(r.out).not.toContain('{');
  });

  it('warns when the gateway command is not on the PATH', async () => {
    const r = await run(['check-config'], { ...base, GATEWAY_COMMAND: 'openclaw gateway run' });
    expect(r.out).toContain("openclaw: runs and supervises `openclaw gateway run` (restarts it itself)");
    expect(r.out).toContain("  - openclaw: GATEWAY_COMMAND runs 'openclaw', which is not on the PATH");
  });

  it('--json prints every setting, secrets only as [set]', async () => {
    const r = await run(['check-config', '--json'], { ...base, MEDIC_API_TOKEN: 'a-token-of-24-characters' });
    const dump = JSON.parse(r.out) as { apiToken: string; targets: unknown[] };
    expect(dump.apiToken).toBe('[set]');
    expect(dump.targets).toHaveLength(1);
    expect(r.out).not.toContain('a-token-of-24-characters');
  });
});

describe('clawmedic check-config on a machine with OpenClaw installed as a service', () => {
  it('says what it found and that it will drive that service (what run does)', async () => {
    const { mkdirSync, mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { openclawSystemdUnit } = await import('../deploy/openclaw-units.js');
    const home = mkdtempSync(join(tmpdir(), 'clawmedic-cc-'));
    mkdirSync(join(home, '.config/systemd/user'), { recursive: true });
    writeFileSync(join(home, '.config/systemd/user/openclaw-gateway.service'), openclawSystemdUnit('--port 18795'));
    const r = await run(['check-config'], { PATH: '/nonexistent', HOME: home });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^found OpenClaw's gateway service openclaw-gateway\.service .*supervising it through systemctl --user/m);
    expect(r.out).toContain('openclaw: watches the gateway and restarts it with `systemctl --user reset-failed openclaw-gateway.service');
    expect(r.out).toContain('health http://127.0.0.1:18795/healthz');
  });
});
