#!/usr/bin/env node
// The clawmedic command; the code lives in dist/ (built by `npm install` / `npm run build`).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('clawmedic is not built yet: run `npm install` (or `npm run build`) in its folder first.');
  process.exit(2);
}
const { cli } = await import(entry.href);
await cli();
process.exit(process.exitCode ?? 0);
