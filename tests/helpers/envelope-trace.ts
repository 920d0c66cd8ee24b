/**
 * Where a remote message's time went between the gateway and the homeserver, read from the
 * debug logs the gateway and the bridge write in production too (IDs only): the gateway's
 * "envelope written" (with the envelope's serverTimestamp and the bytes buffered ahead of
 * it), the bridge's "envelope received" (read off the socket and parsed) and "envelope
 * handed to core" (decrypted, its turn in the receiver's lanes). Used by
 * tests/e2e/request-flood.test.ts to print each segment's median, quiet and under a flood.
 */
import { readFileSync, existsSync } from 'node:fs';

export interface GatewayWrite { envelope: number; accepted: number; written: number; buffered: number }
export interface BridgeTrace { received?: number; handed?: number }

function lines(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  const out: Record<string, unknown>[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a line cut off at the end of the file, or not ours
    }
  }
  return out;
}

/** the gateway's writes by the message's clientMessageId (a sim's sendText returns it) */
export function gatewayWrites(logPath: string): Map<string, GatewayWrite> {
  const byMessage = new Map<string, GatewayWrite>();
  for (const l of lines(logPath)) {
    if (l.msg !== 'envelope written' || typeof l.message !== 'string') continue;
    // a redelivery after a reconnect writes the envelope again: the first write is the one timed
    if (byMessage.has(l.message)) continue;
    byMessage.set(l.message, { envelope: Number(l.envelope), accepted: Number(l.accepted), written: Number(l.time), buffered: Number(l.buffered) });
  }
  return byMessage;
}

/** the bridge's traces by envelope ID */
export function bridgeTraces(logPath: string): Map<number, BridgeTrace> {
  const byEnvelope = new Map<number, BridgeTrace>();
  for (const l of lines(logPath)) {
    const data = l.data as { envelope?: unknown } | undefined;
    if (typeof data?.envelope !== 'number') continue;
    const stage = l.msg === 'envelope received' ? 'received' : l.msg === 'envelope handed to core' ? 'handed' : undefined;
    if (!stage) continue;
    const trace = byEnvelope.get(data.envelope) ?? {};
    trace[stage] ??= Number(l.time);
    byEnvelope.set(data.envelope, trace);
  }
  return byEnvelope;
}
