// SIGTERM of the bridge (its own process, real Synapse, real gateway) in the middle of a
// Matrix → remote stream, then a start on the same config: every message arrives exactly
// once and in order, the stop exits 0 and says in one line what it kept. Reuses the fault
// suite's world and stream helpers (tests/faults/), which do the same with kill -9.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALICE_PHONE, assertDelivered, withFaultWorld } from '../faults/fault-world';
import { collectFromSim, runId, sleep, stream, tally } from '../faults/streams';

const COUNT = 50;
const STOP_AFTER = 20;

test('SIGTERM mid-stream (Matrix → remote): exit 0, one "stopped" line, nothing lost, doubled or reordered after the next start', { timeout: 240_000 }, async () => {
  await withFaultWorld('shutdown-m2r', {}, async (world, { alice, sam, portal }) => {
    const run = runId('sigterm');
    let exit: typeof world.bridge.lastExit;
    const stopAndStart = async () => {
      await world.bridge.stop();
      exit = world.bridge.lastExit;
      await sleep(1000);
      await world.bridge.start();
    };
    const result = await stream(run, (body) => alice.sendText(portal, body), { count: COUNT, rate: 10, faults: new Map([[STOP_AFTER, stopAndStart]]) });
    const arrived = await collectFromSim(sam, ALICE_PHONE, run, result.sent, { deadline: Date.now() + 90_000 });
    assert.deepEqual(exit, { code: 0, signal: null }, 'SIGTERM ends the bridge with exit code 0');
    const stopLines = readFileSync(join(world.dir, 'bridge.log'), 'utf8').split('\n').filter((line) => /stopped: \d+ outbox job\(s\) kept for the next start/.test(line));
    assert.equal(stopLines.length, 1, `one stop, one line:\n${stopLines.join('\n')}`);
    assert.equal(world.bridge.starts, 2);
    assertDelivered(world, 'Matrix → remote across a SIGTERM', tally(run, result.sent, arrived), { unsent: result.unsent });
  });
});
