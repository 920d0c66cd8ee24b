// (c) The gateway killed (-9) and kept down for 30 s during a Matrix → remote stream, then
// started again on the same port and database. The bridge that ran the whole time reconnects
// and its outbox drains in order: no bridge restart.
import { test } from 'node:test';
import { ALICE_PHONE, assertDelivered, withFaultWorld } from './fault-world';
import { collectFromSim, runId, sleep, stream, tally } from './streams';

const COUNT = 150;
const RATE = 10;

test('(c) gateway kill -9, down 30 s, during a 150-message Matrix → remote stream', { timeout: 300_000 }, async () => {
  await withFaultWorld('c-gateway-kill', {}, async (world, { alice, sam, portal }) => {
    const run = runId('c-m2r');
    let backAt = 0;
    const faults = new Map([[40, async () => {
      const pid = world.gateway.pid;
      await world.gateway.kill();
      console.log(`${world.name}: gateway pid ${pid} killed (-9) after #40; down for 30 s`);
      await sleep(30_000);
      await world.gateway.restart();
      backAt = Date.now();
      console.log(`${world.name}: gateway back on port ${world.gateway.port} as pid ${world.gateway.pid}`);
    }]]);
    const result = await stream(run, (body) => alice.sendText(portal, body), { count: COUNT, rate: RATE, faults });
    const arrived = await collectFromSim(sam, ALICE_PHONE, run, result.sent, { deadline: backAt + 120_000 });
    assertDelivered(world, 'Matrix → remote', tally(run, result.sent, arrived), { unsent: result.unsent, noRestart: true });
  });
});
