/** Operator requests arriving on the local API, validated with messages that say how to fix them. */
import { z } from 'zod';
import { RequestRejectedError } from '../errors.js';
import type { Medic } from '../medic.js';
import type { Level } from '../recovery/types.js';

export type OperatorRequest =
  | { kind: 'recover'; target: string; level: Level; note: string | null; by: string }
  | { kind: 'abort'; target: string; note: string | null; by: string }
  | { kind: 'pause'; target: string; minutes: number | null; by: string }
  | { kind: 'resume'; target: string; by: string }
  | { kind: 'approve'; target: string; approval: string; approved: boolean; scope: 'once' | 'incident'; by: string };

const base = {
  target: z.string().min(1, 'target is required'),
  /** Who asks, as the token holder says; recorded as `api:<by>`. */
  by: z.string().min(1).max(100).optional(),
};
const schemas = {
  '/recover': z.object({
    ...base,
    level: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3), z.literal(4)], {
      message: 'level must be 0, 1, 2, 3 or 4',
    }),
    note: z.string().max(500).nullable().default(null),
  }),
  '/abort': z.object({ ...base, note: z.string().max(500).nullable().default(null) }),
  '/pause': z.object({ ...base, minutes: z.number().int().positive().max(7 * 24 * 60).nullable().default(null) }),
  '/resume': z.object(base),
  '/approve': z.object({
    ...base,
    // The answer names its question (GET /status: incident.approval.id): never whichever happens to be open.
    approval: z.string({ message: 'approval is required: the id of the question you answer (GET /status shows it as incident.approval.id)' }).min(1),
    approved: z.boolean({ message: 'approved must be true or false' }),
    // AI agent questions: 'incident' also allows the agent's further actions until the incident ends.
    scope: z.enum(['once', 'incident'], { message: "scope must be 'once' or 'incident'" }).default('once'),
  }),
} as const;

/**
 * `actor`: who asks, when the caller knows it (a signed-in dashboard operator, `dashboard:<name>`): the
 * body's `by` is then ignored. Without it, the token holder's `by` is recorded as `api:<by>`.
 */
export function parseOperatorRequest(path: string, body: unknown, actor?: string): OperatorRequest {
  const schema = schemas[path as keyof typeof schemas];
  if (!schema) throw new RequestRejectedError(`no such endpoint: POST ${path}`, 404);
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const msg = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
    throw new RequestRejectedError(msg, 400);
  }
  // Whatever name the token holder gives, the record says it came through the API: it cannot pass for a Discord operator.
  const by = actor ?? (parsed.data.by === undefined ? 'api' : `api:${parsed.data.by}`);
  return { kind: path.slice(1), ...parsed.data, by } as OperatorRequest;
}

/**
 * Runs one operator request through the target's watchdog (the ladder's own checks, in its queue):
 * the one path the local API and the dashboard share. Resolves with the HTTP status and answer;
 * a refusal rejects with a `RequestRejectedError`.
 */
export async function performOperatorRequest(medic: Medic, op: OperatorRequest, now: () => number = Date.now): Promise<{ status: number; body: Record<string, unknown> }> {
  const dog = medic.target(op.target);
  switch (op.kind) {
    case 'recover':
      return { status: 202, body: { target: op.target, incident: await dog.recover(op.level, op.by, op.note) } };
    case 'abort':
      return { status: 200, body: { target: op.target, incident: await dog.abort(op.by, op.note) } };
    case 'pause':
      await dog.pause(op.by, op.minutes === null ? null : now() + op.minutes * 60_000);
      return { status: 200, body: { target: op.target, paused: true } };
    case 'resume':
      await dog.resume(op.by);
      return { status: 200, body: { target: op.target, paused: false } };
    case 'approve':
      return {
        status: 200,
        body: { target: op.target, approval: await dog.decide(op.approval, op.approved, op.by, op.scope), approved: op.approved, scope: op.scope },
      };
  }
}
