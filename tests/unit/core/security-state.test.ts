// Security state over the fake ports: concurrent writers of a portal's security state leave
// the newest summary in the room; `verify … confirm` is bound to the digits of the safety
// number shown, so a key that changed since is refused; a contact's second device is not a
// key change (a reinstall still is); and every number the bridge shows is accepted by
// `verify`, even one the phone metadata deems impossible.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeSession, startCoreHarness, type CoreHarness } from '../../helpers/core-harness';
import { SECURITY_STATE_TYPE } from '../../../src/security/namespace';
import type { E164 } from '../../../src/network/phone';

const ALICE = '@alice:example.org';
const ALICE_PHONE = '+4915112345678' as E164;
const SAM = '+14155552671' as E164;
const N1 = '1'.repeat(5) + '2'.repeat(55);
const N2 = '3'.repeat(5) + '4'.repeat(55);
const F1 = 'aaaa bbbb';
const F2 = 'cccc dddd';
const device = (deviceId: number, safetyNumber: string, fingerprint: string) => ({ deviceId, safetyNumber, fingerprint });

async function setUp(t: { after(fn: () => Promise<void>): void }, hold = false): Promise<{ h: CoreHarness; session: FakeSession; roomId: string }> {
  const h = await startCoreHarness({ adjust: (c) => (c.security.hold_on_key_change = hold) });
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  session.identities.set(SAM, { safetyNumber: N1, fingerprint: F1, devices: [device(1, N1, F1)] });
  await session.deliver(FakeSession.text(SAM, 'r1', 'hello'));
  await h.core.queue.idle();
  const roomId = (await h.store.portals.get(ALICE, SAM))?.roomId;
  assert.ok(roomId);
  assert.equal((await h.store.contacts.get(ALICE, SAM))?.identityFingerprint, F1, 'the first key is learned');
  return { h, session, roomId };
}

const noticesIn = (h: CoreHarness, roomId: string) =>
  h.matrix.inRoom(roomId).filter((e) => e.asUser === h.matrix.botUserId).map((e) => String(e.content.body));

test('concurrent security writes: the newest summary lands last', async (t) => {
  const { h, roomId } = await setUp(t);
  const summaryInRoom = () => h.matrix.state.get(`${roomId}|${SECURITY_STATE_TYPE}|`) as { contact: { verified: boolean; identity_key_fingerprint: string } } | undefined;
  // writer 1 sees a new fingerprint, and the homeserver is slow to take its state
  await h.store.contacts.setFingerprint(ALICE, SAM, F2);
  h.matrix.setStateDelays.push(60);
  const first = h.core.security.updateRoomState(ALICE, SAM);
  // writer 2 (verify, say) marks the contact verified while writer 1 is still sending
  await sleep(5);
  await h.store.contacts.setVerified(ALICE, SAM, true);
  const second = h.core.security.updateRoomState(ALICE, SAM);
  await Promise.all([first, second]);
  assert.deepEqual(
    { verified: summaryInRoom()?.contact.verified, key: summaryInRoom()?.contact.identity_key_fingerprint },
    { verified: true, key: F2 },
    'the room shows the newest record, not the one that was computed first',
  );
  const stored = JSON.parse((await h.store.portals.get(ALICE, SAM))?.securitySummary ?? '{}') as { contact: { verified: boolean } };
  assert.equal(stored.contact.verified, true);
});

test('verify confirm is bound to the safety number shown: a key changed since is refused', async (t) => {
  const { h, session } = await setUp(t);
  const [shown] = await h.command(ALICE, `verify ${SAM}`);
  assert.match(shown, /^🔑 Safety number with /);
  assert.ok(shown.includes(`\`verify ${SAM} confirm 11111 22222\``), shown);

  const [bare] = await h.command(ALICE, `verify ${SAM} confirm`);
  assert.match(bare, /^To confirm, add the digits you compared/);
  assert.equal((await h.store.contacts.get(ALICE, SAM))?.verified, false);

  // the contact's key changes after the person compared the old number
  session.identities.set(SAM, { safetyNumber: N2, fingerprint: F2, devices: [device(2, N2, F2)] });
  const [stale] = await h.command(ALICE, `verify ${SAM} confirm 11111 22222`);
  assert.match(stale, /^Not verified: those digits are not the safety number in use .* now \(it starts 33333 44444\)/);
  assert.ok(stale.includes(`\`verify ${SAM} confirm 33333 44444\``), 'the new number is shown to compare');
  assert.equal((await h.store.contacts.get(ALICE, SAM))?.verified, false);

  const [words] = await h.command(ALICE, `verify ${SAM} confirm yes`);
  assert.match(words, /takes only the digits/);

  const [ok] = await h.command(ALICE, `verify ${SAM} confirm 33333 44444`);
  assert.match(ok, /is now marked verified/);
  const record = await h.store.contacts.get(ALICE, SAM);
  assert.deepEqual({ verified: record?.verified, key: record?.identityFingerprint }, { verified: true, key: F2 });
});

test('a contact\'s second device is no key change; a reinstall still is', async (t) => {
  const { h, session, roomId } = await setUp(t, true);
  const before = noticesIn(h, roomId).length;
  // Sam adds a second device: both keys are Sam's now
  session.identities.set(SAM, { safetyNumber: N2, fingerprint: `${F1}, ${F2}`, devices: [device(1, N1, F1), device(2, N2, F2)] });
  await session.handler.onIdentityChanged(SAM, { safetyNumber: N2, fingerprint: F2 });
  await h.core.security.idle();
  assert.deepEqual(noticesIn(h, roomId).slice(before), [], 'no "key changed" notice');
  const record = await h.store.contacts.get(ALICE, SAM);
  assert.equal(record?.keyChangedAt, null);
  assert.equal(record?.identityFingerprint, `${F1}, ${F2}`, 'the identity covers both devices');
  // nothing held: a message from the new device is bridged
  await session.deliver(FakeSession.text(SAM, 'r2', 'from my tablet'));
  await h.core.queue.idle();
  assert.ok(h.matrix.inRoom(roomId).some((e) => e.content.body === 'from my tablet'));
  // verify lists both devices and wants both codes
  const [shown] = await h.command(ALICE, `verify ${SAM}`);
  assert.match(shown, /\(2 devices, compare each\)/);
  assert.ok(shown.includes(`confirm 11111 22222 33333 44444\``), shown);

  // a reinstall: the old device is gone and the new key replaces it
  const N3 = '5'.repeat(5) + '6'.repeat(55);
  session.identities.set(SAM, { safetyNumber: N3, fingerprint: `${F2}, eeee ffff`, devices: [device(2, N2, F2), device(3, N3, 'eeee ffff')] });
  await session.handler.onIdentityChanged(SAM, { safetyNumber: N3, fingerprint: 'eeee ffff' });
  await h.core.security.idle();
  const after = noticesIn(h, roomId);
  assert.match(after[after.length - 1], /security key changed/);
  assert.ok((await h.store.contacts.get(ALICE, SAM))?.keyChangedAt);
});

test('a verified contact\'s new device clears the mark with a notice, but holds nothing', async (t) => {
  const { h, session, roomId } = await setUp(t, true);
  await h.command(ALICE, `verify ${SAM} confirm 11111 22222`);
  assert.equal((await h.store.contacts.get(ALICE, SAM))?.verified, true);
  session.identities.set(SAM, { safetyNumber: N2, fingerprint: `${F1}, ${F2}`, devices: [device(1, N1, F1), device(2, N2, F2)] });
  await session.handler.onIdentityChanged(SAM, { safetyNumber: N2, fingerprint: F2 });
  await h.core.security.idle();
  const last = noticesIn(h, roomId).at(-1) ?? '';
  assert.match(last, /has a new device/);
  assert.ok(last.includes(`confirm 11111 22222 33333 44444\``));
  const record = await h.store.contacts.get(ALICE, SAM);
  assert.deepEqual({ verified: record?.verified, changed: record?.keyChangedAt }, { verified: false, changed: null });
});

test('verify accepts every number the bridge shows, even one the metadata deems impossible', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  for (const odd of ['+1555123', '+99912345'] as E164[]) {
    session.identities.set(odd, { safetyNumber: N1, fingerprint: F1, devices: [device(1, N1, F1)] });
    await session.deliver(FakeSession.text(odd, `m-${odd}`, 'hi'));
    await h.core.queue.idle();
    assert.ok((await h.store.portals.get(ALICE, odd))?.roomId, `${odd} is bridged`);
    const [shown] = await h.command(ALICE, `verify ${odd}`);
    assert.match(shown, /^🔑 Safety number with /, `verify ${odd}`);
    const [ok] = await h.command(ALICE, `verify ${odd} confirm 11111 22222`);
    assert.match(ok, /is now marked verified/);
    const [chat] = await h.command(ALICE, `start-chat ${odd}`);
    assert.match(chat, /^Chat with /);
  }
  // a number typed for the first time still gets the strict check
  const [refused] = await h.command(ALICE, 'start-chat +1555124');
  assert.match(refused, /is not a valid phone number/);
  const [login] = await h.command('@bob:example.org', 'login +1555124');
  assert.match(login, /is not a valid phone number/);
});
