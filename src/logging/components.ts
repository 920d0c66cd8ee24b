/**
 * The bridge's components log through small interfaces of their own (CoreLogger, the bot's
 * Logger, IntakeLogger, the gateway's Logger); these back them with children of the root
 * logger, one per component (`{"component":"core"}`).
 */
import type { Logger as PinoLogger } from 'pino';

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** The shape most components use: any mix of text, errors and objects, as console takes them. */
export interface PartsLogger {
  trace(...parts: unknown[]): void;
  debug(...parts: unknown[]): void;
  info(...parts: unknown[]): void;
  warn(...parts: unknown[]): void;
  error(...parts: unknown[]): void;
}

/** The gateway's shape: a message and structured fields. */
export interface FieldsLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * Text parts become the message (joined by spaces), the first error the `err` field, other
 * objects `data` (one object as itself, several as a list).
 */
export function logParts(log: PinoLogger, level: Level, parts: unknown[]): void {
  if (!log.isLevelEnabled(level)) return;
  const words: string[] = [];
  const data: unknown[] = [];
  let err: unknown;
  for (const part of parts) {
    if (part instanceof Error && err === undefined) err = part;
    else if (part !== null && typeof part === 'object') data.push(part);
    else words.push(String(part));
  }
  const fields: Record<string, unknown> = {};
  if (err !== undefined) fields.err = err;
  if (data.length > 0) fields.data = data.length === 1 ? data[0] : data;
  log[level](fields, words.join(' '));
}

export function partsLogger(log: PinoLogger): PartsLogger {
  return {
    trace: (...parts) => logParts(log, 'trace', parts),
    debug: (...parts) => logParts(log, 'debug', parts),
    info: (...parts) => logParts(log, 'info', parts),
    warn: (...parts) => logParts(log, 'warn', parts),
    error: (...parts) => logParts(log, 'error', parts),
  };
}

export function fieldsLogger(log: PinoLogger): FieldsLogger {
  return {
    debug: (message, fields) => log.debug(fields ?? {}, message),
    info: (message, fields) => log.info(fields ?? {}, message),
    warn: (message, fields) => log.warn(fields ?? {}, message),
    error: (message, fields) => log.error(fields ?? {}, message),
  };
}
