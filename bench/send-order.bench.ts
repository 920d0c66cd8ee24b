/**
 * bench:order — what keeps a room's order, and what it costs Synapse. Issue 13 asked for a
 * portal's remote → Matrix events to be several in flight at once with order kept; this
 * measures, on a real Synapse, the three ways a client can put N events into one room:
 *   serial      one PUT at a time, each sent when the last one was answered (what the bridge does)
 *   concurrent  `window` PUTs in flight on separate connections (what baseline A does)
 *   pipelined   `window` PUTs written back to back on ONE keep-alive connection (HTTP/1.1
 *               pipelining, undici), so they reach Synapse in order
 * For each: messages/s, Synapse's CPU per event, and how many events Synapse's timeline
 * (/messages, stream order, which every client shows) has out of send order.
 *
 *   node dist/bench/send-order.bench.js     env: BENCH_ORDER_MESSAGES (300), BENCH_ORDER_WINDOWS ("4,20"),
 *                                           BENCH_SYNAPSE_DB (sqlite | postgres, see synapse-database.ts)
 * Prints figures; asserts nothing.
 */
import { Client } from 'undici';
import { registerUser, startSynapse } from '../tests/helpers/synapse';
import { cpuSecondsOf } from './bridged-env';
import { synapseDatabase } from './synapse-database';

const MESSAGES = Number(process.env.BENCH_ORDER_MESSAGES ?? 300);
const WINDOWS = (process.env.BENCH_ORDER_WINDOWS ?? '4,20').split(',').map((w) => Math.max(1, Number(w) || 1));

interface Outcome { perSecond: number; synapseCpuMs: number; outOfOrder: number; seen: number }

async function main(): Promise<void> {
  const database = synapseDatabase();
  const hs = await startSynapse({ registrationFiles: [], extraConfig: database.config ? { database: database.config } : {} });
  try {
    const user = await registerUser(hs, 'orderbench', 'orderbench-password');
    const headers = { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' };
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${hs.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as Record<string, unknown>;
    };
    const sendPath = (room: string, tag: string, i: number) => `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/send/m.room.message/${tag}-${i}`;
    const content = (i: number) => JSON.stringify({ msgtype: 'm.text', body: String(i) });

    /** events of the room in stream order; how many come before one sent earlier */
    const order = async (room: string) => {
      const page = await call('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/messages?dir=f&limit=${MESSAGES + 50}`);
      const sent = (page.chunk as Array<{ type: string; content: { body?: string } }>).filter((e) => e.type === 'm.room.message').map((e) => Number(e.content.body));
      let outOfOrder = 0;
      for (let i = 1; i < sent.length; i++) if (sent[i] < sent[i - 1]) outOfOrder += 1;
      return { outOfOrder, seen: sent.length };
    };

    const run = async (send: (room: string, tag: string) => Promise<void>, tag: string): Promise<Outcome> => {
      const room = String((await call('POST', '/_matrix/client/v3/createRoom', {})).room_id);
      const cpu0 = cpuSecondsOf(hs.pid);
      const t0 = performance.now();
      await send(room, tag);
      const seconds = (performance.now() - t0) / 1000;
      return { perSecond: MESSAGES / seconds, synapseCpuMs: ((cpuSecondsOf(hs.pid) - cpu0) * 1000) / MESSAGES, ...(await order(room)) };
    };

    const serial = async (room: string, tag: string) => {
      for (let i = 0; i < MESSAGES; i++) await call('PUT', sendPath(room, tag, i), JSON.parse(content(i)));
    };
    const concurrent = (window: number) => async (room: string, tag: string) => {
      let next = 0;
      await Promise.all(Array.from({ length: window }, async () => {
        while (next < MESSAGES) {
          const i = next++;
          await call('PUT', sendPath(room, tag, i), JSON.parse(content(i)));
        }
      }));
    };
    const pipelined = (window: number) => async (room: string, tag: string) => {
      const client = new Client(hs.url, { pipelining: window });
      try {
        await Promise.all(Array.from({ length: MESSAGES }, (_, i) =>
          client.request({ method: 'PUT', path: sendPath(room, tag, i), headers, body: content(i) }).then(async (res) => {
            const text = await res.body.text();
            if (res.statusCode !== 200) throw new Error(`pipelined PUT: ${res.statusCode} ${text}`);
          })));
      } finally {
        await client.close();
      }
    };

    console.log(`bench:order — ${MESSAGES} events into one room per run, Synapse on ${database.kind}`);
    const rows: Array<[string, Outcome]> = [['serial, one at a time', await run(serial, 's')]];
    for (const w of WINDOWS) {
      rows.push([`concurrent, ${w} in flight`, await run(concurrent(w), `c${w}`)]);
      rows.push([`pipelined, ${w} deep, one connection`, await run(pipelined(w), `p${w}`)]);
    }
    console.log(`\n${'how'.padEnd(38)} ${'msg/s'.padStart(7)} ${'Synapse CPU ms/event'.padStart(21)}   out of send order`);
    for (const [how, o] of rows) {
      console.log(`${how.padEnd(38)} ${o.perSecond.toFixed(1).padStart(7)} ${o.synapseCpuMs.toFixed(1).padStart(21)}   ${o.outOfOrder} of ${o.seen}`);
    }
    console.log('\nConcurrent sends reach Synapse on several connections and are created side by side (its per-room');
    console.log('limiter lets several through): the timeline shows some out of order. Pipelined sends keep the order, but');
    console.log('Synapse answers one connection\'s requests one after another, so they cost what serial sends cost.');
  } finally {
    await hs.stop();
    database.drop();
  }
}

main().then(() => process.exit(0), (error: Error) => {
  console.error(`bench:order failed: ${error.stack ?? error.message}`);
  process.exit(1);
});
