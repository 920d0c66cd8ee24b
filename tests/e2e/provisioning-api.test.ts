// The provisioning API end to end: real Synapse, the real interop gateway (the one-time code
// reaches the phone's owner, here the test, out of band), the real bridge with the API on
// its own port, and a simulated remote person. Login start and code through the API, status
// connected, a chat started through the API (the room exists, the Matrix user is invited,
// messages cross), contacts list it, logout removes the bridge's device at the network and
// status says logged out. And a wrong secret is refused by the running bridge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../helpers/free-port';
import { ghostId, matrixUser, networkDevices, newSim, simReceivesText, startInteropEnv, waitForPortalInvite } from '../helpers/interop-env';

const ALICE_PHONE = '+4915112345678';
const SAM_PHONE = '+14155552671';

test('provisioning API: login, status, start a chat, contacts, logout', async (t) => {
  const port = await freePort();
  const secret = randomBytes(24).toString('hex');
  const env = await startInteropEnv({
    adjust: (config) => {
      config.provisioning.enabled = true;
      config.provisioning.address = '127.0.0.1';
      config.provisioning.port = port;
      config.provisioning.shared_secret = secret;
    },
  });
  t.after(() => env.stop());
  const alice = await matrixUser(env, 'alice');
  const sam = await newSim(env, SAM_PHONE, 'native', { displayName: 'Sam Simmons' });
  const samGhost = ghostId(env, SAM_PHONE);

  const api = async (method: string, path: string, body?: unknown, token = secret) => {
    const response = await fetch(`http://127.0.0.1:${port}/_matrix/provision/v1${path}?user_id=${encodeURIComponent(alice.userId)}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const stateBecomes = async (state: string) => {
    for (let i = 0; i < 200; i++) {
      const status = await api('GET', '/status');
      if (status.body.state === state) return status;
      await sleep(100);
    }
    throw new Error(`status never became ${state}`);
  };

  await t.test('a wrong secret is refused', async () => {
    const refused = await api('GET', '/status', undefined, 'not-the-secret');
    assert.equal(refused.status, 401);
    assert.equal(refused.body.errcode, 'M_UNKNOWN_TOKEN');
  });

  await t.test('login start and code through the API; status shows connected', async () => {
    assert.equal((await api('GET', '/status')).body.state, 'not_logged_in');
    const started = await api('POST', '/login/start', { phone: ALICE_PHONE });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    assert.equal(started.body.state, 'waiting_for_code');
    const code = await env.gateway.codes.next(ALICE_PHONE);
    const done = await api('POST', '/login/code', { code });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.logged_in, true);
    const status = await stateBecomes('connected');
    assert.equal(status.body.phone, ALICE_PHONE);
    assert.equal(status.body.bridge_state, 'CONNECTED');
    const devices = await networkDevices(sam, ALICE_PHONE);
    assert.equal(devices.length, 1, 'the network lists the bridge\'s device for the number');
  });

  let roomId = '';
  await t.test('start a chat with the simulated person: the room exists and the Matrix user is invited to it', async () => {
    const mark = await alice.catchUp();
    const chat = await api('POST', '/chats', { phone: SAM_PHONE });
    assert.equal(chat.status, 200, JSON.stringify(chat.body));
    roomId = String(chat.body.room_id);
    const { roomId: invitedTo, invite } = await waitForPortalInvite(alice, samGhost, { after: mark });
    assert.equal(invitedTo, roomId);
    assert.equal(invite.content.is_direct, true);
    await alice.join(roomId);
    await alice.sendText(roomId, 'hello from a chat the API opened');
    await simReceivesText(sam, ALICE_PHONE, 'hello from a chat the API opened');
  });

  await t.test('contacts lists the chat', async () => {
    const contacts = await api('GET', '/contacts');
    assert.equal(contacts.status, 200);
    const list = contacts.body.contacts as Array<Record<string, unknown>>;
    assert.equal(list.length, 1, JSON.stringify(list));
    assert.equal(list[0].phone, SAM_PHONE);
    assert.equal(list[0].room_id, roomId);
    assert.match(String(list[0].display_name), /Sam Simmons/);
  });

  await t.test('logout: the device is removed at the network and status says logged out', async () => {
    const out = await api('POST', '/logout');
    assert.equal(out.status, 200, JSON.stringify(out.body));
    assert.equal(out.body.state, 'logged_out');
    assert.equal(out.body.portal_count, 1);
    assert.equal((await api('GET', '/status')).body.state, 'not_logged_in');
    assert.deepEqual(await networkDevices(sam, ALICE_PHONE), [], 'no device left for the number');
    const again = await api('POST', '/logout');
    assert.equal(again.status, 409);
  });
});
