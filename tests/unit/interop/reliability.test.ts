/**
 * Store-and-forward under failure: offline delivery, a dropped network connection, and a
 * gateway restart in the middle of a stream of messages — nothing lost, nothing duplicated.
 */
import { dropSocket } from '../../helpers/drop-socket';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { SimUser } from '../../../src/sim/sim-user';
import { TestGateway } from './harness';

const ALICE = '+4915100000401';
const BOB = '+4915100000402';

function texts(sim: SimUser, from: string): string[] {
  return sim.received
    .filter((m) => m.sender.phone === from && m.content.kind === 'message')
    .map((m) => (m.content.kind === 'message' && m.content.parts[0]?.type === 'text' ? m.content.parts[0].body : '?'));
}

describe('reliability', () => {
  let gw: TestGateway;
  let alice: SimUser;
  let bob: SimUser;

  before(async () => {
    gw = await TestGateway.start();
    alice = await gw.sim(ALICE);
    bob = await gw.sim(BOB);
  });
  after(() => gw.close());

  it('commits the session before the ciphertext leaves (visible to another connection once sent)', async () => {
    const carol = await gw.sim('+4915100000403');
    const file = join(gw.dir, `sim-${carol.phone.replace(/\W/g, '')}.db`);
    const count = () => {
      const db = new Database(file, { readonly: true });
      try {
        return (db.prepare('SELECT COUNT(*) AS n FROM signal_sessions WHERE name = ?').get(ALICE) as { n: number }).n;
      } finally {
        db.close();
      }
    };
    assert.equal(count(), 0);
    await carol.sendText(ALICE, 'first contact');
    assert.equal(count(), 1, 'the new session must be on disk once the gateway has the message');
  });

  it('delivers messages sent while the recipient was offline once it comes back', async () => {
    await alice.sendText(BOB, 'hello'); // establish the session first
    await bob.waitFor('message', (m) => m.sender.phone === ALICE);
    await bob.close();
    const offline = ['offline 1', 'offline 2', 'offline 3', 'offline 4', 'offline 5'];
    for (const t of offline) await alice.sendText(BOB, t);
    bob = await gw.sim(BOB); // same key database: the stored device comes back
    await bob.waitFor('message', (m) => m.content.kind === 'message' && m.content.parts[0]?.type === 'text' && m.content.parts[0].body === 'offline 5');
    assert.deepEqual(texts(bob, ALICE), offline);
  });

  it('reconnects by itself after the network drops and receives what was sent meanwhile', async () => {
    let reconnected = false;
    bob.connection.once('connected', (_h, again) => (reconnected = again));
    dropSocket(bob.connection);
    const id = await alice.sendText(BOB, 'while you were away');
    await bob.waitFor('message', (m) => m.content.messageId === id);
    assert.equal(reconnected, true);
    assert.equal(bob.received.filter((m) => m.content.messageId === id).length, 1);
  });

  it('loses and duplicates nothing when the gateway restarts mid-stream', async () => {
    const before = bob.received.length;
    const total = 120;
    const sent: string[] = [];
    let restarting: Promise<void> | undefined;
    let inFlightAtRestart = 0;
    let drops = 0;
    alice.connection.on('disconnected', () => drops++);
    const sending = (async () => {
      const pending: Array<Promise<unknown>> = [];
      for (let i = 0; i < total; i++) {
        if (i === 60) {
          // restart while messages are in flight and more are being sent
          inFlightAtRestart = pending.length;
          restarting = gw.restart();
        }
        sent.push(`stream ${i}`);
        pending.push(alice.sendText(BOB, `stream ${i}`));
        // pipelined: up to 8 messages in flight, like a busy sender
        if (pending.length >= 8) await Promise.all(pending.splice(0));
      }
      await Promise.all(pending);
    })();
    await sending;
    await restarting;
    assert.ok(inFlightAtRestart > 0, 'messages were in flight when the gateway went down');
    assert.ok(drops > 0, 'the sender saw the gateway go away');
    await bob.waitFor('message', (m) => m.content.kind === 'message' && m.content.parts[0]?.type === 'text' && m.content.parts[0].body === `stream ${total - 1}`, 30_000);
    const got = texts(bob, ALICE).slice(texts(bob, ALICE).length - (bob.received.length - before));
    assert.equal(new Set(got).size, got.length, 'a message was handed over twice');
    assert.deepEqual([...got].sort(), [...sent].sort(), 'a message was lost');
    assert.deepEqual(got, sent, 'messages arrived out of order');
  });
});
