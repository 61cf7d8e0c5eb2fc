/**
 * Zero configuration on a real install: most users ran `openclaw gateway install`, which left a
 * systemd user unit (`~/.config/systemd/user/openclaw-gateway[-<profile>].service`) or a launchd
 * agent (`~/Library/LaunchAgents/ai.openclaw.gateway.plist`). With nothing configured, the medic
 * finds that unit, reads its port, config path and log file, and drives the gateway through the
 * service manager instead of only watching it. Reads files only; runs nothing.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readExistingGatewayUnit } from './carry-over.js';
import { gatewayServiceCommands, unitDir, unitRef, UNIT_MARKER, type Platform, type UnitRef } from './options.js';

export interface DetectedGatewayService {
  platform: Platform;
  unit: UnitRef;
  /** From `--port` or `OPENCLAW_GATEWAY_PORT`; null: OpenClaw's default 18789. */
  port: number | null;
  /** `OPENCLAW_CONFIG_PATH`, else `$OPENCLAW_STATE_DIR/openclaw.json`, else null (the medic's default). */
  configPath: string | null;
  /** Where the service manager writes the gateway's output (launchd `StandardOutPath`, systemd `append:`), or null (the journal). */
  logFile: string | null;
  /** Other units of that kind (OpenClaw profiles) that were not chosen. */
  others: string[];
}

/** Settings that say the user chose what to supervise: then nothing is detected. */
export const EXPLICIT_TARGET_SETTINGS = ['GATEWAY_COMMAND', 'GATEWAY_RESTART_COMMAND', 'GATEWAY_HEALTH_URL', 'MEDIC_TARGETS_FILE'] as const;

export interface DetectOptions {
  home: string;
  os: NodeJS.Platform;
  /** Default: node:fs. */
  readText?: (path: string) => Promise<string | null>;
  listDir?: (path: string) => Promise<string[]>;
}

const readText = (path: string) => readFile(path, 'utf8').catch(() => null);
const listDir = (path: string) => readdir(path).catch(() => [] as string[]);

/** OpenClaw's gateway service of this user, or null (none, not this OS, or clawmedic's own unit). */
export async function detectGatewayService(o: DetectOptions): Promise<DetectedGatewayService | null> {
  const platform: Platform | null = o.os === 'linux' ? 'systemd' : o.os === 'darwin' ? 'launchd' : null;
  if (!platform) return null;
  const read = o.readText ?? readText;
  const main = unitRef(platform, o.home, 'gateway');
  const candidates = [main.path];
  if (platform === 'systemd') {
    const profiles = (await (o.listDir ?? listDir)(unitDir(platform, o.home))).filter((f) => /^openclaw-gateway-[\w.-]+\.service$/.test(f)).sort();
    candidates.push(...profiles.map((f) => join(unitDir(platform, o.home), f)));
  }
  const found: { path: string; text: string }[] = [];
  for (const path of candidates) {
    const text = await read(path);
    if (text !== null) found.push({ path, text });
  }
  const chosen = found[0];
  // clawmedic's own unit: its medic unit already says how to drive it.
  if (!chosen || chosen.text.includes(UNIT_MARKER)) return null;
  const name = chosen.path.split('/').pop()!;
  const unit: UnitRef = { role: 'gateway', name: platform === 'systemd' ? name : main.name, path: chosen.path };
  const carried = readExistingGatewayUnit(platform, chosen.path, chosen.text);
  const env = new Map(carried.env);
  const portFlag = carried.flags.find((g) => g[0] === '--port' || g[0]!.startsWith('--port='));
  const rawPort = portFlag ? (portFlag[1] ?? portFlag[0]!.split('=')[1]) : env.get('OPENCLAW_GATEWAY_PORT');
  const port = rawPort && /^\d+$/.test(rawPort) ? Number(rawPort) : null;
  const stateDir = env.get('OPENCLAW_STATE_DIR');
  const configPath = env.get('OPENCLAW_CONFIG_PATH') ?? (stateDir ? join(stateDir, 'openclaw.json') : null);
  return { platform, unit, port, configPath, logFile: logFileOf(platform, chosen.text), others: found.slice(1).map((f) => f.path) };
}

function logFileOf(platform: Platform, text: string): string | null {
  if (platform === 'launchd') return /<key>StandardOutPath<\/key>\s*<string>([^<]+)<\/string>/.exec(text)?.[1] ?? null;
  return /^StandardOutput\s*=\s*(?:append|file):(.+)$/m.exec(text)?.[1]?.trim() ?? null;
}

/**
 * The environment that makes the medic drive the detected service (`GATEWAY_RESTART_COMMAND`,
 * `GATEWAY_STOP_COMMAND`, the health URL on its port, its config and log file), or null when the
 * user configured a target already (`EXPLICIT_TARGET_SETTINGS`).
 */
export function serviceEnvironment(d: DetectedGatewayService, user: { home: string; uid: number }, env: NodeJS.ProcessEnv): Record<string, string> | null {
  if (EXPLICIT_TARGET_SETTINGS.some((k) => env[k]?.trim())) return null;
  const commands = gatewayServiceCommands({ platform: d.platform, home: user.home, uid: user.uid });
  // An OpenClaw profile's unit (openclaw-gateway-<profile>.service) is driven by its own name.
  const own = unitRef(d.platform, user.home, 'gateway').name;
  const named = (command: string) => (d.unit.name === own ? command : command.replaceAll(own, d.unit.name));
  const out: Record<string, string> = {
    GATEWAY_COMMAND: '',
    GATEWAY_RESTART_COMMAND: named(commands.restart),
    GATEWAY_STOP_COMMAND: named(commands.stop),
    GATEWAY_HEALTH_URL: `http://127.0.0.1:${d.port ?? 18789}/healthz`,
  };
  if (d.configPath && !env.GATEWAY_CONFIG_PATH?.trim()) out.GATEWAY_CONFIG_PATH = d.configPath;
  if (d.logFile && !env.GATEWAY_LOG_FILE?.trim()) out.GATEWAY_LOG_FILE = d.logFile;
  return out;
}

/** What was found and what the medic will do, for the start-up log. */
export function describeDetection(d: DetectedGatewayService, vars: Record<string, string>): string[] {
  const lines = [
    `found OpenClaw's gateway service ${d.unit.name} (${d.unit.path}): supervising it through ${d.platform === 'systemd' ? 'systemctl --user' : 'launchctl'}` +
      ` (health ${vars.GATEWAY_HEALTH_URL}, config ${vars.GATEWAY_CONFIG_PATH ?? 'the default ~/.openclaw/openclaw.json'}, log ${vars.GATEWAY_LOG_FILE ?? (d.platform === 'systemd' ? 'in the journal' : 'none')}); set GATEWAY_COMMAND or GATEWAY_RESTART_COMMAND in .env to choose otherwise`,
  ];
  if (d.others.length) lines.push(`other OpenClaw gateway units, not supervised: ${d.others.join(', ')} (MEDIC_TARGETS_FILE supervises several)`);
  return lines;
}
