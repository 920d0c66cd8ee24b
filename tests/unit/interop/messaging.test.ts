/**
 * Simulated users on a real gateway over real sockets: text both ways under Signal
 * encryption (and nothing readable in the gateway's database), replies, reactions, edits and
 * deletes as content, typing and receipts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isDelete, isEdit } from '../../../src/protocol/content';
import type { SimUser } from '../../../src/sim/sim-user';
import { TestGateway, findPlaintext } from './harness';

const ALICE = '+4915100000101';
const BOB = '+4915100000102';

describe('messaging between simulated users through the gateway', () => {
  let gw: TestGateway;
  let alice: SimUser;
  let bob: SimUser;

  before(async () => {
    gw = await TestGateway.start();
    alice = await gw.sim(ALICE, { displayName: 'Alice' });
    bob = await gw.sim(BOB, { displayName: 'Bob' });
  });
  after(() => gw.close());

  it('delivers text both ways, Signal-encrypted, and the gateway database holds no plaintext', async () => {
    const toBob = 'marker-to-bob: the eagle lands at nine';
    const toAlice = 'marker-to-alice: understood, nine it is';
    const sent = await alice.client.sendContent(BOB, {
      kind: 'message', messageId: 'msg-a1', timestamp: Date.now(),
      parts: [{ type: 'text', body: toBob, format: 'plain' }],
    });
    assert.equal(sent.encrypted, true);
    assert.equal(sent.duplicate, false);
    const atBob = await bob.waitFor('message', (m) => m.content.messageId === 'msg-a1');
    assert.equal(atBob.encrypted, true);
    assert.equal(atBob.sender.phone, ALICE);
    assert.equal(atBob.sender.e2ee, true);
    assert.equal(atBob.sender.bridged, false);
    assert.ok(atBob.content.kind === 'message' && atBob.content.parts[0].type === 'text');
    assert.equal(atBob.content.parts[0].body, toBob);

    await bob.sendText(ALICE, toAlice);
    const atAlice = await alice.waitFor('message', (m) => m.content.kind === 'message' && m.content.parts[0]?.type === 'text' && m.content.parts[0].body === toAlice);
    assert.equal(atAlice.encrypted, true);

    // Keep one message unacknowledged in the queue too: stop Bob, send, scan, then restart.
    const queued = 'marker-queued: waiting in the gateway queue';
    await bob.close();
    await alice.sendText(BOB, queued);

    const db = gw.openDatabase();
    try {
      const queueRows = db.prepare('SELECT COUNT(*) AS n FROM queue').get() as { n: number };
      assert.ok(queueRows.n >= 1, 'the queued message should be in the gateway database');
      for (const needle of [toBob, toAlice, queued, 'marker-']) {
        assert.deepEqual(findPlaintext(db, needle), [], `plaintext "${needle}" found in the gateway database`);
      }
    } finally {
      db.close();
    }
    bob = await gw.sim(BOB);
    const late = await bob.waitFor('message', (m) => m.content.kind === 'message' && m.content.parts[0]?.type === 'text' && m.content.parts[0].body === queued);
    assert.equal(late.encrypted, true);
  });

  it('carries reply, reaction, edit and delete as content', async () => {
    const original = await alice.sendText(BOB, 'what time?');
    await bob.waitFor('message', (m) => m.content.messageId === original);

    const replyId = await bob.reply(ALICE, original, 'at 8');
    const reply = await alice.waitFor('message', (m) => m.content.messageId === replyId);
    assert.ok(reply.content.kind === 'message');
    assert.equal(reply.content.inReplyTo, original);

    const reactionId = await alice.react(BOB, replyId, '👍');
    const reaction = await bob.waitFor('message', (m) => m.content.messageId === reactionId);
    assert.deepEqual(
      reaction.content.kind === 'reaction' ? { target: reaction.content.target, emoji: reaction.content.emoji } : undefined,
      { target: replyId, emoji: '👍' },
    );
    assert.equal(bob.chats.find(ALICE, replyId)?.reactions.get(ALICE), '👍');

    const editId = await alice.edit(BOB, original, 'what time tomorrow?');
    const edit = await bob.waitFor('message', (m) => m.content.messageId === editId);
    assert.ok(isEdit(edit.content));
    assert.equal(edit.content.replaces, original);
    const edited = bob.chats.find(ALICE, original);
    assert.equal(edited?.edited, true);
    assert.equal(edited?.parts[0].type === 'text' && edited.parts[0].body, 'what time tomorrow?');

    const deleteId = await alice.delete(BOB, original);
    const del = await bob.waitFor('message', (m) => m.content.messageId === deleteId);
    assert.ok(isDelete(del.content));
    assert.equal(del.content.replaces, original);
    assert.equal(bob.chats.find(ALICE, original)?.deleted, true);

    const unreactId = await alice.react(BOB, replyId, '');
    await bob.waitFor('message', (m) => m.content.messageId === unreactId);
    assert.equal(bob.chats.find(ALICE, replyId)?.reactions.has(ALICE), false);
  });

  it('signals typing and delivered / read status', async () => {
    await alice.typing(BOB, 'started');
    const typing = await bob.waitFor('typing', (t) => t.sender.phone === ALICE && t.state === 'started');
    assert.equal(typing.sender.deviceId, alice.deviceId);
    await alice.typing(BOB, 'stopped');
    await bob.waitFor('typing', (t) => t.sender.phone === ALICE && t.state === 'stopped');

    const id = await alice.sendText(BOB, 'did you read this?');
    await bob.waitFor('message', (m) => m.content.messageId === id);
    // Bob's phone sends "delivered" by itself…
    await alice.waitFor('status', (s) => s.status === 'delivered' && s.messageIds.includes(id));
    assert.equal(alice.chats.find(BOB, id)?.status === 'delivered' || alice.chats.find(BOB, id)?.status === 'read', true);
    // …and "read" when the person opens the chat.
    const read = await bob.markRead(ALICE);
    assert.ok(read.includes(id));
    const status = await alice.waitFor('status', (s) => s.status === 'read' && s.messageIds.includes(id));
    assert.equal(status.sender.phone, BOB);
    assert.equal(alice.chats.find(BOB, id)?.status, 'read');
    assert.equal(await bob.markRead(ALICE).then((ids) => ids.length), 0);
  });

  it('shows the same safety number on both phones', async () => {
    const [a] = await alice.safetyNumbers(BOB);
    const [b] = await bob.safetyNumbers(ALICE);
    assert.ok(a && b);
    assert.equal(a.safetyNumber, b.safetyNumber);
  });

  it('publishes profiles', async () => {
    const p = await alice.profile(BOB);
    assert.equal(p.displayName, 'Bob');
    assert.equal(p.provider, 'native');
  });
});
