/** Composition: the scheduled digest's outputs (alert channels, then Discord). */
import type { MedicConfig } from '../config.js';
import type { Clock, Logger, Store } from '../recovery/ports.js';
import type { Redactor } from '../lib/redact.js';
import type { MedicBot } from '../bot/bot.js';
import type { Alerting } from '../notify/index.js';
import { DigestPoster, type DigestOutput } from '../report/digest-poster.js';

/**
 * The weekly digest on DIGEST_SCHEDULE: to the alert channels (first: their queues are durable), then
 * to Discord's incident channel. Not in fleet mode yet: every host would post its own (`clawmedic digest`
 * prints one there).
 */
export function buildDigestPoster(
  config: MedicConfig,
  d: { bot: MedicBot | null; alerting: Alerting; store: Store; clock: Clock; log: Logger; redactor: Redactor },
): DigestPoster | null {
  if (config.fleet) {
    if (config.alerts.digestSchedule.kind !== 'off') d.log.info('digest: not posted on a schedule in fleet mode (each host would post its own); clawmedic digest prints one');
    return null;
  }
  const outputs: DigestOutput[] = [];
  if (d.alerting.takesDigests()) outputs.push({ name: 'alerts', post: async (digest) => void (await d.alerting.postDigest(digest)) });
  const bot = d.bot;
  if (bot) outputs.push({ name: 'discord', post: (digest) => bot.postDigest(digest) });
  return new DigestPoster({ schedule: config.alerts.digestSchedule, clock: d.clock, store: d.store, log: d.log, outputs, redact: (text) => d.redactor.redact(text) });
}

