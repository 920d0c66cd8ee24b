/**
 * Child process of the gateway benchmark: the real gateway (in dev mode, SQLite in the given
 * directory) and a plain WebSocket echo server, so the benchmark's clients and the network
 * each get a CPU core, and the raw round trip is measured against the same kind of process.
 * Prints one JSON line with both URLs, runs until stdin closes.
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { silentLogger, startGateway } from '../src/gateway/server';

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: gateway-process <data dir>');
  const gateway = await startGateway({
    devMode: true,
    host: '127.0.0.1',
    port: 0,
    databasePath: join(dir, 'gateway.db'),
    log: silentLogger,
    printDevCode: () => {},
    // the benchmark looks up many fresh accounts at once
    providers: [{ id: 'native', secret: 'native-dev-secret', e2ee: true, lookupBurst: 100_000, lookupsPerSecond: 100_000 }],
  });
  const echo = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise((resolve) => echo.once('listening', resolve));
  echo.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  process.stdout.write(
    `${JSON.stringify({ gatewayUrl: gateway.url, echoUrl: `ws://127.0.0.1:${(echo.address() as AddressInfo).port}/` })}\n`,
  );
  process.stdin.resume();
  process.stdin.on('end', () => {
    echo.close();
    void gateway.close().then(() => process.exit(0));
  });
}

main().catch((err: Error) => {
  process.stderr.write(`gateway-process: ${err.message}\n`);
  process.exit(1);
});
