/** Ephemeral answers: /status and /incident. */
import { EmbedBuilder } from '@discordjs/builders';
import type { APIEmbed } from 'discord.js';
import { formatDuration } from '../cli-render.js';
import type { MedicStatus } from '../medic.js';
import type { IncidentWithTimeline } from '../recovery/ports.js';
import { renderRecord, truncate, LIMITS } from '../bot/render.js';
import { describeVitals } from '../recovery/vitals/describe.js';

const HEALTH = { up: '🟢 up', down: '🔴 down', unknown: '⚪ unknown' } as const;

export function renderStatusEmbed(
  status: MedicStatus,
  bot: { state: string; lastError: string | null },
  only: string | null,
  now: number,
): APIEmbed {
  const targets = status.targets.filter((t) => !only || t.name === only);
  const embed = new EmbedBuilder()
    .setTitle(`clawmedic ${status.medic.version}`)
    .setDescription(only && !targets.length ? `No target named ${only}.` : null)
    .setFooter({ text: `medic up ${formatDuration(status.medic.uptimeMs)} · Discord link: ${bot.state}` });
  for (const t of targets.slice(0, 25)) {
    const lines = [
      `${HEALTH[t.health]}${t.paused ? ' · ⏸️ paused' : ''} · pid ${t.pid ?? '-'} · up ${t.startedAt && t.process === 'running' ? formatDuration(now - t.startedAt) : '-'}`,
      `restarts ${t.restarts} · last probe ${t.lastProbe ? (t.lastProbe.ok ? `${t.lastProbe.status} in ${t.lastProbe.latencyMs} ms` : t.lastProbe.error) : 'none yet'}`,
      t.incident
        ? `incident **${t.incident.id}**: ${t.incident.state.replace('_', ' ')} at level ${t.incident.level}${t.incident.approval ? ' · ❓ waiting for approval' : ''}`
        : 'no open incident',
      ...describeVitals(t, now),
    ];
    embed.addFields({ name: t.host ? `${t.host} · ${t.name}` : t.name, value: truncate(lines.join('\n'), LIMITS.field) });
  }
  return embed.toJSON();
}

/** The newest timeline entries that fit one embed, newest last. */
export function renderTimelineEmbed(found: IncidentWithTimeline): APIEmbed {
  const inc = found.incident;
  const lines: string[] = [];
  let size = 0;
  for (const r of [...found.timeline].reverse()) {
    const line = renderRecord(r);
    if (size + line.length + 1 > LIMITS.description - 100) {
      lines.unshift(`… ${found.timeline.length - lines.length} earlier entries: clawmedic incidents ${inc.id}`);
      break;
    }
    lines.unshift(line);
    size += line.length + 1;
  }
  return new EmbedBuilder()
    .setTitle(truncate(`${inc.id} · ${inc.cause}`, LIMITS.title))
    .setDescription(lines.join('\n') || 'no entries')
    .addFields(
      { name: 'State', value: inc.state.replace('_', ' '), inline: true },
      { name: 'Level', value: `${inc.level} (highest ${inc.maxLevel})`, inline: true },
      { name: 'Outcome', value: truncate(inc.outcome ?? '—', LIMITS.field), inline: true },
    )
    .toJSON();
}
