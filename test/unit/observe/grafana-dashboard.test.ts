/**
 * deploy/grafana-dashboard.json is built on the names /metrics exports: valid JSON, every query
 * names only metrics the medic exports, and every metric of the medic's own has a panel.
 * (Grafana itself is not installed here: the dashboard is checked as data, not rendered.)
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMedicMetrics, exportedMetricNames } from '../../../src/observe/metrics/index.js';

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}

const doc = JSON.parse(readFileSync(new URL('../../../deploy/grafana-dashboard.json', import.meta.url), 'utf8')) as {
  panels: Panel[];
  templating: { list: { name: string; query?: unknown; definition?: string }[] };
  uid: string;
};
const panels = doc.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== 'row');
const exprs = [...panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)), ...doc.templating.list.map((v) => v.definition ?? '')].filter(Boolean);

/** Metric names in a PromQL expression: identifiers that are not functions, keywords, label names or label values. */
function metricNames(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\[[^\]]*\]/g, '');
  const withoutLabels = withoutStrings.replace(/\{[^}]*\}/g, '').replace(/\b(by|on|without|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  // Whole words; one followed by "(" is a function (sum, rate, histogram_quantile...).
  const words = [...withoutLabels.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)]
    .filter((m) => !/^\s*\(/.test(withoutLabels.slice(m.index + m[0].length)))
    .map((m) => m[0]);
  const keywords = new Set(['and', 'or', 'unless', 'by', 'on', 'without', 'offset', 'bool', 'le', 'label_values', 'target']);
  return words.filter((w) => !keywords.has(w) && !/^\d/.test(w) && !w.startsWith('$'));
}

/** A histogram's series name back to its family. */
const family = (name: string) => name.replace(/_(bucket|sum|count)$/, '');

describe('the Grafana dashboard', () => {
  it('every query names only metrics the medic exports', async () => {
    const exported = new Set(await exportedMetricNames(createMedicMetrics()));
    expect(panels.length).toBeGreaterThan(20);
    for (const p of panels) expect(p.targets?.length, p.title).toBeGreaterThan(0);
    const unknown: string[] = [];
    for (const expr of exprs) {
      const names = metricNames(expr);
      expect(names.length, expr).toBeGreaterThan(0);
      for (const n of names) if (!exported.has(n) && !exported.has(family(n))) unknown.push(`${n} in ${expr}`);
    }
    expect(unknown).toEqual([]);
  });

  it('shows every clawmedic_ metric', async () => {
    const own = (await exportedMetricNames(createMedicMetrics())).filter((n) => n.startsWith('clawmedic_'));
    const used = new Set(exprs.flatMap(metricNames).map(family));
    expect(own.filter((n) => !used.has(n))).toEqual([]);
  });

  it('the name extraction is not vacuous: a made-up metric is caught', () => {
    expect(metricNames('sum by (class) (increase(clawmedic_made_up_total{target=~"$target"}[5m]))')).toEqual(['clawmedic_made_up_total']);
    expect(metricNames('rate(process_cpu_seconds_total[5m]) and on (instance, job) clawmedic_info')).toEqual(['process_cpu_seconds_total', 'clawmedic_info']);
  });
});
