/**
 * Streams of identifiable messages and exact counts at the receiving end. Every body is
 * `<run id> #<seq>`, so what arrived can be matched to what was sent: lost (sent, never
 * arrived), duplicated (arrived more than once), out of order (arrived after a later one).
 * Senders are paced; faults are hooked to sequence numbers; every wait has a deadline.
 */
import { randomBytes } from 'node:crypto';
import type { SimUser } from '../../src/sim/sim-user';
import { messageFrom, remoteText } from '../helpers/interop-env';
import type { MatrixClient } from '../helpers/matrix-client';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A fresh run id: bodies of one stream never match another's. */
export function runId(label: string): string {
  return `${label}-${randomBytes(3).toString('hex')}`;
}

export const bodyFor = (run: string, seq: number) => `${run} #${seq}`;

/** The sequence number in a body of `run`'s stream, or undefined for any other text. */
export function seqOf(run: string, body: string): number | undefined {
  const prefix = `${run} #`;
  if (!body.startsWith(prefix)) return undefined;
  const n = Number(body.slice(prefix.length));
  return Number.isInteger(n) ? n : undefined;
}


export function suiteSeed(): number {
  const fromEnv = process.env.FAULTS_SEED;
  return fromEnv ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 31);
}

/** `count` distinct sequence numbers in [from, to], ascending. */
export function randomPoints(random: () => number, count: number, from: number, to: number): number[] {
  const points = new Set<number>();
  for (let guard = 0; points.size < count && guard < 10_000; guard++) points.add(from + Math.floor(random() * (to - from + 1)));
  return [...points].sort((a, b) => a - b);
}

export interface StreamOptions {
  count: number;
  /** messages per second */
  rate: number;
  /** faults started right after message `seq` was sent; not awaited by the sender (the stream goes on) */
  faults?: Map<number, () => Promise<void>>;
  /** how many times one send is tried before the stream gives up on that message (it then counts as lost) */
  sendAttempts?: number;
}

export interface StreamResult {
  /** seqs whose send call succeeded (handed to Synapse / to the gateway) */
  sent: number[];
  /** seqs the sender could not hand over at all (not the bridge's fault; reported apart) */
  unsent: number[];
  /** when the last message was handed over */
  endedAt: number;
}

/**
 * Sends `run #1` … `run #count` through `send`, paced at `rate`; starts each fault after its
 * seq and waits for all faults to finish before returning.
 */
export async function stream(run: string, send: (body: string) => Promise<unknown>, opts: StreamOptions): Promise<StreamResult> {
  const sent: number[] = [];
  const unsent: number[] = [];
  const running: Promise<void>[] = [];
  const gap = 1000 / opts.rate;
  const started = Date.now();
  for (let seq = 1; seq <= opts.count; seq++) {
    const due = started + (seq - 1) * gap;
    if (due > Date.now()) await sleep(due - Date.now());
    let ok = false;
    for (let attempt = 1; attempt <= (opts.sendAttempts ?? 3) && !ok; attempt++) {
      try {
        await send(bodyFor(run, seq));
        ok = true;
      } catch (error) {
        if (attempt === (opts.sendAttempts ?? 3)) console.log(`${run}: send #${seq} failed: ${(error as Error).message}`);
        else await sleep(500);
      }
    }
    (ok ? sent : unsent).push(seq);
    const fault = opts.faults?.get(seq);
    if (fault) running.push(fault());
  }
  const endedAt = Date.now();
  await Promise.all(running);
  return { sent, unsent, endedAt };
}

export interface Tally {
  run: string;
  sent: number;
  received: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  lostSeqs: number[];
  duplicatedSeqs: number[];
  outOfOrderSeqs: number[];
}

/** Counts `arrived` (sequence numbers in order of arrival) against `sent`. */
export function tally(run: string, sent: number[], arrived: number[]): Tally {
  const counts = new Map<number, number>();
  const outOfOrderSeqs: number[] = [];
  let highest = 0;
  for (const seq of arrived) {
    const n = (counts.get(seq) ?? 0) + 1;
    counts.set(seq, n);
    if (n > 1) continue; // a duplicate is counted as such, not also as out of order
    if (seq < highest) outOfOrderSeqs.push(seq);
    highest = Math.max(highest, seq);
  }
  const lostSeqs = sent.filter((seq) => !counts.has(seq));
  const duplicatedSeqs = [...counts].filter(([, n]) => n > 1).map(([seq]) => seq).sort((a, b) => a - b);
  return {
    run, sent: sent.length, received: arrived.length, lost: lostSeqs.length,
    duplicated: [...counts.values()].reduce((sum, n) => sum + n - 1, 0),
    outOfOrder: outOfOrderSeqs.length, lostSeqs, duplicatedSeqs, outOfOrderSeqs,
  };
}

const list = (seqs: number[]) => (seqs.length <= 30 ? seqs.join(',') : `${seqs.slice(0, 30).join(',')},… (${seqs.length})`);

/** The one line a scenario prints per stream, plus which seqs when something is off. */
export function describeTally(label: string, t: Tally): string {
  let line = `${label}: sent ${t.sent}, received ${t.received}, lost ${t.lost}, duplicated ${t.duplicated}, out of order ${t.outOfOrder}`;
  if (t.lost > 0) line += `\n  lost: ${list(t.lostSeqs)}`;
  if (t.duplicated > 0) line += `\n  duplicated: ${list(t.duplicatedSeqs)}`;
  if (t.outOfOrder > 0) line += `\n  out of order: ${list(t.outOfOrderSeqs)}`;
  return line;
}

export interface CollectOptions {
  /** give up waiting for missing messages at this time (ms since epoch) */
  deadline: number;
  /** after everything arrived, keep watching this long for late duplicates */
  quietMs?: number;
}

/**
 * The ghost's messages of `run` in the portal, as Alice's /sync timeline shows them, in
 * timeline order; waits until every seq in `expected` arrived (or the deadline), then a quiet spell.
 * Sync errors (a homeserver still coming back) are retried until the deadline.
 */
export async function collectFromMatrix(
  alice: MatrixClient, portal: string, ghost: string, run: string, expected: number[], opts: CollectOptions,
): Promise<number[]> {
  // Counted from the room's history (/messages), not from /sync: an incremental sync after
  // hundreds of events may be `limited` and skip the older ones, which are in the room all
  // the same. The history is in the room's (topological) order, the order a user reads.
  let arrived: number[] = [];
  const read = async () => {
    try {
      const events = await alice.roomHistory(portal);
      arrived = events.filter((event) => messageFrom(portal, ghost)({ roomId: portal, section: 'timeline', event }))
        .map((e) => seqOf(run, typeof e.content.body === 'string' ? e.content.body : ''))
        .filter((s): s is number => s !== undefined);
    } catch {
      // the homeserver may still be coming back; the next round reads again
    }
  };
  const complete = () => { const got = new Set(arrived); return expected.every((s) => got.has(s)); };
  for (await read(); !complete() && Date.now() < opts.deadline; await read()) await sleep(2000);
  // late duplicates: a last read after a quiet spell
  await sleep(Math.min(opts.quietMs ?? 5000, Math.max(1000, opts.deadline - Date.now())));
  await read();
  return arrived;
}

/** The seqs of `run` that `sim` received from `from`, in order of arrival; same waiting as collectFromMatrix. */
export async function collectFromSim(sim: SimUser, from: string, run: string, expected: number[], opts: CollectOptions): Promise<number[]> {
  const arrived = (): number[] => sim.received.filter((m) => m.sender.phone === from)
    .map((m) => seqOf(run, remoteText(m.content) ?? '')).filter((s): s is number => s !== undefined);
  const complete = () => { const got = new Set(arrived()); return expected.every((s) => got.has(s)); };
  while (!complete() && Date.now() < opts.deadline) await sleep(250);
  await sleep(Math.min(opts.quietMs ?? 5000, Math.max(1000, opts.deadline - Date.now())));
  return arrived();
}
