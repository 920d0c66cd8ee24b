#!/usr/bin/env node
/**
 * matrix-interop-bridge command line.
 * Exit codes: 0 ok, 1 bad config or start failure, 2 bad usage, 3 crashed (an unhandled
 * error: logged, then the process exits so that a supervisor restarts it).
 */
// first: before any import loads the dependency that warns (see the module)
import './known-warnings';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config';
import { generateRegistration, writeRegistration } from './registration';
import { start } from './runtime';
import { migrateDb } from './migrate-db';
import { redactText } from './logging/redact';
import { StartAborted } from './startup';
import { VERSION } from './version';

const USAGE = `matrix-interop-bridge ${VERSION}: a Matrix bridge to the interop network

Usage:
  matrix-interop-bridge -c config.yaml
      Start the bridge.
  matrix-interop-bridge -r -c config.yaml -u http://127.0.0.1:29330 -f registration.yaml
      Write a new appservice registration (fresh random tokens) for the homeserver.
  matrix-interop-bridge migrate-db -c config.yaml
      Copy the SQLite database (database.path) into the empty PostgreSQL database of
      database.url (database.type: postgres); the bridge must be stopped
      (docs/admin-guide.md, "Moving to PostgreSQL").

Options:
  -c, --config FILE                 configuration file (see config.sample.yaml)
  -r, --generate-registration       write a registration instead of starting
  -u, --url URL                     with -r: where the homeserver reaches the bridge
                                    (default: appservice.url from the config)
  -f, --file FILE                   with -r: registration file to write
                                    (default: appservice.registration from the config)
      --force                       with -r: overwrite an existing registration file
  -h, --help                        show this help
  -v, --version                     show the version

Environment: INTEROP_PROVIDER_SECRET, INTEROP_KEY_STORE_SECRET, INTEROP_PROVISIONING_SECRET
override the secrets in the config file.
Exit codes: 0 ok, 1 bad config or start failure, 2 bad usage, 3 crashed (restart it).`;

/** Exit code after an unhandled error. */
export const CRASH_EXIT_CODE = 3;

/**
 * The last line of defence: an unhandled rejection or uncaught exception is logged and the
 * process exits non-zero. Running on in an unknown state could answer the homeserver "ok"
 * for work that never happened; exiting loses nothing, because every message is durable
 * (outbox, message map, command receipts) and a supervisor (systemd, Docker's restart
 * policy) starts the bridge again.
 */
export function exitOnUnhandledErrors(): void {
  const crash = (kind: string) => (error: unknown) => {
    // plain stderr, not the logger (which may be what failed); numbers hidden all the same
    const detail = redactText(error instanceof Error ? (error.stack ?? error.message) : String(error));
    console.error(`matrix-interop-bridge: crashed on an ${kind}, exiting with code ${CRASH_EXIT_CODE} (restart it; nothing durable is lost): ${detail}`);
    process.exit(CRASH_EXIT_CODE);
  };
  process.on('unhandledRejection', crash('unhandled rejection'));
  process.on('uncaughtException', crash('uncaught exception'));
}

export async function main(argv: string[]): Promise<number> {
  let args;
  let command: string | undefined;
  try {
    const parsed = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        'generate-registration': { type: 'boolean', short: 'r' },
        url: { type: 'string', short: 'u' },
        file: { type: 'string', short: 'f' },
        force: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
      strict: true,
      allowPositionals: true,
    });
    args = parsed.values;
    if (parsed.positionals.length > 1 || (parsed.positionals[0] !== undefined && parsed.positionals[0] !== 'migrate-db')) {
      throw new Error(`unknown command ${parsed.positionals.join(' ')}`);
    }
    command = parsed.positionals[0];
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  if (args.version) {
    console.log(VERSION);
    return 0;
  }
  if (!args.config) {
    console.error(`missing -c/--config FILE\n\n${USAGE}`);
    return 2;
  }
  if (command === 'migrate-db' && (args['generate-registration'] || args.url || args.file || args.force)) {
    console.error(`migrate-db takes only -c/--config FILE\n\n${USAGE}`);
    return 2;
  }
  if (!args['generate-registration'] && (args.url || args.file || args.force)) {
    console.error(`-u, -f and --force go with -r/--generate-registration\n\n${USAGE}`);
    return 2;
  }
  try {
    const config = loadConfig(args.config);
    if (command === 'migrate-db') {
      await migrateDb(config, process.env, (line) => console.log(line));
      return 0;
    }
    if (args['generate-registration']) {
      const path = args.file ?? config.appservice.registration;
      if (existsSync(path) && !args.force) {
        console.error(`${path} exists; pass --force to replace it (the homeserver must then be given the new file)`);
        return 1;
      }
      writeRegistration(path, generateRegistration(config, args.url ?? config.appservice.url));
      console.log(`wrote ${path}; add it to the homeserver's app_service_config_files and restart the homeserver`);
      return 0;
    }
    // listening from the very start: a stop asked for while the bridge still waits for the
    // homeserver must end that wait, not be ignored until it is over
    const stopRequested = new AbortController();
    const shutdown = () => stopRequested.abort();
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
    const bridge = await start(config, { signal: stopRequested.signal });
    if (!stopRequested.signal.aborted) {
      await new Promise<void>((resolve) => stopRequested.signal.addEventListener('abort', () => resolve(), { once: true }));
    }
    await bridge.stop();
    return 0;
  } catch (error) {
    if (error instanceof StartAborted) {
      console.error('matrix-interop-bridge: stopped while starting');
      return 0;
    }
    if (error instanceof ConfigError) console.error(error.message);
    else console.error(`matrix-interop-bridge: ${(error as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  exitOnUnhandledErrors();
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
