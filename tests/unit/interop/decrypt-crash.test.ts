/**
 * A process killed at any write of a decryption must leave the envelope readable when the
 * gateway hands it over again: either its plaintext was kept, or nothing of the decryption
 * was (ratchet step, consumed prekeys), so it decrypts again. Found by the fault suite (one
 * message in 300 lost across three kill -9): the ratchet step was durable before the kept
 * plaintext, the redelivery was a "duplicate", acknowledged, and gone.
 *
 * The kill is a database that refuses every write from the k-th on (what was committed before
 * stays, the open transaction is rolled back when the handle closes), tried for every k.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { randomUUID } from 'node:crypto';
import {
  ProtocolAddress, SenderKeyDistributionMessage, groupEncrypt, processSenderKeyDistributionMessage,
} from '@signalapp/libsignal-client';
import Database from 'better-sqlite3';
import { GroupReceiver } from '../../../src/interop-client/group-receiver';
import type { InteropConnection } from '../../../src/interop-client/connection';
import { InboundReceiver } from '../../../src/interop-client/receiver';
import { generateDeviceKeys } from '../../../src/interop-client/signal/keys';
import { SignalSessions } from '../../../src/interop-client/signal/sessions';
import { SignalDatabase } from '../../../src/interop-client/signal/sqlite-database';
import { toBase64 } from '../../../src/interop-client/sodium';
import type { IncomingGroupMessage, IncomingMessage, UnreadableMessage } from '../../../src/interop-client/types';
import type { EnvelopeEvent } from '../../../src/protocol/frames';

const ALICE = '+4915100003001';
const BOB = '+4915100003002';
const dir = mkdtempSync(join(tmpdir(), 'interop-decrypt-crash-'));
after(() => rmSync(dir, { recursive: true, force: true }));

class Killed extends Error {
  constructor() {
    super('process killed');
    this.name = 'SqliteError'; // what a dying database looks like to the receiver
  }
}

const WRITES = /^\s*(INSERT|UPDATE|DELETE|REPLACE)/i;

/** A handle whose k-th write statement and every one after it throw, as if the process died there. */
function dyingAt(db: Database.Database, k: number): { handle: Database.Database; writes: () => number } {
  let writes = 0;
  const wrap = (stmt: Database.Statement, sql: string) =>
    new Proxy(stmt, {
      get(target, key) {
        if (key === 'run' && WRITES.test(sql)) {
          return (...args: unknown[]) => {
            writes += 1;
            if (writes >= k) throw new Killed();
            return target.run(...args);
          };
        }
        const value = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  const handle = new Proxy(db, {
    get(target, key) {
      if (key === 'prepare') return (sql: string) => wrap(target.prepare(sql), sql);
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { handle, writes: () => writes };
}

interface Sent {
  envelope: EnvelopeEvent;
  body: string;
}

function envelopeOf(id: string, type: 'prekey' | 'whisper', body: string): EnvelopeEvent {
  return {
    recipient: { phone: BOB, deviceId: 1 },
    envelopeId: id,
    sender: { phone: ALICE, deviceId: 1, provider: 'native', bridged: false, e2ee: true },
    serverTimestamp: 1,
    payload: { kind: 'message', clientMessageId: `m-${id}`, type, body },
  } as EnvelopeEvent;
}

const content = (text: string) => new TextEncoder().encode(JSON.stringify({
  kind: 'message', messageId: `m-${text}`, timestamp: 1, parts: [{ type: 'text', body: text, format: 'plain' }],
}));

/**
 * Alice and Bob with a session; Bob's keys in `file`, in the bridge's mode (autocommit on a
 * handle it shares) or the simulated user's (its own file, group commit). Returns the
 * envelope of a first (prekey) message, of a later one (`later`), or of a group message (`group`).
 */
type Kind = 'first' | 'later' | 'group';

async function world(file: string, shared: boolean, kind: Kind): Promise<Sent> {
  const whisper = kind === 'later';
  const alice = new SignalDatabase(join(dir, `${file}-alice.db`));
  const aliceStores = alice.forAccount(ALICE);
  await generateDeviceKeys(aliceStores, { oneTimePreKeys: 2, oneTimeKyberPreKeys: 2 });
  await aliceStores.local.setDeviceId(1);
  const bobHandle = new Database(join(dir, `${file}-bob.db`));
  const bob = new SignalDatabase(shared ? bobHandle : join(dir, `${file}-bob.db`), { groupCommit: !shared });
  const bobStores = bob.forAccount(BOB);
  const keys = await generateDeviceKeys(bobStores, { oneTimePreKeys: 2, oneTimeKyberPreKeys: 2 });
  await bobStores.local.setDeviceId(1);
  const registrationId = (await bobStores.local.load())!.registrationId;
  const aliceSessions = new SignalSessions(aliceStores, ALICE, 1);
  const bobSessions = new SignalSessions(bobStores, BOB, 1);
  await aliceSessions.startSession(BOB, 1, registrationId, {
    identityKey: keys.identityKey, signedPreKey: keys.signedPreKey,
    kyberPreKey: keys.oneTimeKyberPreKeys![0], oneTimePreKey: keys.oneTimePreKeys![0],
  });
  let sent = await aliceSessions.encrypt(BOB, 1, content('first'));
  let body = 'first';
  if (whisper) {
    await bobSessions.decrypt(ALICE, 1, sent.type, sent.body);
    const reply = await bobSessions.encrypt(ALICE, 1, content('reply'));
    await aliceSessions.decrypt(BOB, 1, reply.type, reply.body);
    sent = await aliceSessions.encrypt(BOB, 1, content('second'));
    body = 'second';
    assert.equal(sent.type, 'whisper');
  }
  let envelope = envelopeOf(`e-${file}`, sent.type, sent.body);
  if (kind === 'group') {
    // Alice's sender key, handed to Bob as the group-key envelope would; then two group
    // messages, the second one the kill is tried on (its chain step is a write)
    const groupId = 'g-1';
    const from = ProtocolAddress.new(ALICE, 1);
    const skdm = await SenderKeyDistributionMessage.create(from, randomUUID(), aliceStores.senderKey);
    await processSenderKeyDistributionMessage(from, skdm, bobStores.senderKey);
    await bobStores.groups.bindSender(groupId, { phone: ALICE, deviceId: 1 }, skdm.distributionId());
    await groupEncrypt(from, skdm.distributionId(), aliceStores.senderKey, content('warm-up'));
    const message = await groupEncrypt(from, skdm.distributionId(), aliceStores.senderKey, content('group-hello'));
    body = 'group-hello';
    envelope = {
      ...envelope,
      payload: { kind: 'group_message', groupId, clientMessageId: 'm-group', type: 'senderkey', body: toBase64(message.serialize()) },
    } as EnvelopeEvent;
  }
  alice.close();
  bob.close();
  if (bobHandle.open) bobHandle.close();
  return { envelope, body };
}

/** Bob receives the envelope once over `handle`; what the consumer was handed. */
async function receive(handle: Database.Database, shared: boolean, envelope: EnvelopeEvent) {
  const db = new SignalDatabase(handle, { groupCommit: !shared });
  const stores = db.forAccount(BOB);
  const conn = { request: async () => ({}) } as unknown as InteropConnection;
  const handed: Array<IncomingMessage | IncomingGroupMessage | UnreadableMessage> = [];
  const warnings: string[] = [];
  const sessions = new SignalSessions(stores, BOB, 1);
  const groups = new GroupReceiver(sessions, stores, {
    groupMessage: (m) => handed.push(m), groupUpdate: () => undefined, unreadable: (u) => handed.push(u),
    warning: (e) => warnings.push(e.message), changed: async () => undefined,
  });
  const receiver = new InboundReceiver(conn, BOB, 1, sessions, stores.pending, {
    message: (m) => handed.push(m), status: () => undefined, unreadable: (u) => handed.push(u), warning: (e) => warnings.push(e.message),
  }, false, groups);
  receiver.enqueue(envelope);
  await receiver.idle();
  await new Promise((resolve) => setImmediate(resolve)); // a group commit's end of turn
  db.close();
  return { handed, warnings };
}

const textOf = (m: IncomingMessage | IncomingGroupMessage | UnreadableMessage) =>
  'content' in m && m.content.kind === 'message' && m.content.parts[0].type === 'text' ? m.content.parts[0].body : `unreadable: ${'error' in m ? m.error : ''}`;

for (const shared of [true, false]) {
  for (const kind of ['first', 'later', 'group'] as const) {
    const mode = `${shared ? 'autocommit (the bridge)' : 'group commit (a simulated user)'}, ${kind} message`;
    describe(`a kill at any write of a decryption, ${mode}`, () => {
      it('leaves the redelivered envelope readable', async () => {
        let k = 1;
        for (; ; k++) {
          const file = `${shared ? 's' : 'g'}-${kind}-${k}`;
          const sent = await world(file, shared, kind);
          const real = new Database(join(dir, `${file}-bob.db`));
          const dying = dyingAt(real, k);
          await receive(dying.handle, shared, sent.envelope);
          if (real.open) real.close(); // an open transaction is rolled back, as in a crash
          const again = await receive(new Database(join(dir, `${file}-bob.db`)), shared, sent.envelope);
          assert.deepEqual(again.handed.map(textOf), [sent.body], `killed at write ${k}: ${again.warnings.join('; ')}`);
          if (dying.writes() < k) break; // the whole first delivery ran: every write was a kill point
        }
        assert.ok(k > 2, `the decryption wrote only ${k - 1} times`);
      });
    });
  }
}
