#!/usr/bin/env node
/**
 * Claude Code hook command (PermissionRequest, Stop, Notification): forwards the event it
 * gets on stdin to the clawmedic session that started the agent, waits for the answer
 * (an operator may take minutes) and prints it for Claude Code. Without an answer it prints
 * nothing: Claude Code then shows its own dialog, which clawmedic answers on screen.
 * No dependencies and no timeout of its own: Claude Code's hook timeout bounds it.
 */
import { request } from 'node:http';

const url = process.env.CLAWMEDIC_HOOK_URL;
const token = process.env.CLAWMEDIC_HOOK_TOKEN;

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', () => {
  if (!url || !token) return;
  try {
    const req = request(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, answer);
    req.on('error', (err) => process.stderr.write(`clawmedic hook: ${err.message}\n`));
    req.end(input);
  } catch (err) {
    process.stderr.write(`clawmedic hook: ${err.message}\n`); // e.g. a malformed CLAWMEDIC_HOOK_URL
  }
});

/** Prints the decision clawmedic sends back (Claude Code reads it from stdout). */
function answer(res) {
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (chunk) => (body += chunk));
  res.on('end', () => {
    if (res.statusCode !== 200) {
      process.stderr.write(`clawmedic hook: HTTP ${res.statusCode}: ${body.slice(0, 200)}\n`);
      return;
    }
    try {
      const { output } = JSON.parse(body);
      if (typeof output === 'string' && output) process.stdout.write(output);
    } catch {
      process.stderr.write('clawmedic hook: unreadable answer\n');
    }
  });
}
