/**
 * Prometheus metrics on their own listener, so the appservice port need not be exposed to
 * whatever scrapes metrics. matrix-appservice-bridge collects the numbers (process, Matrix
 * API calls); this serves them.
 */
import { createServer } from 'node:http';
import type { Bridge } from 'matrix-appservice-bridge';
import { Registry } from 'prom-client';

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

export async function startMetrics(bridge: Bridge, address: string, port: number): Promise<MetricsServer> {
  // a registry of our own: the global default would mix in whatever else shares the process
  const registry = new Registry();
  bridge.getPrometheusMetrics(false, registry);
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end('not found\n');
      return;
    }
    registry
      .metrics()
      .then((body) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(body))
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
