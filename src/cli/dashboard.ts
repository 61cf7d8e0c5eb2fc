/**
 * `clawmedic dashboard`: asks the running medic (with the API token, as every write does) for a
 * one-time sign-in link to its web dashboard and prints it. The link is good for one sign-in
 * within a few minutes; the browser exchanges it for a session and drops it from the address bar.
 */
import { userInfo } from 'node:os';
import { ApiError, callApi, type MedicEndpoint } from './client.js';
import { OPERATOR_NAME } from '../api/dashboard/sessions.js';
import { usageError, type CommandSpec } from './commands.js';

export interface DashboardLink {
  url: string;
  /** By the medic's clock. */
  expiresAt: number;
  /** How long it is good for, from when the medic made it (two clocks need not agree). */
  expiresInMs: number;
}

/** The name the audit will show (`dashboard:<name>`): `--name`, else the user's login name. */
export function dashboardName(spec: CommandSpec, given: string | undefined): string {
  const name = given ?? userInfo().username;
  if (!OPERATOR_NAME.test(name)) throw usageError(spec, `--name must be 1-64 letters, digits, spaces, ".", "_", "@" or "-" (got '${name}')`);
  return name;
}

export async function requestDashboardLink(medic: MedicEndpoint, name: string): Promise<DashboardLink> {
  const body = (await callApi(medic, 'POST', '/dashboard/api/link', { name })) as Partial<DashboardLink>;
  if (typeof body.url !== 'string' || typeof body.expiresAt !== 'number' || typeof body.expiresInMs !== 'number') {
    throw new ApiError(`the medic at ${medic.url} has no dashboard (it is older than this clawmedic): restart it with this version`);
  }
  return { url: body.url, expiresAt: body.expiresAt, expiresInMs: body.expiresInMs };
}

export function sayDashboardLink(link: DashboardLink): string {
  const minutes = Math.max(1, Math.round(link.expiresInMs / 60_000));
  return `Open this link to sign in to the dashboard (once, within ${minutes} min):\n  ${link.url}\nAfterwards the dashboard is at ${new URL(link.url).origin}/ (sign in again with the API token or a new link).`;
}
