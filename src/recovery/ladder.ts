/** Kept for the imports outside `src/recovery` (e.g. `src/agent/prompt.ts`): the ladder lives in `ladder/`. */
export * from './ladder/index.js';
