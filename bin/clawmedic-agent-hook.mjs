#!/usr/bin/env node
/**
 * Claude Code hook command (PreToolUse, PermissionRequest, Stop, Notification): forwards the
 * event it gets on stdin to the clawmedic session that started the agent, waits for the answer
 * (an operator may take minutes) and prints it for Claude Code. It fails closed: a PreToolUse or
 * PermissionRequest without an answer (no env, the medic unreachable, an error status, an
 * unreadable answer) is denied, never left to Claude Code's own rules. Other events print nothing.
 * No dependencies and no timeout of its own: Claude Code's hook timeout bounds it.
 */
import { request } from 'node:http';

const url = process.env.CLAWMEDIC_HOOK_URL;
const token = process.env.CLAWMEDIC_HOOK_TOKEN;

let input = '';
let event = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', () => {
  try {
    event = String(JSON.parse(input).hook_event_name ?? '');
  } catch {
    event = '';
  }
  if (!url || !token) return deny('the hook has no CLAWMEDIC_HOOK_URL or CLAWMEDIC_HOOK_TOKEN');
  try {
    const req = request(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, answer);
    req.on('error', (err) => fail(err.message));
    req.end(input);
  } catch (err) {
    fail(err.message); // e.g. a malformed CLAWMEDIC_HOOK_URL
  }
});

/** Says why on stderr and denies the call, if it is one that waits for a decision. */
function fail(why) {
  process.stderr.write(`clawmedic hook: ${why}\n`);
  deny(`no answer from the medic (${why}): denied`);
}

function deny(reason) {
  const message = `clawmedic: ${reason}`;
  if (event === 'PreToolUse') {
    process.stdout.write(JSON.stringify({ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'deny', permissionDecisionReason: message } }));
  } else if (event === 'PermissionRequest') {
    process.stdout.write(JSON.stringify({ hookSpecificOutput: { hookEventName: 'PermissionRequest', decision: { behavior: 'deny', message } } }));
  }
}

/** Prints the decision clawmedic sends back (Claude Code reads it from stdout). */
function answer(res) {
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (chunk) => (body += chunk));
  res.on('end', () => {
    if (res.statusCode !== 200) return fail(`HTTP ${res.statusCode}: ${body.slice(0, 200)}`);
    let output;
    try {
      output = JSON.parse(body).output;
    } catch {
      return fail('unreadable answer');
    }
    if (typeof output === 'string' && output) process.stdout.write(output);
    else if (event === 'PreToolUse' || event === 'PermissionRequest') fail('an empty answer');
  });
}
