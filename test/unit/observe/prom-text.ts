/**
 * `/metrics` read as Prometheus reads it: the text exposition parsed by a text-format parser
 * (parse-prometheus-text-format), then looked up by name and labels.
 */
// @ts-expect-error: the package ships no types; its one function is typed below.
import parseUntyped from 'parse-prometheus-text-format';

interface Sample {
  labels?: Record<string, string>;
  value?: string;
}
export interface Family {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: Sample[];
}

export const parsePrometheusText = parseUntyped as (text: string) => Family[];

/** One sample line: `name{a="x",b="y"} value`. */
interface Line {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseLines(text: string): Line[] {
  const out: Line[] = [];
  for (const raw of text.split('\n')) {
    if (!raw || raw.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(raw);
    if (!m) throw new Error(`not a sample line: ${raw}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/**
 * A scrape: validated and typed by the text-format parser (it throws on a malformed line), the
 * samples read line by line (that parser merges a labelled histogram's series, so its `_count`
 * and `_sum` are read from the lines).
 */
export class Scrape {
  readonly families: Map<string, Family>;
  private readonly lines: Line[];
  constructor(readonly text: string) {
    this.families = new Map(parsePrometheusText(text).map((f) => [f.name, f]));
    this.lines = parseLines(text);
  }

  family(name: string): Family {
    const f = this.families.get(name);
    if (!f) throw new Error(`no metric ${name} in the scrape`);
    return f;
  }

  private matching(name: string, labels: Record<string, string>): Line[] {
    return this.lines.filter((l) => l.name === name && Object.entries(labels).every(([k, v]) => l.labels[k] === v));
  }

  /** Whether a series of `name` with `labels` is exported. */
  has(name: string, labels: Record<string, string> = {}): boolean {
    return this.matching(name, labels).length > 0;
  }

  /** The value of the first series of `name` with `labels` (0 when absent). For a histogram, ask for `<name>_count` or `<name>_sum`. */
  value(name: string, labels: Record<string, string> = {}): number {
    return this.matching(name, labels)[0]?.value ?? 0;
  }

  /** Sum over every series of `name` that has `labels`. */
  sum(name: string, labels: Record<string, string> = {}): number {
    return this.matching(name, labels).reduce((n, l) => n + l.value, 0);
  }
}

export async function scrape(url: string): Promise<Scrape & { contentType: string }> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status}`);
  const s = new Scrape(await res.text()) as Scrape & { contentType: string };
  s.contentType = res.headers.get('content-type') ?? '';
  return s;
}
