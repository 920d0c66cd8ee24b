/**
 * Hostile input, end to end ("Nothing lost, nothing stuck"): thousands of hostile remote
 * contents (inside valid Signal ciphertexts) and Matrix events go into a running bridge and
 * gateway, each its own process, and afterwards both are still the same processes, never
 * logged an unhandled rejection, stayed within a memory bound, and a normal message still
 * crosses each way for every contact within seconds; an untouched contact's messages keep
 * arriving while the hostile contacts' backlog is processed.
 *
 * Seeded: the seed is printed; FUZZ_SEED=<seed> replays the same inputs in the same order.
 * Knobs: FUZZ_REMOTE (10000) hostile remote contents, FUZZ_MATRIX (2000) hostile Matrix events,
 * FUZZ_REMOTE_RATE (60/s) pace of remote sends, FUZZ_CONTACTS (3) hostile contacts,
 * FUZZ_RSS_MB (bridge memory bound, see RSS_BOUND_MB), FUZZ_DRAIN_S (240: see DRAIN_MS),
 * FUZZ_STRESSORS=0 skips the gateway
 * stressors (frame-limit envelopes, megabyte media, raw frames), FUZZ_KEEP_DIR=1 keeps logs.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { after, test } from 'node:test';
import { loginMatrixUser, matrixUser, memoryOf, openChat } from '../../bench/bridged-env';
import type { AttachmentPart } from '../../src/protocol/content';
import type { SimUser } from '../../src/sim/sim-user';
import { startFuzzEnv, type FuzzEnv, type WatchedProcess } from '../helpers/fuzz-env';
import { PROVIDER_SECRETS } from '../helpers/interop-gateway';
import type { MatrixClient, SeenEvent } from '../helpers/matrix-client';
import { Rng, runSeed, schedule } from './generator';
import { hostileMatrixEvent, MATRIX_WEIGHTS, type HostileMatrixEvent } from './matrix-events';
import { hostileContent, REMOTE_WEIGHTS } from './remote-contents';
import { describeError, gatewayStressors, senderOf, type Outcome } from './stressors';

const num = (name: string, fallback: number) => {
  const v = process.env[name];
  return v === undefined || v === '' ? fallback : Number(v);
};
const REMOTE_COUNT = num('FUZZ_REMOTE', 10_000);
const MATRIX_COUNT = num('FUZZ_MATRIX', 2_000);
const REMOTE_RATE = num('FUZZ_REMOTE_RATE', 60);
const HOSTILE_CONTACTS = num('FUZZ_CONTACTS', 3);
const STRESSORS = process.env.FUZZ_STRESSORS !== '0';
/** A message that crosses must do so within this long (after the fuzz, and while it runs). */
const CROSS_MS = 30_000;
/**
 * How long the hostile contacts' own backlog may take to be worked through after the streams.
 * Their chats keep strict order, so a normal message from a hostile contact waits behind what
 * that contact sent before; the homeserver's send rate (about 13/s on a 2-core machine) is the
 * limit. Not drained by then means stuck. Other contacts never wait for it (the probes).
 */
const DRAIN_MS = num('FUZZ_DRAIN_S', 240) * 1000;
/**
 * Bridge memory bound. The bridge idles at ~140 MB RSS here. It held 350-400 MB while the hostile
 * contacts' backlog waited (2026-12-07) until it asked the gateway for a receive window of 64
 * envelopes per sender instead of the gateway's 1,000 (2026-12-08: streams 329, backlog 311,
 * stressors 415 MB; the test prints the peaks per phase). The stressors add more: each frame-
 * limit envelope passes through about ten copies (frame, its string, the parsed base64, the
 * ciphertext, Signal's copies, the plaintext, the sealed pending copy, the decoded text, the
 * parsed content with its padding), 4, 8 and 12 MiB envelopes within two seconds, collected later
 * than they are made. Peaks of 506-565 MB were seen before the window, so the earlier bound of
 * 512 MB sat inside the spread; 640 MB leaves room for it and still catches a backlog that keeps
 * every hostile payload alive (10,000 × up to 4 MB would be gigabytes). Fewer copies per
 * envelope, and refusing ciphertext larger than any valid content before decrypting it, are open
 * work (issue 13's notes).
 */
const RSS_BOUND_MB = num('FUZZ_RSS_MB', 640);
const USER_PHONE = '+4915100000001';
const UNTOUCHED_PHONE = '+4915100000199';
const hostilePhone = (i: number) => `+49151000001${String(i).padStart(2, '0')}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Contact { phone: string; sim: SimUser; portal: string; ghost: string; media?: AttachmentPart }

/** Keeps a Matrix client syncing in the background; waits look at what it has seen. */
class Watcher {
  private running = true;
  private readonly loop: Promise<void>;
  errors = 0;

  constructor(readonly client: MatrixClient) {
    this.loop = (async () => {
      while (this.running) {
        try {
          await client.sync({ timeoutMs: 2_000 });
        } catch {
          this.errors++;
          await sleep(500);
        }
      }
    })();
  }

  async waitFor(predicate: (e: SeenEvent) => boolean, after: number, timeoutMs: number): Promise<SeenEvent | undefined> {
    const deadline = Date.now() + timeoutMs;
    let checked = after;
    while (Date.now() < deadline) {
      for (; checked < this.client.seen.length; checked++) if (predicate(this.client.seen[checked])) return this.client.seen[checked];
      await sleep(100);
    }
    return undefined;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

const bodyIs = (e: SeenEvent, roomId: string, sender: string, body: string) =>
  e.roomId === roomId && e.section === 'timeline' && e.event.sender === sender && e.event.content?.body === body;

const simGot = (sim: SimUser, text: string, timeoutMs: number) =>
  sim.waitFor('message', (m) => m.content.kind === 'message' && m.content.parts.some((p) => p.type === 'text' && p.body.includes(text)), timeoutMs);

/** remote → Matrix: ms until `c`'s text shows in its portal, or undefined after CROSS_MS. */
async function remoteToMatrix(watcher: Watcher, c: Contact, text: string): Promise<number | undefined> {
  const mark = watcher.client.mark();
  const started = Date.now();
  try {
    await c.sim.sendText(USER_PHONE, text);
  } catch {
    return undefined;
  }
  const seen = await watcher.waitFor((e) => bodyIs(e, c.portal, c.ghost, text), mark, CROSS_MS - (Date.now() - started));
  return seen ? Date.now() - started : undefined;
}

/** Matrix → remote: ms until the user's text reaches `c`'s sim, or undefined after CROSS_MS. */
async function matrixToRemote(user: MatrixClient, c: Contact, text: string): Promise<number | undefined> {
  const started = Date.now();
  try {
    await user.sendText(c.portal, text);
    await simGot(c.sim, text, CROSS_MS - (Date.now() - started));
    return Date.now() - started;
  } catch {
    return undefined;
  }
}

/** Both directions for every contact; failures are described in `failures`. */
async function crossEachWay(stage: string, watcher: Watcher, user: MatrixClient, contacts: Contact[], failures: string[]): Promise<void> {
  const results = await Promise.all(contacts.map(async (c) => {
    const [inbound, outbound] = await Promise.all([
      remoteToMatrix(watcher, c, `${stage}: normal text from ${c.phone}`),
      matrixToRemote(user, c, `${stage}: normal text to ${c.phone}`),
    ]);
    return { c, inbound, outbound };
  }));
  for (const { c, inbound, outbound } of results) {
    const show = (ms: number | undefined) => (ms === undefined ? `NOT within ${CROSS_MS / 1000} s` : `${ms} ms`);
    console.log(`${stage}: ${c.phone} remote→Matrix ${show(inbound)}, Matrix→remote ${show(outbound)}`);
    if (inbound === undefined) failures.push(`${stage}: a normal text from ${c.phone} did not reach Matrix within ${CROSS_MS / 1000} s`);
    if (outbound === undefined) failures.push(`${stage}: a normal text to ${c.phone} did not reach the remote side within ${CROSS_MS / 1000} s`);
  }
}

function tally(outcomes: Outcome[]): string {
  const byClass = new Map<string, Map<string, number>>();
  for (const o of outcomes) {
    const m = byClass.get(o.cls) ?? new Map<string, number>();
    m.set(o.result, (m.get(o.result) ?? 0) + 1);
    byClass.set(o.cls, m);
  }
  return [...byClass].map(([cls, m]) => {
    const total = [...m.values()].reduce((a, b) => a + b, 0);
    return `  ${cls.padEnd(18)} ${String(total).padStart(6)}  (${[...m].map(([r, n]) => `${r}: ${n}`).join(', ')})`;
  }).join('\n');
}

/** Lines of a log that show a crash, an unhandled rejection or an uncaught exception. */
function crashLines(proc: WatchedProcess): string[] {
  const lines = proc.log().split('\n');
  const out: string[] = [];
  lines.forEach((line, i) => {
    if (/unhandled|uncaught|FATAL ERROR|out of memory|Maximum call stack/i.test(line) || /^\S*(Range|Type|Reference|Syntax)?Error\b.*$/.test(line)) {
      out.push(lines.slice(i, i + 8).join('\n'));
    }
  });
  return out;
}

/** The distinct messages of warn/error lines, with counts, for the report. */
function logSummary(proc: WatchedProcess): string {
  const counts = new Map<string, number>();
  for (const line of proc.log().split('\n')) {
    if (!/warn|error/i.test(line)) continue;
    const key = line.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z?/g, '<t>').replace(/\$[\w-]+(:\w+)?/g, '$<id>').replace(/fz-\w+|[\w]+-[0-9a-z]{10,}/g, '<id>')
      .replace(/\d+/g, 'N').slice(0, 220);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, n]) => `  ${String(n).padStart(6)} × ${k}`).join('\n') || '  (none)';
}

/**
 * What is still stuck at the end, named by class and variant: remote messages the bridge logged
 * as "not bridged", and the bridge's outbox jobs still pending (read-only peek at its database;
 * diagnosis only, the verdict comes from messages crossing or not).
 */
function stuckReport(e: FuzzEnv, remoteIds: Map<string, string>, matrixIds: Map<string, string>): string {
  const lines: string[] = [];
  const notBridged = new Map<string, number>();
  for (const m of e.bridge.log().matchAll(/message (fz-[0-9a-z]+) from \+\d+ not bridged yet: (.{0,80})/g)) {
    const key = `${remoteIds.get(m[1]) ?? m[1]}: ${m[2]}`;
    notBridged.set(key, (notBridged.get(key) ?? 0) + 1);
  }
  lines.push(`remote messages the bridge gave up on for now ("not bridged yet"), by variant:`);
  for (const [k, n] of notBridged) lines.push(`  ${String(n).padStart(5)} × ${k}`);
  try {
    const db = new Database(e.config.database.path, { readonly: true, fileMustExist: true });
    const rows = db.prepare("SELECT id, contact, state, attempts, last_error, job FROM outbox WHERE state NOT IN ('sent', 'failed') ORDER BY id").all() as
      Array<{ id: number; contact: string; state: string; attempts: number; last_error: string | null; job: string }>;
    db.close();
    lines.push(`bridge outbox jobs not finished at the end: ${rows.length}; those retried (the heads blocking their portal):`);
    for (const r of rows.filter((x) => x.attempts > 0)) {
      const eventId = /"event_id":"([^"]+)"/.exec(r.job)?.[1] ?? '?';
      lines.push(`  job ${r.id} to ${r.contact}: ${matrixIds.get(eventId) ?? eventId}, ${r.attempts} attempts, last error: ${r.last_error}`);
    }
    const perContact = new Map<string, number>();
    for (const r of rows) perContact.set(r.contact, (perContact.get(r.contact) ?? 0) + 1);
    lines.push(`  waiting per contact: ${[...perContact].map(([c, n]) => `${c}=${n}`).join(' ') || 'none'}`);
  } catch (error) {
    lines.push(`(bridge outbox not readable: ${(error as Error).message})`);
  }
  try {
    const db = new Database(join(e.dir, 'gateway.db'), { readonly: true, fileMustExist: true });
    const n = (db.prepare('SELECT count(*) AS n FROM queue').get() as { n: number }).n;
    db.close();
    lines.push(`envelopes still queued (unacknowledged) at the gateway: ${n}`);
  } catch (error) {
    lines.push(`(gateway queue not readable: ${(error as Error).message})`);
  }
  return lines.join('\n');
}

/** What is still waiting: envelopes at the gateway and pending outbox jobs of the bridge. */
function backlog(e: FuzzEnv): { envelopes: number; jobs: number } {
  const count = (path: string, sql: string) => {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare(sql).get() as { n: number }).n;
    } finally {
      db.close();
    }
  };
  return {
    envelopes: count(join(e.dir, 'gateway.db'), 'SELECT count(*) AS n FROM queue'),
    jobs: count(e.config.database.path, "SELECT count(*) AS n FROM outbox WHERE state = 'pending'"),
  };
}

/** Waits until nothing waits (ms it took), or gives up after `limitMs` (what is left). */
async function waitForDrain(e: FuzzEnv, limitMs: number): Promise<{ ms?: number; left: string }> {
  const started = Date.now();
  for (;;) {
    const { envelopes, jobs } = backlog(e);
    if (envelopes === 0 && jobs === 0) return { ms: Date.now() - started, left: 'nothing' };
    if (Date.now() - started > limitMs) return { left: `${envelopes} envelopes at the gateway, ${jobs} outbox jobs` };
    await sleep(1000);
  }
}

let env: FuzzEnv | undefined;
after(async () => {
  await env?.stop();
});

test('hostile input: the bridge and the gateway survive, nothing stays stuck, other contacts are not delayed', { timeout: 15 * 60_000 }, async () => {
  const seed = runSeed();
  const rng = new Rng(seed);
  const startedAt = Date.now();
  console.log(`fuzz seed ${seed} (replay with FUZZ_SEED=${seed}); ${REMOTE_COUNT} remote contents at ${REMOTE_RATE}/s, ${MATRIX_COUNT} Matrix events, ${HOSTILE_CONTACTS} hostile contacts`);

  env = await startFuzzEnv();
  const e = env;
  const user = await matrixUser(e, 'fuzzer');
  // the watcher syncs every few seconds while hundreds of events arrive: Synapse's default of
  // 10 events per room and sync would leave gaps where a probe could hide
  user.timelineLimit = 1000;
  const managementRoom = await loginMatrixUser(e, user, USER_PHONE);
  const contacts: Contact[] = [];
  const ghostOf = (phone: string) => `@${e.config.appservice.ghost_username_template.replace('{phone}', phone)}:${e.config.homeserver.domain}`;
  for (const phone of [...Array.from({ length: HOSTILE_CONTACTS }, (_, i) => hostilePhone(i)), UNTOUCHED_PHONE]) {
    const { sim, portal } = await openChat(e, user, managementRoom, USER_PHONE, phone);
    contacts.push({ phone, sim, portal, ghost: ghostOf(phone) });
  }
  const hostile = contacts.slice(0, HOSTILE_CONTACTS);
  const untouched = contacts[HOSTILE_CONTACTS];
  for (const c of hostile) {
    c.media = await c.sim.client.uploadAttachment(new TextEncoder().encode('a real attachment'), { kind: 'file', mimeType: 'text/plain', fileName: 'real.txt' });
  }
  const mxc = await user.uploadMedia(new TextEncoder().encode('hello'), 'text/plain', 'real.txt');
  const realEvents = new Map(hostile.map((c) => [c.portal, user.seen.find((s) => bodyIs(s, c.portal, c.ghost, 'hello'))?.event.event_id ?? '$missing']));
  const setupMs = Date.now() - startedAt;
  console.log(`set-up (Synapse, gateway process, bridge process, login, ${contacts.length} chats) took ${(setupMs / 1000).toFixed(1)} s`);

  const failures: string[] = [];
  const watcher = new Watcher(user);
  const fuzzMark = user.mark();

  // memory of both processes, once a second
  const rss = { bridge: [] as number[], gateway: [] as number[] };
  // the bridge's peak in each phase, so a memory bound that fails says where
  let phase = 'streams';
  const bridgePeaks = new Map<string, number>();
  const sampler = setInterval(() => {
    for (const [name, proc] of [['bridge', e.bridge], ['gateway', e.gatewayProcess]] as const) {
      if (proc.exit) continue;
      try {
        const { rssMb } = memoryOf(proc.pid);
        if (Number.isFinite(rssMb)) rss[name].push(rssMb);
        if (Number.isFinite(rssMb) && name === 'bridge') bridgePeaks.set(phase, Math.max(bridgePeaks.get(phase) ?? 0, rssMb));
      } catch {
        // exited between the check and the read
      }
    }
  }, 1000);

  // ---- stage A: hostile remote contents and hostile Matrix events at the same time ----------
  const stressorCount = STRESSORS ? 16 : 0;
  const remotePlan = schedule(rng, REMOTE_WEIGHTS, Math.max(0, REMOTE_COUNT - stressorCount));
  const matrixPlan = schedule(rng, MATRIX_WEIGHTS, MATRIX_COUNT);
  const remoteOutcomes: Outcome[] = [];
  const matrixOutcomes: Outcome[] = [];
  const variants = new Map<string, number>();
  /** content messageId → class/variant, Matrix event ID → class/variant: to name what got stuck */
  const remoteIds = new Map<string, string>();
  const matrixIds = new Map<string, string>();
  const phaseMs = (remotePlan.length / REMOTE_RATE) * 1000;
  const matrixRate = Math.min(20, MATRIX_COUNT / Math.max(1, phaseMs / 1000));
  const stageStart = Date.now();
  /** a crashed process ends the streams: what follows would only measure timeouts */
  const deadProcess = () => [e.bridge, e.gatewayProcess].find((p) => p.exit !== undefined);

  const remoteStream = (async () => {
    const inFlight = new Set<Promise<void>>();
    for (const [i, cls] of remotePlan.entries()) {
      const due = stageStart + (i / REMOTE_RATE) * 1000;
      if (due > Date.now()) await sleep(due - Date.now());
      while (inFlight.size >= 32) await Promise.race(inFlight);
      if (deadProcess()) break;
      const c = hostile[rng.int(0, hostile.length - 1)];
      const item = hostileContent(rng, cls, c.media as AttachmentPart);
      variants.set(`${cls}/${item.variant}`, (variants.get(`${cls}/${item.variant}`) ?? 0) + 1);
      const id = /"messageId":"(fz-[0-9a-z]+)"/.exec(Buffer.from(item.bytes.subarray(0, 300)).toString('latin1'))?.[1];
      if (id) remoteIds.set(id, `${cls}/${item.variant}`);
      const started = Date.now();
      const p = senderOf(c.sim).submit(USER_PHONE, rng.id('c'), item.bytes)
        .then(() => { remoteOutcomes.push({ cls, variant: item.variant, result: 'accepted', ms: Date.now() - started }); })
        .catch((error: unknown) => { remoteOutcomes.push({ cls, variant: item.variant, result: describeError(error), ms: Date.now() - started }); })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
  })();

  const matrixStream = (async () => {
    const inFlight = new Set<Promise<void>>();
    for (const [i, cls] of matrixPlan.entries()) {
      const due = stageStart + (i / matrixRate) * 1000;
      if (due > Date.now()) await sleep(due - Date.now());
      while (inFlight.size >= 8) await Promise.race(inFlight);
      if (deadProcess()) break;
      const c = hostile[rng.int(0, hostile.length - 1)];
      const item: HostileMatrixEvent = hostileMatrixEvent(rng, cls, { mxc, eventId: realEvents.get(c.portal) as string });
      variants.set(`matrix:${cls}/${item.variant}`, (variants.get(`matrix:${cls}/${item.variant}`) ?? 0) + 1);
      const started = Date.now();
      const send = item.kind === 'redact' ? user.redact(c.portal, item.eventId) : user.sendEvent(c.portal, item.type, item.content);
      const p = send
        .then((eventId) => { matrixIds.set(eventId, `${cls}/${item.variant}`); matrixOutcomes.push({ cls, variant: item.variant, result: 'accepted', ms: Date.now() - started }); })
        .catch((error: unknown) => {
          const status = (error as { status?: number; errcode?: string }).status;
          matrixOutcomes.push({ cls, variant: item.variant, result: status ? `homeserver ${status}` : describeError(error), ms: Date.now() - started });
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
  })();

  // the untouched contact keeps chatting while the backlog is processed
  const probes: Array<{ at: number; inbound?: number; outbound?: number }> = [];
  let streaming = true;
  const probing = (async () => {
    for (let k = 0; streaming; k++) {
      await sleep(k === 0 ? 2_000 : 10_000);
      if (!streaming && k > 0) break;
      const at = Math.round((Date.now() - stageStart) / 1000);
      const [inbound, outbound] = await Promise.all([
        remoteToMatrix(watcher, untouched, `untouched probe ${k}`),
        matrixToRemote(user, untouched, `probe ${k} to the untouched contact`),
      ]);
      probes.push({ at, inbound, outbound });
    }
  })();
  await Promise.all([remoteStream, matrixStream]);
  streaming = false;
  await probing;
  const dead = deadProcess();
  if (dead) console.log(`streams stopped early: the ${dead.name} process exited ${((dead.exit!.at - stageStart) / 1000).toFixed(0)} s into them`);
  const stageAMs = Date.now() - stageStart;
  console.log(`stage A (remote + Matrix streams) took ${(stageAMs / 1000).toFixed(1)} s`);
  for (const p of probes) {
    console.log(`untouched contact during the fuzz, t=${p.at}s: remote→Matrix ${p.inbound ?? 'LOST'} ms, Matrix→remote ${p.outbound ?? 'LOST'} ms`);
    if (p.inbound === undefined) failures.push(`during the fuzz (t=${p.at}s) the untouched contact's text did not reach Matrix within ${CROSS_MS / 1000} s`);
    if (p.outbound === undefined) failures.push(`during the fuzz (t=${p.at}s) a text to the untouched contact did not reach it within ${CROSS_MS / 1000} s`);
  }
  if (probes.length === 0) failures.push('no probe of the untouched contact ran during the fuzz');

  phase = 'backlog';
  const drain = await waitForDrain(e, DRAIN_MS);
  if (drain.ms === undefined) {
    failures.push(`the hostile backlog was not worked through ${DRAIN_MS / 1000} s after the streams (${drain.left}): stuck`);
  } else {
    console.log(`the hostile contacts' backlog was worked through ${(drain.ms / 1000).toFixed(1)} s after the streams`);
  }
  await crossEachWay('after the streams', watcher, user, contacts, failures);

  // ---- stage B: the gateway's limits, one heavy input at a time --------------------------------
  let stressorOutcomes: Outcome[] = [];
  if (STRESSORS && deadProcess()) console.log('stage B (gateway stressors) skipped: a process is gone already');
  if (STRESSORS && !deadProcess()) {
    phase = 'stressors';
    const s = Date.now();
    stressorOutcomes = await gatewayStressors(rng, hostile[0].sim, USER_PHONE, e.gateway.url, e.gatewayMaxFrameBytes, { id: 'native', secret: PROVIDER_SECRETS.native });
    console.log(`stage B (gateway stressors) took ${((Date.now() - s) / 1000).toFixed(1)} s:`);
    for (const o of stressorOutcomes) console.log(`  ${o.variant.padEnd(28)} → ${o.result} (${o.ms} ms)`);
    phase = 'after stressors';
    await crossEachWay('after the stressors', watcher, user, contacts, failures);
  }
  clearInterval(sampler);

  // ---- report --------------------------------------------------------------------------------
  const fuzzEvents = user.seen.slice(fuzzMark).filter((s) => s.section === 'timeline');
  console.log('hostile remote contents sent, per class (gateway outcome):');
  console.log(tally([...remoteOutcomes, ...stressorOutcomes]));
  console.log(`hostile Matrix events sent, per class (homeserver outcome):`);
  console.log(tally(matrixOutcomes));
  console.log(`variants: ${[...variants].sort().map(([k, n]) => `${k}=${n}`).join(' ')}`);
  for (const c of contacts) {
    const inRoom = fuzzEvents.filter((s) => s.roomId === c.portal);
    const notices = inRoom.filter((s) => s.event.sender === e.botUserId).length;
    const ghost = inRoom.filter((s) => s.event.sender === c.ghost).length;
    console.log(`portal of ${c.phone}: ${notices} bot notices, ${ghost} ghost events during the fuzz; its sim received ${c.sim.received.length} messages`);
  }
  console.log(stuckReport(e, remoteIds, matrixIds));
  const mm = (xs: number[]) => (xs.length ? `${Math.min(...xs).toFixed(0)}..${Math.max(...xs).toFixed(0)} MB (${xs.length} samples)` : 'no samples');
  console.log(`RSS bridge ${mm(rss.bridge)}, gateway ${mm(rss.gateway)}; bound for the bridge ${RSS_BOUND_MB} MB`);
  console.log(`bridge RSS peak by phase: ${[...bridgePeaks].map(([k, v]) => `${k} ${v.toFixed(0)} MB`).join(', ')}`);
  console.log(`bridge log, warn/error lines by kind:\n${logSummary(e.bridge)}`);
  console.log(`gateway log, warn/error lines by kind:\n${logSummary(e.gatewayProcess)}`);
  const totalMs = Date.now() - startedAt;
  console.log(`whole fuzz: ${(totalMs / 1000).toFixed(1)} s (set-up ${(setupMs / 1000).toFixed(1)} s); seed ${seed}`);

  // ---- verdict --------------------------------------------------------------------------------
  for (const proc of [e.bridge, e.gatewayProcess]) {
    if (proc.exit) {
      failures.push(`the ${proc.name} process exited (code ${proc.exit.code}, signal ${proc.exit.signal}) ${((proc.exit.at - startedAt) / 1000).toFixed(0)} s into the run`);
    }
    const crashes = crashLines(proc);
    if (crashes.length > 0) failures.push(`the ${proc.name}'s log shows ${crashes.length} crash/unhandled line(s); first:\n${crashes.slice(0, 3).join('\n---\n')}`);
  }
  const peak = Math.max(0, ...rss.bridge);
  if (peak > RSS_BOUND_MB) failures.push(`the bridge's RSS reached ${peak.toFixed(0)} MB, over the bound of ${RSS_BOUND_MB} MB`);
  if (remoteOutcomes.length + stressorOutcomes.length < REMOTE_COUNT) failures.push(`only ${remoteOutcomes.length + stressorOutcomes.length} of ${REMOTE_COUNT} remote contents were sent`);
  if (matrixOutcomes.length < MATRIX_COUNT) failures.push(`only ${matrixOutcomes.length} of ${MATRIX_COUNT} Matrix events were sent`);
  await watcher.stop();
  if (failures.length > 0) console.log(`FAILURES (seed ${seed}):\n${failures.map((f) => `  - ${f}`).join('\n')}\nlogs: ${e.bridge.logPath}, ${e.gatewayProcess.logPath}`);
  assert.deepEqual(failures, [], `hostile input broke something (replay with FUZZ_SEED=${seed})`);
});
