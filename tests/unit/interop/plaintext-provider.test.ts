/**
 * A provider without end-to-end encryption (plainchat) exchanging messages with a native
 * e2ee account: it works both ways, every message is marked as not end-to-end encrypted, and
 * (as the protocol says) the gateway can read it — which also proves that the database scan
 * used by the no-plaintext test does find plaintext when it is there.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SimUser } from '../../../src/sim/sim-user';
import { TestGateway, findPlaintext } from './harness';

const NATIVE = '+4915100000201';
const PLAIN = '+447700900201';

describe('a plaintext-provider account and a native one', () => {
  let gw: TestGateway;
  let native: SimUser;
  let plain: SimUser;

  before(async () => {
    gw = await TestGateway.start();
    native = await gw.sim(NATIVE);
    plain = await gw.sim(PLAIN, { provider: 'plainchat' });
  });
  after(() => gw.close());

  it('registers the plaintext account without Signal keys', async () => {
    assert.equal(plain.client.e2ee, false);
    const devices = await plain.client.listDevices();
    assert.equal(devices.devices[0].oneTimePreKeyCount, 0);
  });

  it('exchanges messages both ways, marked as not end-to-end encrypted', async () => {
    const fromNative = 'plain-marker: sent by the native user';
    const sent = await native.client.sendContent(PLAIN, {
      kind: 'message', messageId: 'n-1', timestamp: Date.now(), parts: [{ type: 'text', body: fromNative, format: 'plain' }],
    });
    assert.equal(sent.encrypted, false, 'the native client must know it sent plaintext');
    const atPlain = await plain.waitFor('message', (m) => m.content.messageId === 'n-1');
    assert.equal(atPlain.encrypted, false);
    assert.equal(atPlain.sender.e2ee, true);

    const reply = await plain.reply(NATIVE, 'n-1', 'plain-marker: answer from plainchat');
    const atNative = await native.waitFor('message', (m) => m.content.messageId === reply);
    assert.equal(atNative.encrypted, false);
    assert.equal(atNative.sender.e2ee, false);
    assert.equal(atNative.sender.provider, 'plainchat');
    assert.ok(atNative.content.kind === 'message');
    assert.equal(atNative.content.inReplyTo, 'n-1');
    assert.equal(native.chats.find(PLAIN, reply)?.encrypted, false);
    // Status and reactions work across the two kinds of provider too.
    await native.waitFor('status', (s) => s.sender.phone === PLAIN && s.messageIds.includes('n-1'));
  });

  it('lets the gateway read such messages (the scanner finds them; e2ee ones it does not)', async () => {
    await native.close();
    await plain.sendText(NATIVE, 'plain-marker: queued in the clear');
    const db = gw.openDatabase();
    try {
      assert.ok(findPlaintext(db, 'plain-marker: queued in the clear').length > 0);
    } finally {
      db.close();
    }
    native = await gw.sim(NATIVE);
    await native.waitFor('message', (m) => m.content.kind === 'message' && m.content.parts[0]?.type === 'text' && m.content.parts[0].body === 'plain-marker: queued in the clear');
  });

  it('follows a contact that moves to a provider without end-to-end encryption', async () => {
    let mover = await gw.sim('+4915100000211');
    await native.sendText(mover.phone, 'while you are on native');
    await mover.waitFor('message', (m) => m.sender.phone === NATIVE);
    await mover.connection.request('account.unregister', { phone: mover.phone });
    await mover.close();
    mover = await gw.sim(mover.phone, { provider: 'plainchat', databaseFile: join(gw.dir, 'mover-plain.db') });

    // the native side still holds a Signal session for device 1: the gateway refuses the
    // ciphertext (encryption_mismatch), the client looks the account up again and sends plaintext
    const sent = await native.client.sendContent(mover.phone, {
      kind: 'message', messageId: 'after-move', timestamp: Date.now(), parts: [{ type: 'text', body: 'where did you go?', format: 'plain' }],
    });
    assert.equal(sent.encrypted, false);
    const got = await mover.waitFor('message', (m) => m.content.messageId === 'after-move');
    assert.equal(got.encrypted, false);
  });
});
