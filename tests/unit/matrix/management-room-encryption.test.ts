// The management room follows security.encryption: with `default` or `require` the bot makes
// its device before it joins and turns encryption on as it joins; with `require`, a room it may
// not encrypt is left with the reason and never becomes a management room; with `default` it is
// used unencrypted (logged); `allow` leaves the room as it is; `off` adds nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../src/config/load';
import type { MatrixEncryption } from '../../../src/config/types';
import { SqliteBridgeStore } from '../../../src/store';
import { BridgeBot, type BotIdentity } from '../../../src/matrix/bot';
import { CommandRegistry } from '../../../src/matrix/commands/registry';
import { encryptedRoomOf, managementRoomEncryption } from '../../../src/matrix/management-room-encryption';
import { repoRoot } from '../../helpers/synapse';

const ALICE = '@alice:hs';
const ROOM = '!new:hs';
const BOT = '@interopbot:hs';

async function invited(t: { after(fn: () => unknown): void }, mode: MatrixEncryption, mayEncrypt: boolean, deviceFails = false) {
  const dir = mkdtempSync(join(tmpdir(), 'bot-enc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = parseConfig(readFileSync(join(repoRoot, 'config.sample.yaml'), 'utf8'), 'config.sample.yaml');
  config.bridge.permissions = { [ALICE]: 'user' };
  const store = SqliteBridgeStore.open(join(dir, 'bridge.db'));
  t.after(async () => await store.close());
  const steps: string[] = [];
  const identity: BotIdentity = {
    join: async (roomId) => steps.push(`join ${roomId}`),
    leave: async (roomId, reason) => steps.push(`leave ${roomId}: ${reason}`),
    sendMessage: async (roomId) => steps.push(`send ${roomId}`),
    ...managementRoomEncryption({
      mode,
      encryptRoom: async (roomId) => {
        if (!mayEncrypt) throw new Error('the homeserver refused it (403 M_FORBIDDEN)');
        steps.push(`encrypt ${roomId}`);
      },
      ensureBotDevice: async () => {
        if (deviceFails) throw new Error('the homeserver refused it (404 M_UNRECOGNIZED)');
        steps.push('device');
      },
      log: { warn: () => undefined },
    }),
  };
  const bot = new BridgeBot(BOT, config, store, new CommandRegistry(), identity, { info: () => undefined, warn: () => undefined, error: () => undefined }, () => false);
  await bot.accept({ type: 'm.room.member', event_id: '$invite', room_id: ROOM, sender: ALICE, state_key: BOT, content: { membership: 'invite' } });
  await bot.stop();
  return { steps, managementRoom: (await store.users.get(ALICE))?.managementRoom ?? null };
}

test('default and require: the device first, then join, then encryption on, then the welcome', async (t) => {
  for (const mode of ['default', 'require'] as const) {
    const { steps, managementRoom } = await invited(t, mode, true);
    assert.deepEqual(steps, ['device', `join ${ROOM}`, `encrypt ${ROOM}`, `send ${ROOM}`], mode);
    assert.equal(managementRoom, ROOM);
  }
});

test('require: a room the bot may not encrypt is left with the reason and is no management room', async (t) => {
  const { steps, managementRoom } = await invited(t, 'require', false);
  assert.equal(steps.length, 3);
  assert.match(steps[2], /^leave !new:hs: this bridge requires an encrypted management room .*403/);
  assert.equal(managementRoom, null);
});

test('default: a room the bot may not encrypt is used unencrypted; allow leaves it as it is; off adds nothing', async (t) => {
  assert.deepEqual((await invited(t, 'default', false)).steps, ['device', `join ${ROOM}`, `send ${ROOM}`]);
  assert.deepEqual((await invited(t, 'allow', true)).steps, ['device', `join ${ROOM}`, `send ${ROOM}`]);
  assert.deepEqual((await invited(t, 'off', true)).steps, [`join ${ROOM}`, `send ${ROOM}`]);
});

test('an encrypted event in a management room is read with the bot\'s device, for its user', async () => {
  const portalOf = async (roomId: string) => (roomId === '!portal:hs' ? { owner: ALICE, ghost: '@wa_+1:hs' } : undefined);
  const managementOf = async (roomId: string) => (roomId === '!mgmt:hs' ? ALICE : undefined);
  assert.deepEqual(await encryptedRoomOf('!portal:hs', portalOf, managementOf, BOT), { owner: ALICE, ghost: '@wa_+1:hs' });
  assert.deepEqual(await encryptedRoomOf('!mgmt:hs', portalOf, managementOf, BOT), { owner: ALICE, ghost: BOT });
  assert.equal(await encryptedRoomOf('!other:hs', portalOf, managementOf, BOT), undefined);
});

test('a bot device that cannot be made does not keep the bot out of the room', async (t) => {
  const { steps, managementRoom } = await invited(t, 'default', true, true);
  assert.deepEqual(steps, [`join ${ROOM}`, `encrypt ${ROOM}`, `send ${ROOM}`]);
  assert.equal(managementRoom, ROOM);
});
