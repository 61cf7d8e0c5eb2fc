/**
 * The dashboard's page and its assets: plain HTML, CSS and JavaScript modules from `public/`
 * (copied next to the compiled code by `npm run build`), read once at start-up, served only by
 * their own names: no path from a request ever reaches the file system.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
};

export interface StaticFile {
  type: string;
  body: Buffer;
}

/** `public/` beside this module (src/ when run from source, dist/ once built). */
export const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

/** Every asset by its URL path (`/` is index.html), or an error that says how to fix a build without them. */
export function loadStaticFiles(dir = PUBLIC_DIR): Map<string, StaticFile> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    throw new Error(`the dashboard's files are missing (${dir}): rebuild clawmedic with npm run build`);
  }
  const files = new Map<string, StaticFile>();
  for (const name of names) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    const file = { type, body: readFileSync(join(dir, name)) };
    files.set(name === 'index.html' ? '/' : `/assets/${name}`, file);
  }
  return files;
}
