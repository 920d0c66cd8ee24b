// Typing and read receipts from a Matrix user reach the bridge's own
// appservice listener (DurableAppService) once each, with the registration the
// bridge's generator writes, from the pinned Synapse. The pitfall this guards:
// matrix-appservice 3 reads only `de.sorunome.msc2409.ephemeral`, Synapse sends
// `ephemeral` for receive_ephemeral; the generated registration asks for both,
// so each event arrives under both keys and must still be handled once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load';
import { generateRegistration, writeRegistration } from '../../src/registration/generate';
import { SqliteBridgeStore } from '../../src/store';
import { DurableAppService, type MatrixEvent } from '../../src/matrix/transaction-intake';
import { freePort } from '../helpers/free-port';
import { repoRoot, startSynapse, registerUser } from '../helpers/synapse';
import { MatrixClient, clientFor, registerAppserviceUser } from '../helpers/matrix-client';

test('typing and receipts from a Matrix user reach the bridge listener once each', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ephemeral-intake-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = parseConfig(readFileSync(join(repoRoot, 'config.sample.yaml'), 'utf8'));
  const port = await freePort();
  config.homeserver.domain = 'localhost';
  config.appservice.url = `http://127.0.0.1:${port}`;
  const registration = generateRegistration(config, config.appservice.url);
  const registrationPath = join(dir, 'registration.yaml');
  writeRegistration(registrationPath, registration);

  const store = SqliteBridgeStore.open(join(dir, 'bridge.db'));
  t.after(async () => await store.close());
  const events: MatrixEvent[] = [];
  const ephemeral: MatrixEvent[] = [];
  const appservice = new DurableAppService(registration.hs_token, { maxAgeMs: 86_400_000, log: console });
  appservice.attach({
    onEvent: async (e) => { events.push(e); },
    onEphemeral: async (e) => { ephemeral.push(e); },
  }, store.transactions);
  await appservice.listen(port, '127.0.0.1', 10);
  t.after(() => appservice.close());

  const hs = await startSynapse({ registrationFiles: [registrationPath], dir: join(dir, 'hs') });
  t.after(() => hs.stop());

  const alice = clientFor(hs.url, await registerUser(hs, 'alice', 'alice-password'));
  const bot = new MatrixClient(hs.url, registration.as_token, `@${registration.sender_localpart}:localhost`);
  // A ghost with the `+` of an E.164 number in its localpart (MSC4009), as the template makes.
  const ghost = await registerAppserviceUser(hs.url, registration.as_token,
    config.appservice.ghost_username_template.replace('{phone}', '+4915112345678'));
  assert.equal(ghost.userId, '@wa_+4915112345678:localhost');

  const roomId = await alice.createRoom({ invite: [bot.userId, ghost.userId], isDirect: true });
  await bot.join(roomId);
  await ghost.join(roomId);
  const ghostMessage = await ghost.sendText(roomId, 'hello from the remote side');
  await alice.waitForEvent((e) => e.event.event_id === ghostMessage);

  await alice.setTyping(roomId, true);
  await alice.sendReceipt(roomId, ghostMessage);
  // Both keys of one transaction are handled together, so a duplicate from the
  // second key would already be here when the original is; the message is a
  // sanity check that timeline events still flow beside the ephemeral ones.
  const barrier = await alice.sendText(roomId, 'after typing and receipt');

  const deadline = Date.now() + 15_000;
  const isTyping = (e: MatrixEvent) => e.type === 'm.typing' && e.room_id === roomId
    && Array.isArray(e.content?.user_ids) && e.content.user_ids.includes(alice.userId);
  const isReceipt = (e: MatrixEvent) => e.type === 'm.receipt' && e.room_id === roomId
    && JSON.stringify(e.content?.[ghostMessage] ?? {}).includes(alice.userId);
  while (Date.now() < deadline
    && !(ephemeral.some(isTyping) && ephemeral.some(isReceipt) && events.some((e) => e.event_id === barrier))) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const seen = JSON.stringify({ ephemeral, events: events.map((e) => [e.type, e.event_id]) }).slice(0, 3000);
  assert.equal(ephemeral.filter(isTyping).length, 1, `typing arrives once: ${seen}`);
  assert.equal(ephemeral.filter(isReceipt).length, 1, `receipt arrives once: ${seen}`);
  assert.equal(events.filter((e) => e.event_id === barrier).length, 1, `message arrives once: ${seen}`);
  assert.equal(ephemeral.filter(isReceipt)[0].content?.[ghostMessage] !== undefined, true);
});
