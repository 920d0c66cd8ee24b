// Smoke test of the real-homeserver harness itself: Synapse starts with an
// appservice registration, users are created through the shared-secret API,
// and a message goes in through the client API and comes back through /sync.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startSynapse, registerUser } from '../helpers/synapse';
import { MatrixClient, clientFor } from '../helpers/matrix-client';

test('Synapse harness: register, create room, send, read back through /sync', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'harness-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const registrationPath = join(dir, 'registration.yaml');
  const asToken = `as_${Date.now()}_token`;
  writeFileSync(registrationPath, stringify({
    id: 'harness-smoke', url: null, as_token: asToken, hs_token: 'hs_harness_token',
    sender_localpart: 'smokebot', rate_limited: false,
    namespaces: { users: [{ exclusive: true, regex: '@smoke_.*:localhost' }], aliases: [], rooms: [] },
  }));

  const hs = await startSynapse({ registrationFiles: [registrationPath], dir: join(dir, 'hs') });
  t.after(() => hs.stop());
  console.log(`# synapse answered after ${hs.startupMs} ms`);

  // The registration was loaded: its as_token authenticates as its sender.
  const bot = new MatrixClient(hs.url, asToken, '@smokebot:localhost');
  assert.equal(await bot.whoami(), '@smokebot:localhost');

  const alice = clientFor(hs.url, await registerUser(hs, 'alice', 'alice-password'));
  const bob = clientFor(hs.url, await registerUser(hs, 'bob', 'bob-password', true));
  assert.equal(alice.userId, '@alice:localhost');

  // Registering a name inside the appservice's exclusive namespace is refused.
  await assert.rejects(registerUser(hs, 'smoke_x', 'pw'), /M_EXCLUSIVE/);

  const roomId = await alice.createRoom({ invite: [bob.userId], isDirect: true });
  const invite = await bob.waitForEvent((e) => e.section === 'invite' && e.roomId === roomId
    && e.event.type === 'm.room.member' && e.event.state_key === bob.userId);
  assert.equal(invite.event.content.is_direct, true);
  await bob.join(roomId);

  const eventId = await alice.sendText(roomId, 'hello from alice');
  const received = await bob.waitForMessage(roomId, alice.userId);
  assert.equal(received.event_id, eventId);
  assert.equal(received.content.body, 'hello from alice');

  // Typing and receipts come back as ephemeral events.
  await bob.setTyping(roomId, true);
  await alice.waitForEvent((e) => e.section === 'ephemeral' && e.event.type === 'm.typing'
    && (e.event.content.user_ids as string[]).includes(bob.userId));
  await bob.sendReceipt(roomId, eventId);
  await alice.waitForEvent((e) => e.section === 'ephemeral' && e.event.type === 'm.receipt'
    && JSON.stringify(e.event.content).includes(bob.userId));

  // Redaction and media.
  await alice.redact(roomId, eventId, 'test');
  await bob.waitForEvent((e) => e.roomId === roomId && e.event.type === 'm.room.redaction' && e.event.redacts === eventId);
  const mxc = await alice.uploadMedia(Buffer.from('tiny file'), 'text/plain', 'tiny.txt');
  const media = await bob.downloadMedia(mxc);
  assert.equal(media.data.toString(), 'tiny file');
});

test('Synapse harness: stop() ends the process and frees the port', async () => {
  const hs = await startSynapse({ registrationFiles: [] });
  const res = await fetch(`${hs.url}/_matrix/client/versions`);
  assert.equal(res.status, 200);
  await hs.stop();
  await assert.rejects(fetch(`${hs.url}/_matrix/client/versions`), /fetch failed/);
  await hs.stop(); // a second stop is harmless
});
