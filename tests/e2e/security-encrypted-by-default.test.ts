// A homeserver that encrypts every new room (encryption_enabled_by_default_for_room_type)
// encrypts portals as they are made. The bridge must know that from the start: the first
// notice says messages sent there will not be delivered, the room state says encrypted, and
// the hop trail records the encrypted room.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { remoteToMatrixTrail } from '../../src/security/hop-trail';
import { HOP_TRAIL_KEY, SECURITY_STATE_TYPE } from '../../src/security/namespace';
import { portalCreatedNotice } from '../../src/security/notices';
import { acceptMessageRequest, acceptPortalInvite, loginMatrixUser, matrixUser, messageFrom, newSim, ghostId, startInteropEnv } from '../helpers/interop-env';

const ALICE_PHONE = '+4915112345678';
const SAM_PHONE = '+14155552671';

test('portals on a homeserver that encrypts rooms by default', async () => {
  const env = await startInteropEnv({ synapseConfig: { encryption_enabled_by_default_for_room_type: 'all' } });
  try {
    const alice = await matrixUser(env, 'alice');
    const { managementRoom } = await loginMatrixUser(env, alice, ALICE_PHONE);
    const sam = await newSim(env, SAM_PHONE, 'native', { displayName: 'Sam' });
    const ghost = ghostId(env, SAM_PHONE);
    const mark = await alice.catchUp();
    await sam.sendText(ALICE_PHONE, 'hello');
    await acceptMessageRequest(env, alice, managementRoom, SAM_PHONE, mark);
    const room = await acceptPortalInvite(alice, ghost, { after: mark, timeoutMs: 30_000 });
    const hello = await alice.waitForEvent(messageFrom(room, ghost, 'hello'), { after: mark, timeoutMs: 20_000 });

    const state = await alice.request<Array<{ type: string; state_key: string; content: Record<string, unknown> }>>(
      'GET', `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/state`,
    );
    assert.ok(state.some((e) => e.type === 'm.room.encryption'), 'the homeserver encrypted the portal');
    const summary = state.find((e) => e.type === SECURITY_STATE_TYPE && e.state_key === '')?.content;
    assert.equal(summary?.matrix_room_encrypted, true);
    assert.equal(summary?.bridge_can_read_room, false);

    const name = 'Sam (+1 415 555 2671)';
    const notices = alice.seen
      .filter((e) => e.roomId === room && e.event.sender === env.botUserId && e.event.type === 'm.room.message')
      .map((e) => String(e.event.content.body));
    assert.equal(notices[0], portalCreatedNotice({ contactName: name, networkName: 'interop network', contactE2ee: true, roomEncrypted: true }).body);

    assert.deepEqual(
      hello.event.content[HOP_TRAIL_KEY],
      remoteToMatrixTrail({ contactProvider: 'native', contactE2ee: true, matrixRoomEncrypted: true, identityVerified: false }),
    );
  } finally {
    await env.stop();
  }
});
