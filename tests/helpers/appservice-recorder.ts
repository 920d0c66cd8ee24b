// A bare appservice HTTP endpoint for harness tests: it accepts whatever
// Synapse pushes (transactions, user/room queries) and records the raw
// transaction bodies, so a test can see exactly what the homeserver sends,
// independent of any appservice library's parsing.
import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface RecordedTransaction {
  txnId: string;
  body: Record<string, unknown>;
}

export interface AppserviceRecorder {
  url: string;
  transactions: RecordedTransaction[];
  /** Resolves with the first transaction (already received or future) that matches. */
  waitFor(predicate: (t: RecordedTransaction) => boolean, timeoutMs?: number): Promise<RecordedTransaction>;
  close(): Promise<void>;
}

export async function startAppserviceRecorder(hsToken: string): Promise<AppserviceRecorder> {
  const transactions: RecordedTransaction[] = [];
  const waiters = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    void readBody(req).then((text) => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.headers.authorization !== `Bearer ${hsToken}`) return reply(403, { errcode: 'M_FORBIDDEN' });
      const txn = /^\/_matrix\/app\/v1\/transactions\/([^/?]+)/.exec(req.url ?? '');
      if (req.method === 'PUT' && txn) {
        transactions.push({ txnId: decodeURIComponent(txn[1]), body: JSON.parse(text) as Record<string, unknown> });
        for (const wake of waiters) wake();
        return reply(200, {});
      }
      // User and room-alias queries: we provision nothing on demand.
      return reply(404, { errcode: 'M_NOT_FOUND' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('recorder: no address');

  return {
    url: `http://127.0.0.1:${address.port}`,
    transactions,
    waitFor(predicate, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = transactions.find(predicate);
          if (!hit) return false;
          cleanup();
          resolve(hit);
          return true;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no matching transaction within ${timeoutMs} ms; got ${transactions.length}: ${JSON.stringify(transactions).slice(0, 3000)}`));
        }, timeoutMs);
        const cleanup = () => { clearTimeout(timer); waiters.delete(wake); };
        const wake = () => { check(); };
        waiters.add(wake);
        check();
      });
    },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
