/**
 * The two Matrix libraries log on their own: the bot SDK through its LogService, and
 * matrix-appservice-bridge through a winston logger of its own. Both are routed into the root
 * logger here, with the library's module name as the component, so their lines get the same
 * format, level and redaction as the bridge's own.
 */
import { Writable } from 'node:stream';
import { LogLevel, LogService, type ILogger } from '@vector-im/matrix-bot-sdk';
import { Logger as BridgeLibraryLogger } from 'matrix-appservice-bridge';
import type { Logger as PinoLogger } from 'pino';
import { logParts } from './components';
import type { LogSettings, RootLogger } from './root';

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/** Lines the libraries log as warnings or errors that are expected and harmless (the same
 *  list matrix-appservice-bridge's own adapter keeps): shown at debug. */
function isNoise(parts: unknown[]): boolean {
  return parts.some((part) => {
    if (part === null || typeof part !== 'object') return false;
    const p = part as { errcode?: unknown; error?: unknown; body?: { errcode?: unknown; error?: unknown } };
    const errcode = p.errcode ?? p.body?.errcode;
    const error = p.error ?? p.body?.error;
    return errcode === 'M_USER_IN_USE'
      || (errcode === 'M_NOT_FOUND' && (error === 'Room account data not found' || error === 'Event not found.'));
  });
}

/** One child per library module, made once. */
function componentCache(root: RootLogger): (module: string) => PinoLogger {
  const children = new Map<string, PinoLogger>();
  return (module) => {
    let child = children.get(module);
    if (!child) {
      child = root.child({ component: module });
      children.set(module, child);
    }
    return child;
  };
}

/**
 * The bot SDK's HTTP client logs request and response bodies at trace as JSON text
 * ("body = {…}"), where no key-based redaction can see the message in them: with redaction
 * on, only the request line is kept.
 */
function withoutHttpBodies(module: string, level: Level, parts: unknown[]): unknown[] {
  if (level !== 'trace' || !module.startsWith('MatrixHttpClient')) return parts;
  return [...parts.slice(0, 1), '[payload redacted]'];
}

export function botSdkLogger(root: RootLogger, settings: LogSettings): ILogger {
  const component = componentCache(root);
  const log = (level: Level) => (module: string, ...parts: unknown[]) => {
    let at = level;
    // the SDK logs every HTTP request at info: that is debug detail for an admin
    if (at === 'info' && (module.startsWith('MatrixLiteClient') || module.startsWith('MatrixHttpClient'))) at = 'debug';
    if ((at === 'warn' || at === 'error') && isNoise(parts)) at = 'debug';
    logParts(component(module), at, settings.redact ? withoutHttpBodies(module, at, parts) : parts);
  };
  return { trace: log('trace'), debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

const WINSTON_LEVELS: Record<string, Level> = { VERBOSE: 'trace', SILLY: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

/**
 * matrix-appservice-bridge accepts no custom logger in this version, only a stream for its
 * winston JSON lines ({level, module, message, error, args}); each line is logged again here.
 */
function bridgeLibraryStream(root: RootLogger): Writable {
  const component = componentCache(root);
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        let entry: { level?: string; module?: string; message?: string; error?: string; args?: unknown[] };
        try {
          entry = JSON.parse(line) as typeof entry;
        } catch {
          entry = { level: 'INFO', message: line };
        }
        const level = WINSTON_LEVELS[String(entry.level).toUpperCase()] ?? 'info';
        const parts: unknown[] = [entry.message ?? ''];
        if (entry.error) parts.push(`(${entry.error})`);
        if (entry.args?.length) parts.push({ args: entry.args });
        logParts(component(entry.module ?? 'matrix-appservice-bridge'), level, parts);
      }
      done();
    },
  });
}

/** our level as winston's (npm levels): below it, winston's transport formats nothing */
const WINSTON_LEVEL_OF: Record<Level, string> = { trace: 'silly', debug: 'debug', info: 'info', warn: 'warn', error: 'error' };

const SDK_LEVELS: Record<Level, LogLevel> = {
  trace: LogLevel.TRACE, debug: LogLevel.DEBUG, info: LogLevel.INFO, warn: LogLevel.WARN, error: LogLevel.ERROR,
};

/** Sends both libraries' logging to `root`. Safe to call again (a bridge restarted in-process). */
export function routeLibraryLogs(root: RootLogger, settings: LogSettings): void {
  // json: the stream gets parsable lines; no `console`: winston writes nowhere else
  BridgeLibraryLogger.root.configureLogging({ json: true }, bridgeLibraryStream(root));
  // the library fixes its stream transport at debug, so every debug line (two per request a
  // ghost makes) was formatted as JSON, parsed back here and only then dropped: measured at
  // about 0.4 ms of CPU per bridged message
  for (const transport of BridgeLibraryLogger.root.winston?.transports ?? []) transport.level = WINSTON_LEVEL_OF[settings.level];
  // after configureLogging, which points the SDK at winston again
  LogService.setLogger(botSdkLogger(root, settings));
  LogService.setLevel(SDK_LEVELS[settings.level]);
}
