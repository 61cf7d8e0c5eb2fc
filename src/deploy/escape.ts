/**
 * Escaping for the two unit formats and for the shell commands the units carry.
 * Each function either returns text that the target parser reads back as exactly
 * `value`, or throws `UnitValueError`: a value that cannot be written safely is refused.
 */

/** A value cannot be written into a unit file (a newline in a path, a control character...). */
export class UnitValueError extends Error {
  override readonly name = 'UnitValueError';
  constructor(
    readonly field: string,
    readonly value: string,
    reason: string,
  ) {
    super(`${field} ${reason} (got ${JSON.stringify(value)})`);
  }
}

// XML 1.0 allows tab, LF and CR among the control characters; plist readers do not keep a lone CR.
const XML_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000d\u000e-\u001f\ufffe\uffff]/;
// systemd reads unit files line by line: no line breaks, and no control characters in a value.
const SYSTEMD_FORBIDDEN = /[\u0000-\u001f\u007f]/;

/** Text for an XML element (a plist `<string>` or `<key>`): `&`, `<` and `>` as entities. */
export function escapeXml(value: string, field: string): string {
  if (XML_FORBIDDEN.test(value)) throw new UnitValueError(field, value, 'holds a control character XML cannot carry');
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

function checkSystemd(value: string, field: string): void {
  if (SYSTEMD_FORBIDDEN.test(value)) throw new UnitValueError(field, value, 'holds a line break or control character a unit file cannot carry');
}

/**
 * One double-quoted word for `Environment=` (systemd.syntax(7): quotes and C escapes are
 * decoded, `%` starts a specifier; `$` is literal there).
 */
export function quoteSystemdWord(value: string, field: string): string {
  checkSystemd(value, field);
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%')}"`;
}

/**
 * One argument of `ExecStart=`: bare when plainly safe, else quoted as for `Environment=`
 * with `$` doubled (`ExecStart=` expands `$VAR`).
 */
export function quoteSystemdArg(value: string, field: string): string {
  if (/^[A-Za-z0-9_/.:@+=,-]+$/.test(value)) return value;
  return quoteSystemdWord(value, field).replace(/\$/g, '$$$$');
}

/**
 * The executable, the first word of `ExecStart=`: quoted when needed, `%` escaped, but `$` is
 * literal there (no variable expansion), and systemd refuses quotes and backslashes in it.
 */
export function quoteSystemdExecutable(value: string, field: string): string {
  checkSystemd(value, field);
  if (!value.startsWith('/')) throw new UnitValueError(field, value, 'must be an absolute path');
  if (/["'\\]/.test(value)) throw new UnitValueError(field, value, 'holds a quote or backslash, which systemd refuses in the path of an executable');
  if (/^[A-Za-z0-9_/.:@+=,-]+$/.test(value)) return value;
  return `"${value.replace(/%/g, '%%')}"`;
}

/**
 * A path setting (`WorkingDirectory=`, `StandardOutput=append:`): taken verbatim up to the
 * end of the line after specifier expansion, so only `%` is escaped; quotes would be kept.
 */
export function escapeSystemdPath(value: string, field: string): string {
  checkSystemd(value, field);
  if (!value.startsWith('/')) throw new UnitValueError(field, value, 'must be an absolute path');
  if (value !== value.trim()) throw new UnitValueError(field, value, 'must not start or end with white space');
  return value.replace(/%/g, '%%');
}

/** Quotes one word for `/bin/sh`: left bare when it is plainly safe, else single-quoted. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_/.:@%+=,-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
