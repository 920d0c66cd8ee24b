/**
 * bench:encrypted — an encrypted portal beside a plain one, in the same run, with the same
 * bridge (security.encryption: allow), Synapse and gateway: both directions, each window.
 * Prints figures; asserts nothing about timing.
 *
 *   node dist/bench/encrypted-portal.bench.js
 *   env: BENCH_MESSAGES (200 per run), BENCH_WINDOWS ("1,20"), BENCH_WARMUP (20), BRIDGE_LOG (error),
 *        BENCH_BRIDGE_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof")
 *
 * The Matrix user has two devices, as a person with Element does: a plain client (reads and
 * writes the plain portal) and a crypto-wasm device of the bench's own
 * (tests/helpers/crypto-test-client.ts, cross-signed), which reads the encrypted portal by
 * decrypting each event under CrossSignedOrLegacy and writes it by encrypting each message one
 * at a time and sending up to `window` at once. Its own decryption and encryption is in the
 * bench process's CPU column, not the bridge's. The encrypted portal starts plain and the user
 * turns encryption on, so both portals were made the same way. How many ghost devices cost in
 * memory is bench:crypto's part (docs/benchmarks.md).
 */
import { cpus, loadavg } from 'node:os';
import * as wasm from '@matrix-org/matrix-sdk-crypto-wasm';
import { encryptionEnabledNotice } from '../src/security/notices';
import { CryptoTestClient } from '../tests/helpers/crypto-test-client';
import { reader } from '../tests/helpers/encrypted-room-reader';
import { loginMatrixUser, matrixUser, memoryOf, openChat, startBridgedEnv } from './bridged-env';
import { Arrivals, messageBodyIn, SyncWatcher, TIMELINE_FILTER } from './flow';
import { measure, type Path, type PathWatcher, type Row } from './measure-path';

const ALICE_PHONE = '+4915112345678';
const int = (name: string, fallback: number) => Math.max(0, Number(process.env[name] ?? fallback) || 0);
const MESSAGES = Math.max(1, int('BENCH_MESSAGES', 200));
const WARMUP = int('BENCH_WARMUP', 20);
const WINDOWS = (process.env.BENCH_WINDOWS ?? '1,20').split(',').map((w) => Math.max(1, Number(w.trim()) || 1));

/** Reads an encrypted room as a client does: syncs (room keys first), decrypts each new event of `sender`, reports its body. */
class DecryptingWatcher implements PathWatcher {
  private running = false;
  private loop: Promise<void> | undefined;
  private next = 0;

  constructor(private readonly client: CryptoTestClient, private readonly roomId: string, private readonly sender: string,
    private readonly arrivals: Arrivals) {}

  async start(): Promise<void> {
    await this.client.sync(0, TIMELINE_FILTER);
    this.next = this.client.timeline.length;
    this.running = true;
    this.loop = (async () => {
      let undecrypted: typeof this.client.timeline = [];
      while (this.running) {
        await this.client.sync(1000, TIMELINE_FILTER);
        const fresh = this.client.timeline.slice(this.next);
        this.next = this.client.timeline.length;
        const pending = [...undecrypted, ...fresh.filter((t) => t.roomId === this.roomId && t.event.sender === this.sender && t.event.type === 'm.room.encrypted')];
        undecrypted = [];
        for (const t of pending) {
          // a key that has not come yet comes with a later sync: try again then
          const clear = await this.client.decrypt(this.roomId, t.event, wasm.TrustRequirement.CrossSignedOrLegacy).catch(() => undefined);
          if (!clear) undecrypted.push(t);
          else if (typeof clear.event.content.body === 'string') this.arrivals.seen(clear.event.content.body);
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

/** Encrypts one message at a time on the user's one machine, sends as many at once as the window allows. */
function encryptedSender(client: CryptoTestClient, roomId: string, members: string[]): (body: string) => Promise<unknown> {
  let turn: Promise<unknown> = Promise.resolve();
  return (body) => {
    const content = turn.then(() => client.encryptMessage(roomId, members, { msgtype: 'm.text', body }));
    turn = content.catch(() => undefined);
    return content.then((c) => client.matrix.sendEvent(roomId, 'm.room.encrypted', c));
  };
}

const LOCK = ' 🔒';
const f = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '–');

function printTable(rows: Row[]): void {
  console.log('\npath                                         window   msgs    msg/s   p50 ms   p99 ms  rate/plain  Δp50 vs plain   CPU ms/msg: bridge synapse bench');
  for (const r of rows) {
    const plain = r.path.key.endsWith(LOCK) ? rows.find((x) => x.window === r.window && x.path.key === r.path.key.replace(LOCK, '')) : undefined;
    const rate = plain ? `${f((100 * r.s.perSecond) / plain.s.perSecond, 0)} %` : '';
    const delta = plain ? `${r.s.p50Ms - plain.s.p50Ms >= 0 ? '+' : ''}${f(r.s.p50Ms - plain.s.p50Ms)} ms` : '';
    console.log(`${`${r.path.key.padEnd(6)} ${r.path.title}`.padEnd(44)} ${String(r.window).padStart(6)} ${String(r.s.count).padStart(6)} ` +
      `${f(r.s.perSecond).padStart(8)} ${f(r.s.p50Ms).padStart(8)} ${f(r.s.p99Ms).padStart(8)} ${rate.padStart(11)} ${delta.padStart(14)}   ` +
      `${f(r.cpuMsPerMsg.bridge, 2).padStart(17)} ${f(r.cpuMsPerMsg.synapse, 2).padStart(7)} ${f(r.cpuMsPerMsg.bench, 2).padStart(5)}`);
  }
}

async function main(): Promise<void> {
  const began = Date.now();
  const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`machine: ${cpus().length} CPU(s), load average ${load()} at start (other work on the machine skews every figure)`);
  console.log(`bench:encrypted — ${MESSAGES} messages per run, windows ${WINDOWS.join(', ')}, ${WARMUP} warm-up messages per path`);
  const env = await startBridgedEnv((c) => { c.security.encryption = 'allow'; });
  try {
    const alice = await matrixUser(env, 'alice');
    const aliceCrypto = await CryptoTestClient.login(env.hs.url, 'alice', 'alice-password');
    await aliceCrypto.crossSign();
    const managementRoom = await loginMatrixUser(env, alice, ALICE_PHONE);
    const plain = await openChat(env, alice, managementRoom, ALICE_PHONE, '+14155552680');
    const locked = await openChat(env, alice, managementRoom, ALICE_PHONE, '+14155552681');
    const ghostOf = (phone: string) => `@${env.config.appservice.ghost_username_template.replace('{phone}', phone)}:${env.config.homeserver.domain}`;
    const lockedGhost = ghostOf('+14155552681');
    await alice.request('PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(locked.portal)}/state/m.room.encryption/`, { algorithm: 'm.megolm.v1.aes-sha2' });
    await aliceCrypto.track([lockedGhost, env.botUserId]);
    // the bot says so in the room, encrypted: by then the bridge reads and writes it encrypted
    await reader(aliceCrypto, locked.portal).decryptedFrom(env.botUserId, encryptionEnabledNotice(true).body);
    const memBefore = memoryOf(env.bridgePid);

    const arrivals = new Arrivals();
    for (const chat of [plain, locked]) chat.sim.on('message', (m) => {
      if (m.sender.phone !== ALICE_PHONE || m.content.kind !== 'message') return;
      arrivals.seen(m.content.parts?.filter((p) => p.type === 'text').map((p) => p.body ?? '').join('\n'));
    });
    const paths: Path[] = [
      { key: 'R→M', title: 'sim → bridge → Matrix, plain', watcher: new SyncWatcher(alice, messageBodyIn(plain.portal), arrivals), send: (b) => plain.sim.sendText(ALICE_PHONE, b) },
      { key: `R→M${LOCK}`, title: 'sim → bridge → Matrix, encrypted', watcher: new DecryptingWatcher(aliceCrypto, locked.portal, lockedGhost, arrivals), send: (b) => locked.sim.sendText(ALICE_PHONE, b) },
      { key: 'M→R', title: 'Matrix → bridge → sim, plain', send: (b) => alice.sendText(plain.portal, b) },
      { key: `M→R${LOCK}`, title: 'Matrix → bridge → sim, encrypted', send: encryptedSender(aliceCrypto, locked.portal, [aliceCrypto.userId, lockedGhost, env.botUserId]) },
    ];
    if (WARMUP > 0) for (const path of paths) await measure(env, path, arrivals, 1, WARMUP);
    const rows: Row[] = [];
    for (const window of WINDOWS) {
      for (const path of paths) {
        const row = await measure(env, path, arrivals, window, MESSAGES);
        rows.push(row);
        console.log(`  measured ${path.key} window ${window}: ${f(row.s.perSecond)} msg/s, p50 ${f(row.s.p50Ms)} ms`);
      }
    }
    const memAfter = memoryOf(env.bridgePid);

    console.log('\nMethod: as bench:bridge (bench/flow.ts): N messages with unique bodies, at most `window` in flight; latency = the');
    console.log('receiver saw it (Matrix: /sync, decrypted for 🔒; sim: decrypted message) − send call started. 🔒 rows are the');
    console.log('encrypted portal; "rate/plain" and "Δp50 vs plain" compare each with the plain row of the same window and direction.');
    console.log('CPU ms/msg: the bridge process, Synapse, and this bench process (gateway, sims, both Matrix clients and their crypto).');
    printTable(rows);
    console.log(`\nBridge RSS: ${f(memBefore.rssMb)} MB with both portals open (two ghost devices and the bot's), ${f(memAfter.rssMb)} MB after the runs ` +
      `(peak ${f(memAfter.peakMb)} MB). Memory per ghost device: npm run bench:crypto.`);
    console.log(`load average at the end: ${load()}\nwhole bench: ${f((Date.now() - began) / 1000, 0)} s`);
    aliceCrypto.close();
  } finally {
    await env.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(`bench:encrypted failed: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
