/**
 * Ordering between local writes and frames leaving the process. Key stores may group their
 * writes into one transaction per event-loop turn (see signal/group-commit.ts); the connection
 * holds its outgoing frames until the end of the turn as well. Before it lets them go it runs
 * these hooks, so a frame that depends on a write (an ack after the decrypted plaintext is
 * stored, a ciphertext after the session advanced) never leaves before that write is durable.
 */
const hooks = new Set<() => void>();

export function addFlushBeforeSend(hook: () => void): () => void {
  hooks.add(hook);
  return () => hooks.delete(hook);
}

export function flushBeforeSend(): void {
  for (const hook of hooks) hook();
}
