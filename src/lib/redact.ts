/**
 * Secrets out of everything that leaves the host: see `redact/redactor.ts` (what is masked and how)
 * and `redact/secret-sources.ts` (where the values come from).
 */
export { Redactor, refuseToShow, type ApprovalDisplay } from './redact/redactor.js';
export { secretValuesFromDoc, secretValuesFromEnv, secretValuesFromFile, secretValuesFromText } from './redact/secret-sources.js';
export { MASK } from './redact/spans.js';
