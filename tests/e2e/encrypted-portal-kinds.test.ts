// Every message kind in an encrypted portal (security.encryption: default), end to end: the
// real Synapse, the real gateway, the real bridge, a simulated remote person, and the Matrix
// user's own crypto-wasm device (tests/helpers/crypto-test-client.ts, not the bridge's crypto
// module). Media both ways is encrypted as the spec's EncryptedFile: the contact's image
// reaches the user as `file` (no `url`), the event decrypts under CrossSignedOrLegacy and the
// attachment to the exact bytes, and what Synapse stores for it is ciphertext; the user's
// encrypted image reaches the contact byte for byte, and one whose hash does not match is
// answered with a notice instead. Replies, edits, reactions and deletes cross both ways and
// point at the right message; receipts and typing (unencrypted ephemeral events) still
// cross. Of the bridge's users' events in the room, Synapse stores only m.room.encrypted,
// state events and redactions.
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as wasm from '@matrix-org/matrix-sdk-crypto-wasm';
import type { AttachmentPart } from '../../src/protocol/content';
import type { IncomingMessage } from '../../src/interop-client/types';
import type { DecryptedForTest } from '../helpers/crypto-test-client';
import { ALICE_PHONE, portalFromContact, startEncryptedWorld } from '../helpers/encrypted-env';
import { reader } from '../helpers/encrypted-room-reader';
import type { MatrixEvent, SeenEvent } from '../helpers/matrix-client';
import { remoteText, simReceivesText } from '../helpers/interop-env';

const SAM_PHONE = '+14155552671';

type Json = Record<string, unknown>;
const relation = (e: MatrixEvent | undefined): Json => (e?.content['m.relates_to'] ?? {}) as Json;
/** a relation lives in the clear part of m.room.encrypted (for the server's aggregation) or inside */
const relationOf = (found: { event: MatrixEvent; decrypted: DecryptedForTest }): Json =>
  ({ ...relation(found.decrypted.event), ...relation(found.event) });
const redactsOf = (e: MatrixEvent) => e.redacts ?? (e.content.redacts as string | undefined);

/** The test's own attachment encryption, as a Matrix client does it (not the bridge's glue). */
function encryptFile(bytes: Uint8Array): { ciphertext: Uint8Array; info: Json } {
  const encrypted = wasm.Attachment.encrypt(bytes);
  return { ciphertext: encrypted.encryptedData, info: JSON.parse(encrypted.mediaEncryptionInfo!) as Json };
}

function decryptFile(ciphertext: Uint8Array, file: Json): Buffer {
  const { url: _url, ...info } = file;
  return Buffer.from(wasm.Attachment.decrypt(new wasm.EncryptedAttachment(ciphertext, JSON.stringify(info))));
}

test('an encrypted portal: media, replies, edits, reactions, deletes, receipts and typing, both ways', { timeout: 300_000 }, async (t) => {
  const world = await startEncryptedWorld(t, (c) => { c.security.encryption = 'default'; });
  const { env, alice, aliceCrypto } = world;

  const { sam, ghost, portal, firstMessageId: helloId } = await portalFromContact(world, SAM_PHONE, 'hello, encrypted');
  const { stored, decryptedFrom } = reader(aliceCrypto, portal);
  await aliceCrypto.track([ghost, env.botUserId]);
  const hello = await decryptedFrom(ghost, 'hello, encrypted');
  const members = [aliceCrypto.userId, ghost, env.botUserId];

  /** Syncs until an event of `sender` in the portal decrypts (CrossSignedOrLegacy) to one that matches. */
  const decryptedWhere = async (sender: string, match: (clear: MatrixEvent) => boolean): Promise<{ event: MatrixEvent; decrypted: DecryptedForTest }> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      await aliceCrypto.sync(500);
      for (const event of (await stored()).filter((e) => e.sender === sender && e.type === 'm.room.encrypted')) {
        const decrypted = await aliceCrypto.decrypt(portal, event, wasm.TrustRequirement.CrossSignedOrLegacy).catch(() => undefined);
        if (decrypted && match(decrypted.event)) return { event, decrypted };
      }
      if (Date.now() > deadline) throw new Error(`no event of ${sender} in the portal decrypted to a matching one`);
    }
  };
  const storedFrom = async (sender: string, type: string, match: (e: MatrixEvent) => boolean): Promise<MatrixEvent> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const found = (await stored()).find((e) => e.sender === sender && e.type === type && match(e));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no ${type} of ${sender} in the portal`);
      await aliceCrypto.sync(500);
    }
  };
  const nextFromAlice = (match: (m: IncomingMessage) => boolean) => {
    const before = sam.received.length;
    return sam.waitFor('message', (m) => sam.received.indexOf(m) >= before && m.sender.phone === ALICE_PHONE && match(m), 30_000);
  };

  // Alice writes first, so both sides have a message of the other to relate to
  const aliceTextId = await aliceCrypto.sendEncrypted(portal, members, { msgtype: 'm.text', body: 'alice says something' });
  const aliceRemoteId = (await simReceivesText(sam, ALICE_PHONE, 'alice says something', 30_000)).content.messageId;

  await t.test('remote image → an encrypted m.image with `file`; decrypts to the exact bytes; Synapse holds ciphertext', async () => {
    const data = randomBytes(3000);
    const part = await sam.client.uploadAttachment(data, { kind: 'image', mimeType: 'image/png', fileName: 'dot.png', width: 4, height: 3 });
    await sam.send(ALICE_PHONE, { kind: 'message', messageId: randomBytes(8).toString('hex'), timestamp: Date.now(), parts: [part] });
    const image = await decryptedFrom(ghost, 'dot.png');
    assert.equal(image.decrypted.shield.color, wasm.ShieldColor.None, `shield: ${image.decrypted.shield.message}`);
    const content = image.decrypted.event.content;
    assert.equal(content.msgtype, 'm.image');
    assert.equal(content.url, undefined, 'no plaintext url in an encrypted room');
    const file = content.file as Json;
    assert.equal(file.v, 'v2');
    assert.match(String(file.url), /^mxc:\/\//);
    const info = content.info as Json;
    assert.deepEqual([info.mimetype, info.size, info.w, info.h], ['image/png', data.length, 4, 3]);
    const held = await alice.downloadMedia(String(file.url));
    assert.equal(held.contentType.split(';')[0], 'application/octet-stream', 'the homeserver is not told the type');
    assert.equal(held.data.length, data.length);
    assert.ok(!held.data.equals(data), 'Synapse stores ciphertext, not the image');
    assert.ok(decryptFile(held.data, file).equals(data), 'the attachment decrypts to the exact bytes sent');
  });

  await t.test('Matrix encrypted image (`file`) → the contact gets the exact bytes', async () => {
    const data = randomBytes(2500);
    const { ciphertext, info } = encryptFile(data);
    const url = await alice.uploadMedia(ciphertext, 'application/octet-stream');
    const got = nextFromAlice((m) => m.content.kind === 'message' && m.content.parts.some((p) => p.type === 'attachment'));
    await aliceCrypto.sendEncrypted(portal, members, {
      msgtype: 'm.image', body: 'shot.png', file: { ...info, url }, info: { mimetype: 'image/png', size: data.length, w: 2, h: 2 },
    });
    const message = await got;
    const part = (message.content.kind === 'message' ? message.content.parts : []).find((p): p is AttachmentPart => p.type === 'attachment')!;
    assert.equal(part.kind, 'image');
    assert.equal(part.mimeType, 'image/png');
    assert.equal(part.size, data.length);
    assert.ok(Buffer.from(await sam.download(part)).equals(data), 'the contact downloads exactly the plaintext');
  });

  await t.test('Matrix encrypted file whose hash does not match → a notice to the sender, nothing reaches the contact', async () => {
    const data = randomBytes(1500);
    const { ciphertext, info } = encryptFile(data);
    const tampered = Uint8Array.from(ciphertext);
    tampered[10] ^= 0xff;
    const url = await alice.uploadMedia(tampered, 'application/octet-stream');
    const before = sam.received.length;
    const bad = await aliceCrypto.sendEncrypted(portal, members, {
      msgtype: 'm.file', body: 'tampered.pdf', file: { ...info, url }, info: { mimetype: 'application/pdf', size: data.length },
    });
    const notice = await decryptedFrom(env.botUserId, /could not decrypt the file/);
    assert.match(String(notice.decrypted.event.content.body), /SHA-256/);
    assert.doesNotMatch(String(notice.decrypted.event.content.body), new RegExp(String((info.key as Json).k).slice(0, 12).replace(/[^\w]/g, '.')));
    await aliceCrypto.sendEncrypted(portal, members, { msgtype: 'm.text', body: 'barrier after the tampered file' });
    await simReceivesText(sam, ALICE_PHONE, 'barrier after the tampered file', 30_000);
    const between = sam.received.slice(before).filter((m) => remoteText(m.content) !== 'barrier after the tampered file');
    assert.deepEqual(between.map((m) => m.content.kind), [], `nothing of ${bad} reached the contact`);
  });

  let samReaction: MatrixEvent | undefined;
  await t.test('remote reply, edit and reaction → encrypted relations to the right events', async () => {
    await sam.reply(ALICE_PHONE, aliceRemoteId, 'replying to alice');
    const reply = await decryptedFrom(ghost, /replying to alice/);
    assert.deepEqual(relationOf(reply)['m.in_reply_to'], { event_id: aliceTextId });

    await sam.edit(ALICE_PHONE, helloId, 'hello, edited');
    const edit = await decryptedWhere(ghost, (e) => (e.content['m.new_content'] as Json | undefined)?.body === 'hello, edited');
    assert.equal(relationOf(edit).rel_type, 'm.replace');
    assert.equal(relationOf(edit).event_id, hello.event.event_id);

    await sam.react(ALICE_PHONE, aliceRemoteId, '👍');
    const reaction = await decryptedWhere(ghost, (e) => e.type === 'm.reaction');
    assert.deepEqual(relationOf(reaction), { rel_type: 'm.annotation', event_id: aliceTextId, key: '👍' });
    samReaction = reaction.event;
  });

  await t.test('remote un-react and delete → redactions of the right events', async () => {
    await sam.react(ALICE_PHONE, aliceRemoteId, '');
    await storedFrom(ghost, 'm.room.redaction', (e) => redactsOf(e) === samReaction?.event_id);
    await sam.delete(ALICE_PHONE, helloId);
    await storedFrom(ghost, 'm.room.redaction', (e) => redactsOf(e) === hello.event.event_id);
  });

  await t.test('Matrix encrypted reply, edit and reaction → the contact gets them on the right messages', async () => {
    // a fresh message of Sam's: the first one is deleted by now
    const samTextId = await sam.sendText(ALICE_PHONE, 'sam says something');
    const samText = await decryptedFrom(ghost, 'sam says something');
    const samEventId = String(samText.event.event_id);

    let got = nextFromAlice((m) => remoteText(m.content) === 'my answer');
    await aliceCrypto.sendEncrypted(portal, members, { msgtype: 'm.text', body: 'my answer', 'm.relates_to': { 'm.in_reply_to': { event_id: samEventId } } });
    const answer = await got;
    assert.equal(answer.content.kind === 'message' && answer.content.inReplyTo, samTextId);

    got = nextFromAlice((m) => m.content.kind === 'message' && m.content.replaces !== undefined && m.content.parts.length > 0);
    await aliceCrypto.sendEncrypted(portal, members, {
      msgtype: 'm.text', body: '* alice corrects herself',
      'm.new_content': { msgtype: 'm.text', body: 'alice corrects herself' },
      'm.relates_to': { rel_type: 'm.replace', event_id: aliceTextId },
    });
    const edit = await got;
    assert.equal(edit.content.kind === 'message' && edit.content.replaces, aliceRemoteId);
    assert.equal(remoteText(edit.content), 'alice corrects herself');

    got = nextFromAlice((m) => m.content.kind === 'reaction' && m.content.emoji !== '');
    const reactionId = await aliceCrypto.sendEncrypted(portal, members, { 'm.relates_to': { rel_type: 'm.annotation', event_id: samEventId, key: '❤️' } }, 'm.reaction');
    const reaction = await got;
    assert.deepEqual(reaction.content.kind === 'reaction' && [reaction.content.target, reaction.content.emoji], [samTextId, '❤️']);

    got = nextFromAlice((m) => m.content.kind === 'reaction' && m.content.emoji === '');
    await alice.redact(portal, reactionId);
    const unreact = await got;
    assert.equal(unreact.content.kind === 'reaction' && unreact.content.target, samTextId);

    got = nextFromAlice((m) => m.content.kind === 'message' && m.content.replaces === aliceRemoteId && m.content.parts.length === 0);
    await alice.redact(portal, aliceTextId, 'oops');
    await got;
  });

  await t.test('receipts and typing still cross both ways', async () => {
    const samMsgId = await sam.sendText(ALICE_PHONE, 'did you read this?');
    const toRead = await decryptedFrom(ghost, 'did you read this?');
    await alice.sendReceipt(portal, String(toRead.event.event_id));
    await sam.waitFor('status', (s) => s.status === 'read' && s.messageIds.includes(samMsgId), 30_000);

    const readMe = await aliceCrypto.sendEncrypted(portal, members, { msgtype: 'm.text', body: 'please read me' });
    await simReceivesText(sam, ALICE_PHONE, 'please read me', 30_000);
    let seen = await alice.catchUp();
    assert.ok((await sam.markRead(ALICE_PHONE)).length >= 1);
    await alice.waitForEvent((e: SeenEvent) => e.roomId === portal && e.section === 'ephemeral' && e.event.type === 'm.receipt'
      && (e.event.content[readMe] as Record<string, Json> | undefined)?.['m.read']?.[ghost] !== undefined, { after: seen, timeoutMs: 30_000 });

    seen = await alice.catchUp();
    await sam.typing(ALICE_PHONE, 'started');
    await alice.waitForEvent((e: SeenEvent) => e.roomId === portal && e.section === 'ephemeral' && e.event.type === 'm.typing'
      && ((e.event.content.user_ids ?? []) as string[]).includes(ghost), { after: seen, timeoutMs: 30_000 });
    const before = sam.typingEvents.length;
    await alice.setTyping(portal, true);
    await sam.waitFor('typing', (e) => sam.typingEvents.indexOf(e) >= before && e.state === 'started' && e.sender.phone === ALICE_PHONE, 30_000);
  });

  await t.test("Synapse holds only ciphertext of the bridge's users' events (besides state and redactions)", async () => {
    const fromBridge = (await stored()).filter((e) => (e.sender === ghost || e.sender === env.botUserId) && e.state_key === undefined);
    const types = new Set(fromBridge.map((e) => e.type));
    assert.ok(types.has('m.room.encrypted') && types.has('m.room.redaction'), `saw ${[...types].join(', ')}`);
    assert.deepEqual([...types].filter((type) => type !== 'm.room.encrypted' && type !== 'm.room.redaction'), [], 'nothing else, in plaintext');
    // a redacted event keeps no content at all (the deleted message)
    const kept = fromBridge.filter((x) => x.type === 'm.room.encrypted' && x.unsigned?.redacted_because === undefined);
    assert.ok(kept.length >= 8, `the ghost's messages, relations and the bot's notices (${kept.length})`);
    for (const e of kept) {
      assert.deepEqual(Object.keys(e.content).filter((k) => !['algorithm', 'ciphertext', 'device_id', 'sender_key', 'session_id', 'm.relates_to'].includes(k)), [],
        `only the ciphertext and its envelope: ${JSON.stringify(Object.keys(e.content))}`);
      assert.equal(typeof e.content.ciphertext, 'string');
    }
  });
});
