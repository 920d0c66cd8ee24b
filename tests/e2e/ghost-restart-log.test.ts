// After a restart, the first message from a contact whose ghost exists must not log
// matrix-bot-sdk's "Error registering user: User ID is in use" (a /register the bridge need
// not make: the ghost has a portal room, see src/matrix/known-ghosts.ts). The bridge runs as
// its own process with its log in a file, the way an admin reads it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { messageFrom } from '../helpers/interop-env';
import { ALICE_PHONE, withFaultWorld } from '../faults/fault-world';

test('no "User ID is in use" ERROR on the first ghost use after a restart', { timeout: 180_000 }, async () => {
  await withFaultWorld('ghost-restart-log', {}, async (world, { alice, sam, ghost, portal }) => {
    await world.bridge.stop();
    await world.bridge.start();
    await sam.sendText(ALICE_PHONE, 'after the restart');
    await alice.waitForEvent(messageFrom(portal, ghost, 'after the restart'), { timeoutMs: 30_000 });
    const log = readFileSync(join(world.dir, 'bridge.log'), 'utf8');
    const sinceRestart = log.slice(log.lastIndexOf('stopped: '));
    assert.ok(sinceRestart.includes('listening on'), 'the log covers the second start');
    assert.ok(!/User ID is in use/.test(sinceRestart), sinceRestart.split('\n').filter((l) => /User ID is in use/.test(l)).join('\n'));
  });
});
