import type { InteropConnection } from '../../src/interop-client/connection';

/**
 * Drops a client's WebSocket as if the network failed, so its reconnect logic takes over.
 * It reaches into the connection on purpose: production has no switch for this, and should not.
 */
export function dropSocket(connection: InteropConnection): void {
  const ws = (connection as unknown as { ws?: { terminate(): void } }).ws;
  if (!ws) throw new Error('dropSocket: the connection has no socket (not connected?)');
  ws.terminate();
}
