// (a) `kill -9` of the bridge at three random points of a 300-message stream, each direction;
// the bridge is started again right away (as a supervisor would). Nothing may be lost,
// doubled or reordered across the crashes. FAULTS_SEED=<n> replays the same kill points.
import { test } from 'node:test';
import { ALICE_PHONE, assertDelivered, killPoints, withFaultWorld } from './fault-world';
import { collectFromMatrix, collectFromSim, runId, stream, tally } from './streams';

const COUNT = 300;
const RATE = 10; // messages per second: 30 s of stream, about 10 s between kills
const KILLS = 3;

test('(a) bridge kill -9 ×3 during a 300-message Matrix → remote stream', { timeout: 300_000 }, async () => {
  await withFaultWorld('a-kill-m2r', {}, async (world, { alice, sam, portal }) => {
    const run = runId('a-m2r');
    const result = await stream(run, (body) => alice.sendText(portal, body), { count: COUNT, rate: RATE, faults: killPoints(world, 'M→R', KILLS, COUNT) });
    const arrived = await collectFromSim(sam, ALICE_PHONE, run, result.sent, { deadline: Date.now() + 120_000 });
    assertDelivered(world, 'Matrix → remote', tally(run, result.sent, arrived), { unsent: result.unsent });
  });
});

test('(a) bridge kill -9 ×3 during a 300-message remote → Matrix stream', { timeout: 300_000 }, async () => {
  await withFaultWorld('a-kill-r2m', {}, async (world, { alice, sam, ghost, portal }) => {
    const run = runId('a-r2m');
    const result = await stream(run, (body) => sam.sendText(ALICE_PHONE, body), { count: COUNT, rate: RATE, faults: killPoints(world, 'R→M', KILLS, COUNT) });
    const arrived = await collectFromMatrix(alice, portal, ghost, run, result.sent, { deadline: Date.now() + 120_000 });
    assertDelivered(world, 'remote → Matrix', tally(run, result.sent, arrived), { unsent: result.unsent });
  });
});
