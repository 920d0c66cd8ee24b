// AppserviceMatrixPort over a fake matrix-appservice-bridge: what it asks the library per request.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Bridge } from 'matrix-appservice-bridge';
import { AppserviceMatrixPort } from '../../../src/matrix/appservice-port';

const BOT = '@bot:example.org';
const GHOST = '@wa_+4915112345678:example.org';

/** A bridge whose intents count registration checks; `failRegistration` makes the next one throw. */
function fakeBridge() {
  const checks: string[] = [];
  const sends: string[] = [];
  let failRegistration = false;
  const bridge = {
    getIntent: (user: string) => ({
      ensureRegistered: async () => {
        checks.push(user);
        if (failRegistration) {
          failRegistration = false;
          throw new Error('homeserver down');
        }
        return 'registered=true';
      },
      matrixClient: {
        doRequest: async (_method: string, path: string) => {
          sends.push(`${user} ${path}`);
          return { event_id: `$${sends.length}` };
        },
      },
    }),
  } as unknown as Bridge;
  return { bridge, checks, sends, failNextRegistration: () => (failRegistration = true) };
}

const port = (bridge: Bridge) => new AppserviceMatrixPort(bridge, BOT, 'wa_{phone}', 'example.org', /^@wa_\+\d+:example\.org$/);

test('a ghost is checked for registration once per process, not before every request; the bot never', async () => {
  const fake = fakeBridge();
  const matrix = port(fake.bridge);
  for (let i = 0; i < 3; i++) await matrix.sendEvent(GHOST, '!room:example.org', 'm.room.message', { body: 'hi' }, `txn-${i}`);
  await matrix.sendEvent(BOT, '!room:example.org', 'm.room.message', { body: 'notice' }, 'txn-bot');
  assert.equal(fake.sends.length, 4);
  assert.deepEqual(fake.checks, [GHOST]);
});

test('a registration check that failed is made again on the next request', async () => {
  const fake = fakeBridge();
  const matrix = port(fake.bridge);
  fake.failNextRegistration();
  await assert.rejects(matrix.sendEvent(GHOST, '!room:example.org', 'm.room.message', { body: 'hi' }, 'txn-1'), /homeserver down/);
  await matrix.sendEvent(GHOST, '!room:example.org', 'm.room.message', { body: 'hi' }, 'txn-1');
  assert.deepEqual(fake.checks, [GHOST, GHOST]);
  assert.equal(fake.sends.length, 1);
});
