// Text both ways, end to end (real Synapse, real gateway, the real bridge, a
// simulated remote person): WhatsApp-style markup becomes Matrix HTML and back,
// plain text stays plain, and a burst keeps its order in each direction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matrixUser, messageFrom, remoteText, simReceivesText, startChatFromRemote, startInteropEnv } from '../helpers/interop-env';

const ALICE_PHONE = '+4915112345678';
const SAM_PHONE = '+14155552671';

test('text and formatting, both directions', async (t) => {
  const env = await startInteropEnv();
  t.after(() => env.stop());
  const alice = await matrixUser(env, 'alice');
  const { sim: sam, ghost, portal } = await startChatFromRemote(env, alice, ALICE_PHONE, SAM_PHONE);

  await t.test('the first message arrived as plain m.text from the ghost', () => {
    const hello = alice.seen.find(messageFrom(portal, ghost, 'hello'));
    assert.ok(hello);
    assert.equal(hello.event.content.msgtype, 'm.text');
  });

  await t.test('remote WhatsApp markup → Matrix HTML', async () => {
    const mark = await alice.catchUp();
    await sam.sendText(ALICE_PHONE, '*bold* _italic_ ~gone~ `mono`', { format: 'markdown-wa' });
    const ev = (await alice.waitForEvent(messageFrom(portal, ghost), { after: mark })).event;
    assert.equal(ev.content.msgtype, 'm.text');
    assert.equal(ev.content.format, 'org.matrix.custom.html');
    const html = String(ev.content.formatted_body);
    assert.match(html, /<strong>bold<\/strong>/);
    assert.match(html, /<em>italic<\/em>/);
    assert.match(html, /<del>gone<\/del>/);
    assert.match(html, /<code>mono<\/code>/);
    assert.match(String(ev.content.body), /bold/);
  });

  await t.test('remote plain text with markup characters stays literal', async () => {
    const mark = await alice.catchUp();
    await sam.sendText(ALICE_PHONE, 'a *star* and <b>tag</b>', { format: 'plain' });
    const ev = (await alice.waitForEvent(messageFrom(portal, ghost), { after: mark })).event;
    assert.equal(ev.content.body, 'a *star* and <b>tag</b>');
    if (ev.content.formatted_body !== undefined) {
      assert.doesNotMatch(String(ev.content.formatted_body), /<strong>|<b>/, 'no markup invented, no HTML injected');
    }
  });

  await t.test('Matrix HTML → WhatsApp markup', async () => {
    await alice.sendEvent(portal, 'm.room.message', {
      msgtype: 'm.text',
      body: 'x and b and gone',
      format: 'org.matrix.custom.html',
      formatted_body: '<em>x</em> and <strong>b</strong> and <del>gone</del>',
    });
    const got = await sam.waitFor('message', (m) => m.sender.phone === ALICE_PHONE && /_x_/.test(remoteText(m.content) ?? ''), 20_000);
    assert.equal(remoteText(got.content), '_x_ and *b* and ~gone~');
    assert.equal(got.content.kind === 'message' && got.content.parts[0].type === 'text' && got.content.parts[0].format, 'markdown-wa');
    assert.equal(got.encrypted, true, 'the bridge → native hop is Signal-encrypted');
  });

  await t.test('Matrix plain text arrives unchanged, including emoji and newlines', async () => {
    const text = 'Grüße 👋\nzweite Zeile *no markup*';
    await alice.sendText(portal, text);
    const got = await simReceivesText(sam, ALICE_PHONE, text);
    const part = got.content.kind === 'message' ? got.content.parts[0] : undefined;
    assert.ok(part?.type === 'text');
    // literal asterisks must not turn bold on the other side
    assert.equal(part.format, 'plain');
  });

  await t.test('a burst keeps its order in both directions', async () => {
    const mark = await alice.catchUp();
    for (let i = 1; i <= 5; i++) await sam.sendText(ALICE_PHONE, `remote ${i}`);
    await alice.waitForEvent(messageFrom(portal, ghost, 'remote 5'), { after: mark, timeoutMs: 30_000 });
    await alice.sync();
    const remote = alice.seen.slice(mark).filter(messageFrom(portal, ghost, /^remote \d$/)).map((e) => e.event.content.body);
    assert.deepEqual(remote, ['remote 1', 'remote 2', 'remote 3', 'remote 4', 'remote 5']);

    const before = sam.received.length;
    for (let i = 1; i <= 5; i++) await alice.sendText(portal, `matrix ${i}`);
    await simReceivesText(sam, ALICE_PHONE, 'matrix 5', 30_000);
    const texts = sam.received.slice(before).map((m) => remoteText(m.content)).filter((s) => /^matrix \d$/.test(s ?? ''));
    assert.deepEqual(texts, ['matrix 1', 'matrix 2', 'matrix 3', 'matrix 4', 'matrix 5']);
  });
});
