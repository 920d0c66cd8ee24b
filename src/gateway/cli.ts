#!/usr/bin/env node
/**
 * interop-gateway: the reference interop network as a program.
 *
 *   interop-gateway                      development network (dev mode, well-known secrets)
 *   interop-gateway -c gateway.yaml      configured network (production unless devMode: true)
 */
import { parseArgs } from 'node:util';
import { ConfigError, devConfig, loadConfigFile, type GatewayConfig, type ProviderConfig } from './config';
import { gatewayLogger, startGateway } from './server';
import type { LogLevelName } from '../logging/root';

const LOG_LEVELS: readonly string[] = ['trace', 'debug', 'info', 'warn', 'error'];

const USAGE = `Usage: interop-gateway [options]

Runs the reference interop network (docs/interop-protocol.md).

Options:
  -c, --config <file>     YAML or JSON configuration (see docs/interop-protocol.md); without it a
                          development network runs: dev mode, providers native / plainchat / bridge
                          with well-known secrets (<id>-dev-secret)
      --host <address>    bind address (default 127.0.0.1)
  -p, --port <port>       port (default 8787; 0 picks a free one)
  -d, --database <file>   SQLite database (default interop-gateway.db)
      --dev               development mode: return and print verification codes
      --provider <spec>   add a provider, id:secret:e2ee|plain (repeatable; replaces the
                          configured list)
      --log-level <level> trace, debug, info (default), warn or error; the log is JSON lines
                          on stderr
      --log-full          do not redact phone numbers and message content in the log
  -h, --help              show this help
`;

function fail(message: string): never {
  process.stderr.write(`interop-gateway: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function parseProvider(spec: string): ProviderConfig {
  const m = /^([a-z0-9][a-z0-9_-]{0,63}):(.{8,}):(e2ee|plain)$/.exec(spec);
  if (!m) fail(`--provider ${JSON.stringify(spec.split(':')[0])}...: expected id:secret:e2ee|plain (secret of 8+ characters)`);
  return { id: m[1], secret: m[2], e2ee: m[3] === 'e2ee' };
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        config: { type: 'string', short: 'c' },
        host: { type: 'string' },
        port: { type: 'string', short: 'p' },
        database: { type: 'string', short: 'd' },
        dev: { type: 'boolean' },
        provider: { type: 'string', multiple: true },
        'log-level': { type: 'string' },
        'log-full': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    fail((e as Error).message);
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }

  let config: Partial<GatewayConfig>;
  try {
    config = args.config ? { databasePath: 'interop-gateway.db', ...loadConfigFile(args.config) } : devConfig();
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }
  if (args.host !== undefined) config.host = args.host;
  if (args.port !== undefined) {
    const port = Number(args.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port ${args.port}: expected 0..65535`);
    config.port = port;
  }
  if (args.database !== undefined) config.databasePath = args.database;
  if (args.dev) config.devMode = true;
  if (args.provider) config.providers = args.provider.map(parseProvider);
  const level = args['log-level'] ?? 'info';
  if (!LOG_LEVELS.includes(level)) fail(`--log-level ${level}: expected one of ${LOG_LEVELS.join(', ')}`);
  const log = gatewayLogger({ level: level as LogLevelName, redact: !args['log-full'] });

  let gateway;
  try {
    gateway = await startGateway({ ...config, databasePath: config.databasePath ?? 'interop-gateway.db', log });
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    process.stderr.write(`interop-gateway: cannot start: ${(e as Error).message}\n`);
    process.exit(1);
  }
  process.stdout.write(`interop-gateway listening on ${gateway.url}\n`);
  const stop = (): void => {
    void gateway.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();
