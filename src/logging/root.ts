/**
 * The process's one pino logger. JSON lines (one object per line: level, time, component,
 * msg, fields) on stderr, so that stdout stays for what a program prints for people.
 */
import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';
import { redactText, redactValue } from './redact';

export type LogLevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface LogSettings {
  level: LogLevelName;
  /** false only when the admin asks for full detail (logging.redact: false) */
  redact: boolean;
}

export type RootLogger = PinoLogger;

/**
 * A root logger. `destination` is for tests; by default stderr, written synchronously so that
 * the last lines before a crash or exit are not lost.
 */
export function createRootLogger(settings: LogSettings, destination?: DestinationStream): RootLogger {
  return pino(
    {
      level: settings.level,
      base: { pid: process.pid },
      // the message and every argument pass through here before pino formats them: the
      // one place that sees them all (pino's own `redact` paths only reach a fixed depth)
      ...(settings.redact && {
        hooks: { logMethod: redactArguments },
        // redacted errors are plain objects already; pino's serializer would call them "Object"
        serializers: { err: (err: unknown) => err },
      }),
    },
    destination ?? pino.destination({ fd: 2, sync: true }),
  );
}

function redactArguments(this: PinoLogger, args: Parameters<PinoLogger['info']>, method: (...args: unknown[]) => void): void {
  method.apply(this, args.map((arg: unknown) => (typeof arg === 'string' ? redactText(arg) : redactValue(arg))));
}
