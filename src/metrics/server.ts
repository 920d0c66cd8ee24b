/**
 * The metrics listener: Prometheus text at /metrics, plus /health and /ready (src/health), on
 * a port of its own so the appservice port need not be exposed to whatever scrapes metrics.
 */
import { createServer } from 'node:http';
import type { Registry } from 'prom-client';
import type { HealthEndpoints } from '../health';

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(registry: Registry, health: HealthEndpoints, address: string, port: number): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url.split('?')[0] === '/metrics') {
      registry
        .metrics()
        .then((body) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(body))
        .catch((error: Error) => res.writeHead(500).end(`${error.message}\n`));
      return;
    }
    health
      .answer(url)
      .then((answer) => {
        if (!answer) res.writeHead(404).end('not found\n');
        else res.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(answer.body));
      })
      .catch((error: Error) => res.writeHead(500).end(`${error.message}\n`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => resolve());
  });
  const actual = server.address();
  return {
    port: typeof actual === 'object' && actual ? actual.port : port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
