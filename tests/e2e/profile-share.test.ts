// What the other side learns, end to end (real Synapse, the real gateway): after a login the
// network has no name for the user's number; `profile share on` publishes their Matrix display
// name, as any network client's look-up shows; `profile share off` takes it back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { botReply, loginMatrixUser, matrixUser, newSim, startInteropEnv } from '../helpers/interop-env';

const ALICE_PHONE = '+4915112345678';
const SAM_PHONE = '+14155552671';

test('profile share: nothing published by default, the Matrix name with on, nothing again with off', async () => {
  const env = await startInteropEnv();
  try {
    const alice = await matrixUser(env, 'alice');
    await alice.request('PUT', `/_matrix/client/v3/profile/${encodeURIComponent(alice.userId)}/displayname`, { displayname: 'Alice Liddell' });
    const { managementRoom } = await loginMatrixUser(env, alice, ALICE_PHONE);
    const sam = await newSim(env, SAM_PHONE, 'native');
    const seen = async () => (await sam.client.getProfile(ALICE_PHONE)).displayName;
    assert.equal(await seen(), undefined, 'a login publishes no name');

    const on = await botReply(env, alice, managementRoom, 'profile share on', /^profile share on/);
    assert.match(String(on.content.body), /Published: the name "Alice Liddell"\.$/);
    assert.equal(await seen(), 'Alice Liddell', 'the network shows the Matrix display name');

    await botReply(env, alice, managementRoom, 'profile share off', /^profile share off/);
    assert.equal(await seen(), undefined, 'taken back');
  } finally {
    await env.stop();
  }
});
