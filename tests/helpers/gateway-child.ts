/**
 * The reference interop gateway as its own process, for tests that crash it for real
 * (`kill -9`, SIGSTOP): production mode, the dev providers, SQLite in the given file.
 * It talks to its parent on stdout, one JSON object a line: `{"listening":"ws://…"}` once,
 * then `{"code":{"phone":…,"code":…}}` for every one-time code it "texts" (the parent's
 * CodeInbox). Started by tests/helpers/gateway-process.ts; not a program for people.
 *
 *   node gateway-child.js <database file> <port>      (port 0 picks a free one)
 */
import { DEV_PROVIDERS } from '../../src/gateway/config';
import { gatewayLogger, silentLogger, startGateway } from '../../src/gateway/server';

function say(message: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

async function main(): Promise<void> {
  const [databasePath, portText] = process.argv.slice(2);
  if (!databasePath || portText === undefined) throw new Error('usage: gateway-child <database file> <port>');
  const gateway = await startGateway({
    host: '127.0.0.1',
    port: Number(portText),
    databasePath,
    devMode: false,
    providers: DEV_PROVIDERS,
    // GATEWAY_LOG=1: the gateway's log on stderr (it never contains codes or keys);
    // GATEWAY_LOG=debug: with a line per envelope written (its timing)
    log: process.env.GATEWAY_LOG ? gatewayLogger({ level: process.env.GATEWAY_LOG === 'debug' ? 'debug' : 'info', redact: true }) : silentLogger,
    deliverCode: (phone, code) => say({ code: { phone, code } }),
  });
  say({ listening: gateway.url });
  const stop = (): void => {
    void gateway.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // the parent's end of stdin closing means the parent is gone: do not outlive it
  process.stdin.resume();
  process.stdin.once('end', stop);
}

main().catch((error: Error) => {
  process.stderr.write(`gateway-child: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
