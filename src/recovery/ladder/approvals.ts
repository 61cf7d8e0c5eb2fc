/**
 * Questions for a person: stop a foreign process holding the port, restore the config under
 * a running gateway (level 2), or let the AI agent run a tool call (level 3, `agent.ts`).
 * One question is open at a time; unanswered by its deadline it counts as denied.
 */
import type { PendingApproval, TargetState } from '../types.js';
import { agentDecided, agentQuestionClosed, agentQuestionExpired } from './agent.js';
import { record, type Step } from './context.js';
import { escalate } from './incident.js';
import { repair } from './repair.js';

export function ask(c: Step, kind: PendingApproval['kind'], pid: number, command: string, question: string): void {
  const inc = c.s.incident!;
  const approval: PendingApproval = {
    id: `${inc.id}-a${inc.tried.length + 1}`,
    kind,
    pid,
    command,
    question,
    requestedAt: c.now,
    expiresAt: c.now + c.o.approvalTimeoutMs,
  };
  inc.approval = approval;
  record(c, 'step', `approval needed: ${approval.question}`);
  c.actions.push({ type: 'RequestApproval', incidentId: inc.id, approval });
}

export function approvalDecided(c: Step, approvalId: string, approved: boolean, by: string, scope: 'once' | 'incident'): void {
  const inc = c.s.incident;
  const a = inc?.approval;
  if (!inc || !a || a.id !== approvalId) return; // a stale button or a second answer: nothing to do
  if (a.kind === 'agent-tool') return agentDecided(c, a, approved, by, scope);
  const what = a.kind === 'stop-port-holder' ? `stop pid ${a.pid} (${a.command})` : 'restore the last-known-good config';
  record(c, 'operator', `${by} ${approved ? 'approved' : 'denied'}: ${what}`, by);
  closeApproval(c, approved ? 'approved' : 'denied', by);
  if (a.kind === 'restore-config') {
    if (approved) return repair(c, 'restore-config');
    return escalate(c, `${by} declined restoring the config; fix it before the gateway restarts`);
  }
  if (approved) return repair(c, 'stop-port-holder', a.pid);
  escalate(c, `${by} denied stopping pid ${a.pid} (${a.command}), which holds the port`);
}

/** The open question goes (answered, expired or withdrawn): its buttons must go too. */
export function closeApproval(c: Step, outcome: 'approved' | 'denied' | 'expired' | 'withdrawn', by: string | null): void {
  const inc = c.s.incident!;
  const a = inc.approval;
  if (!a) return;
  inc.approval = null;
  if (outcome === 'expired') record(c, 'step', `approval ${a.id} expired: treated as denied`);
  c.actions.push({ type: 'ApprovalClosed', incidentId: inc.id, approval: a, outcome, by });
  agentQuestionClosed(c, a, outcome, by);
}

/** Tick: an unanswered question past its deadline counts as denied. True when one expired. */
export function expireApproval(c: Step): boolean {
  const inc = c.s.incident;
  if (!inc?.approval || c.now < inc.approval.expiresAt) return false;
  const a = inc.approval;
  closeApproval(c, 'expired', null);
  if (agentQuestionExpired(a)) return true;
  const mins = Math.round(c.o.approvalTimeoutMs / 60_000);
  escalate(c, `nobody answered within ${mins} min whether to stop pid ${a.pid} (${a.command}); treated as denied`);
  return true;
}

/** Why an answer to approval `approvalId` cannot be taken, or null when it can. */
export function checkApproval(state: TargetState, approvalId: string | null): string | null {
  const pending = state.incident?.approval;
  if (!pending) return `${state.target} has no question waiting for an answer`;
  if (approvalId !== null && pending.id !== approvalId) return `approval ${approvalId} is no longer open (the open one is ${pending.id})`;
  return null;
}
