// (e) Synapse killed (-9) and kept down for 60 s during a 200-message remote → Matrix stream,
// then started again on the same port and data (testers measured 8 of 200 lost here). The
// bridge that ran the whole time must deliver every message once Synapse is back.
import { test } from 'node:test';
import { ALICE_PHONE, assertDelivered, withFaultWorld } from './fault-world';
import { collectFromMatrix, runId, sleep, stream, tally } from './streams';

const COUNT = 200;
const RATE = 10;

test('(e) Synapse kill -9, down 60 s, during a 200-message remote → Matrix stream', { timeout: 300_000 }, async () => {
  await withFaultWorld('e-synapse-down', {}, async (world, { alice, sam, ghost, portal }) => {
    const run = runId('e-r2m');
    let backAt = 0;
    const faults = new Map([[40, async () => {
      await world.hs.kill();
      console.log(`${world.name}: Synapse killed (-9) after #40; down for 60 s`);
      await sleep(60_000);
      await world.hs.restart();
      backAt = Date.now();
      console.log(`${world.name}: Synapse answering again on port ${world.hs.port}`);
    }]]);
    const result = await stream(run, (body) => sam.sendText(ALICE_PHONE, body), { count: COUNT, rate: RATE, faults });
    const arrived = await collectFromMatrix(alice, portal, ghost, run, result.sent, { deadline: backAt + 120_000 });
    assertDelivered(world, 'remote → Matrix', tally(run, result.sent, arrived), { unsent: result.unsent, noRestart: true });
  });
});
