/** The default `Logger` adapter: pino, readable lines by default, JSON for machines. */
import pino from 'pino';
import pretty from 'pino-pretty';
import type { Logger, LogFields } from './recovery/ports.js';
import type { Redactor } from './lib/redact.js';

export function createLogger(options: {
  level: 'debug' | 'info' | 'warn' | 'error';
  format: 'pretty' | 'json';
  redactor: Redactor;
  destination?: NodeJS.WritableStream;
}): Logger {
  const stream =
    options.format === 'pretty'
      ? pretty({
          sync: true,
          colorize: Boolean((options.destination ?? process.stdout) === process.stdout && process.stdout.isTTY),
          translateTime: 'SYS:HH:MM:ss Z',
          ignore: 'pid,hostname',
          singleLine: true,
          destination: (options.destination ?? process.stdout) as NodeJS.WritableStream & { write: never },
        })
      : (options.destination ?? process.stdout);
  const base = pino({ level: options.level, base: null }, stream as pino.DestinationStream);
  const write = (level: 'debug' | 'info' | 'warn' | 'error') => (msg: string, fields?: LogFields) => {
    const clean = options.redactor.redact(msg);
    if (fields) base[level](JSON.parse(options.redactor.redact(JSON.stringify(fields))) as object, clean);
    else base[level](clean);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/** A logger that keeps lines in memory, for tests and for commands that print nothing. */
export function memoryLogger(): Logger & { lines: { level: string; msg: string; fields?: LogFields }[] } {
  const lines: { level: string; msg: string; fields?: LogFields }[] = [];
  const at = (level: string) => (msg: string, fields?: LogFields) => {
    lines.push(fields ? { level, msg, fields } : { level, msg });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
