// Parent side of tests/helpers/crypto-store-child.ts: spawns it, sends commands, and can
// SIGKILL it in the same tick the answer to a command arrives.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { RequestType } from '@matrix-org/matrix-sdk-crypto-wasm';
import type { WireRequest } from '../../src/matrix/crypto/outgoing-requests';
import type { Party } from './olm-exchange';

export interface CryptoChild {
  rpc<T = unknown>(cmd: string, args?: Record<string, unknown>, opts?: { killAfter?: boolean }): Promise<T>;
  party(userId: string, deviceId: string): Party;
  /** Resolves once the process is gone. */
  exited: Promise<void>;
  kill(): Promise<void>;
}

export function startCryptoChild(): CryptoChild {
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, 'crypto-store-child.js')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const waiting: { resolve(v: unknown): void; reject(e: Error): void; killAfter: boolean }[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const next = waiting.shift();
    if (!next) return;
    // kill before resolving: nothing else in this process runs in between
    if (next.killAfter) child.kill('SIGKILL');
    const answer = JSON.parse(line) as { ok: boolean; result?: unknown; error?: string };
    if (answer.ok) next.resolve(answer.result);
    else next.reject(new Error(answer.error));
  });
  void exited.then(() => {
    for (const w of waiting.splice(0)) w.reject(new Error('crypto child exited'));
  });
  const rpc = <T>(cmd: string, args: Record<string, unknown> = {}, opts: { killAfter?: boolean } = {}) =>
    new Promise<T>((resolve, reject) => {
      waiting.push({ resolve: resolve as (v: unknown) => void, reject, killAfter: opts.killAfter ?? false });
      child.stdin!.write(`${JSON.stringify({ cmd, ...args })}\n`);
    });
  return {
    rpc,
    exited,
    party: (userId, deviceId) => ({
      userId, deviceId,
      outgoing: () => rpc<WireRequest[]>('outgoing'),
      markSent: async (id: string, type: RequestType, response: string) => { await rpc('markSent', { id, type, response }); },
    }),
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
