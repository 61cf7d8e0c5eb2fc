/** Parsing a table of settings: each problem recorded with how to fix it, the default kept. */
import type { z } from 'zod';
import type { Field, Parsed } from './fields.js';

/** Parses each field of `table` from `raw(field)`; a problem is recorded (with `fix`) and the default kept. */
export function parseTable<T extends Record<string, Field>>(
  table: T,
  raw: (key: string, field: Field) => unknown,
  where: (key: string, field: Field) => string,
  fix: (field: Field) => string,
  problems: string[],
): Parsed<T> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(table)) out[key] = parseField(spec, raw(key, spec), where(key, spec), fix(spec), problems);
  return out as Parsed<T>;
}

/** Parses one field; on failure records a problem with how to fix it and returns the default. */
export function parseField(spec: Field, raw: unknown, where: string, fix: string, problems: string[]): unknown {
  if (raw === undefined || raw === '') return spec.def;
  const parsed = spec.schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  problems.push(`${describeIssue(where, raw, parsed.error.issues[0]!)}: ${fix}`);
  return spec.def;
}

function describeIssue(where: string, value: unknown, issue: z.core.$ZodIssue): string {
  // A secret's value is never echoed, even a wrong one.
  const secret = /TOKEN|SECRET|PASSWORD|API_KEY/.test(where) && typeof value === 'string';
  const got = secret ? `a value of ${value.length} characters` : typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
  const i = issue as z.core.$ZodIssue & { expected?: string; minimum?: unknown; maximum?: unknown; values?: unknown[]; format?: string };
  let rule: string;
  if (i.code === 'invalid_type' && (i.expected === 'number' || i.expected === 'int')) rule = 'must be a whole number';
  else if (i.code === 'too_small' && (i as { origin?: string }).origin === 'string') {
    rule = Number(i.minimum) > 1 ? `must be at least ${String(i.minimum)} characters long` : 'must not be empty';
  } else if (i.code === 'too_small') rule = typeof value === 'string' && !/^-?\d/.test(value) ? 'must not be empty' : `must be at least ${String(i.minimum)}`;
  else if (i.code === 'too_big') rule = `must be at most ${String(i.maximum)}`;
  else if (i.code === 'invalid_value' && i.values) rule = `must be one of ${i.values.join(', ')}`;
  else if (i.code === 'invalid_format' && i.format === 'url') rule = 'must be an http(s) URL such as http://127.0.0.1:18789/healthz';
  else if (i.code === 'invalid_format' && i.format === 'regex') rule = issue.message; // the schema says what it wants
  else rule = issue.message.toLowerCase();
  return `${where} ${rule} (got ${got})`;
}
