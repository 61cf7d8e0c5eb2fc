/**
 * What the chaos scenarios measure, written one JSON line per recovery to the run's report
 * file and printed as a table at the end. Figures, never assertions: a timing goal belongs
 * in bench/, a test only checks outcomes.
 */
import { appendFileSync } from 'node:fs';
import type { FailureClassName } from '../../src/recovery/types.js';

/**
 * One failure class's outcome in one chaos test, for the README's per-class table
 * (`npm run chaos:table -- <report.jsonl>`, test/chaos/class-table.ts). Recorded only once the
 * test's assertions about it passed.
 */
export interface ClassRow {
  /** The class the incident named. */
  class: FailureClassName;
  /** The fault as the table says it, and the chaos test that made it. */
  fault: string;
  test: string;
  culprit: string | null;
  /** `healthy`, or level 4 when a person's step is what the class calls for (the step itself is `person`). */
  endState: string;
  /** Healthy again with no person acting. */
  healed: boolean;
  /** What a person was asked for (the step, or a finding beside a healed gateway); null: nobody. */
  person: string | null;
  /** The fault to the end state. */
  ms: number;
  /** Gateway restarts the medic made for the fault. */
  restarts: number;
  /** The gateway's own start-up (exec to its first 200) measured in the same test; null: none started. */
  floorMs: number | null;
  /** What the incident said: its class summary and the first evidence line. */
  said: string;
  /** More about the end state (the table shows it after it), e.g. how long before a crash a planned restart came. */
  note?: string;
}

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
  /** When it was recorded, the load average then (1, 5, 15 min) and the OpenClaw it ran (set by the harness). */
  at?: string;
  load?: number[];
  openclaw?: string;
  /** The failure class this measurement shows, for the README's per-class table. */
  classRow?: ClassRow;
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
