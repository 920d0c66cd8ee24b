// A TCP port on 127.0.0.1 that is free right now, chosen by the OS.
// Used where a port must be written into a config file before the process that
// binds it starts (Synapse, the bridge's appservice listener). The tiny window
// between closing our probe socket and the real bind is covered by callers that
// retry on EADDRINUSE.
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      if (address === null || typeof address === 'string') {
        probe.close();
        reject(new Error('freePort: unexpected listen address'));
        return;
      }
      const { port } = address;
      probe.close(() => resolve(port));
    });
  });
}
