// (f) Synapse restarted between two Matrix → remote streams. On SQLite, Synapse numbers its
// appservice transactions from 1 again after a restart; a bridge that remembers transaction IDs
// across the restart must not mistake the new transactions for replays. 20 messages before,
// 20 after: all delivered, by the bridge that ran the whole time.
import { test } from 'node:test';
import { ALICE_PHONE, assertDelivered, withFaultWorld } from './fault-world';
import { collectFromSim, runId, stream, tally } from './streams';

const COUNT = 20;
const RATE = 5;

test('(f) Synapse restart (appservice transaction IDs start again at 1), then 20 Matrix → remote messages', { timeout: 300_000 }, async () => {
  await withFaultWorld('f-synapse-restart', {}, async (world, { alice, sam, portal }) => {
    const before = runId('f-before');
    const first = await stream(before, (body) => alice.sendText(portal, body), { count: COUNT, rate: RATE });
    const arrivedBefore = await collectFromSim(sam, ALICE_PHONE, before, first.sent, { deadline: Date.now() + 60_000, quietMs: 1000 });
    assertDelivered(world, 'Matrix → remote before the restart', tally(before, first.sent, arrivedBefore), { unsent: first.unsent, noRestart: true });

    await world.hs.shutdown();
    await world.hs.restart();
    console.log(`${world.name}: Synapse restarted on port ${world.hs.port}`);

    const after = runId('f-after');
    const second = await stream(after, (body) => alice.sendText(portal, body), { count: COUNT, rate: RATE });
    const arrived = await collectFromSim(sam, ALICE_PHONE, after, second.sent, { deadline: Date.now() + 90_000 });
    assertDelivered(world, 'Matrix → remote after the restart', tally(after, second.sent, arrived), { unsent: second.unsent, noRestart: true });
  });
});
