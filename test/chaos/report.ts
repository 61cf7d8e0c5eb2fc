/**
 * What the chaos scenarios measure, written one JSON line per recovery to the run's report
 * file and printed as a table at the end. Figures, never assertions: a timing goal belongs
 * in bench/, a test only checks outcomes.
 */
import { appendFileSync } from 'node:fs';

export interface Measurement {
  scenario: string;
  /** The fault (kill, corruption + kill, medic start on a broken setup) to the first 200 from /healthz. */
  faultToHealthyMs: number;
  /** The fault to the medic's incident resolved. */
  faultToResolvedMs: number | null;
  /** The floor: exec of the gateway run that came back to its first 200 (its own start-up time). */
  floorMs: number;
  /** Incidents the fault opened: id, how it ended, highest level. */
  incidents: { id: string; outcome: string | null; maxLevel: number }[];
  /** The incidents' timelines, "+seconds text" per line. */
  timeline: string[];
  note?: string;
}

export function appendMeasurement(file: string, m: Measurement): void {
  appendFileSync(file, `${JSON.stringify(m)}\n`);
}

const secs = (ms: number | null) => (ms === null ? '-' : (ms / 1000).toFixed(1));

function summary(values: number[]): string {
  if (values.length === 0) return '-';
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return values.length === 1 ? secs(median) : `${secs(median)} (${secs(sorted[0]!)}-${secs(sorted.at(-1)!)})`;
}

/** One row per scenario: median (min-max) over its recoveries, in seconds. */
export function formatMeasurements(rows: Measurement[]): string {
  const scenarios = [...new Set(rows.map((r) => r.scenario))];
  const header = ['scenario', 'n', 'fault->healthy s', 'fault->resolved s', 'floor s', 'overhead s', 'outcomes'];
  const lines = scenarios.map((name) => {
    const of = rows.filter((r) => r.scenario === name);
    const outcomes = [...new Set(of.flatMap((r) => r.incidents.map((i) => `L${i.maxLevel} ${i.outcome ?? 'open'}`)))].join('; ');
    return [
      name,
      String(of.length),
      summary(of.map((r) => r.faultToHealthyMs)),
      summary(of.flatMap((r) => (r.faultToResolvedMs === null ? [] : [r.faultToResolvedMs]))),
      summary(of.map((r) => r.floorMs)),
      summary(of.map((r) => r.faultToHealthyMs - r.floorMs)),
      outcomes,
    ];
  });
  const table = [header, ...lines];
  const widths = header.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return table.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')).join('\n');
}
