// (d) The network unreachable for longer than the old outbox's patience. With retry delays of
// 50..200 ms a 60 s gateway outage is about 300 retry rounds of the head job: the outbox's
// equivalent of more than 15 minutes at production backoff, and far past the 20-attempt limit
// the old code dropped messages at. Everything must still arrive, in order, once the gateway
// is back; the bridge that ran the whole time delivers it.
import { test } from 'node:test';
import { ALICE_PHONE, assertDelivered, withFaultWorld } from './fault-world';
import { collectFromSim, runId, sleep, stream, tally } from './streams';

const COUNT = 60;
const RATE = 10;
const OUTAGE_MS = 60_000;

test('(d) gateway unreachable for ~300 retry rounds during a Matrix → remote stream', { timeout: 300_000 }, async () => {
  await withFaultWorld('d-long-outage', { delivery: { retry_initial_ms: 50, retry_max_ms: 200 } }, async (world, { alice, sam, portal }) => {
    const run = runId('d-m2r');
    let backAt = 0;
    const faults = new Map([[10, async () => {
      await world.gateway.kill();
      console.log(`${world.name}: gateway killed (-9) after #10; unreachable for ${OUTAGE_MS / 1000} s`);
      await sleep(OUTAGE_MS);
      await world.gateway.restart();
      backAt = Date.now();
      console.log(`${world.name}: gateway back on port ${world.gateway.port}`);
    }]]);
    const result = await stream(run, (body) => alice.sendText(portal, body), { count: COUNT, rate: RATE, faults });
    const arrived = await collectFromSim(sam, ALICE_PHONE, run, result.sent, { deadline: backAt + 120_000 });
    assertDelivered(world, 'Matrix → remote', tally(run, result.sent, arrived), { unsent: result.unsent, noRestart: true });
  });
});
