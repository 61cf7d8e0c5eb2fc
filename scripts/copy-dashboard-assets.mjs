// `npm run build`: the dashboard's page and assets (plain files, no build of their own) go next to
// the compiled code, where src/api/dashboard/static-files.ts looks for them.
import { cpSync, rmSync } from 'node:fs';

const from = new URL('../src/api/dashboard/public/', import.meta.url);
const to = new URL('../dist/api/dashboard/public/', import.meta.url);
rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true });
