// (b) Synapse stopped during a 200-message remote → Matrix stream: frozen by SIGSTOP for 60 s,
// and separately killed (-9) and started again at once on the same port and data. The bridge
// that ran the whole time must deliver everything once Synapse answers again: no bridge restart.
import { test } from 'node:test';
import { ALICE_PHONE, assertDelivered, withFaultWorld } from './fault-world';
import { collectFromMatrix, runId, sleep, stream, tally } from './streams';

const COUNT = 200;
const RATE = 10;

test('(b1) Synapse SIGSTOP for 60 s during a 200-message remote → Matrix stream', { timeout: 300_000 }, async () => {
  await withFaultWorld('b1-synapse-sigstop', {}, async (world, { alice, sam, ghost, portal }) => {
    const run = runId('b1-r2m');
    let resumedAt = 0;
    const faults = new Map([[40, async () => {
      world.hs.pause();
      console.log(`${world.name}: Synapse (pid ${world.hs.pid}) stopped with SIGSTOP after #40`);
      await sleep(60_000);
      world.hs.resume();
      resumedAt = Date.now();
      console.log(`${world.name}: Synapse continued (SIGCONT)`);
    }]]);
    const result = await stream(run, (body) => sam.sendText(ALICE_PHONE, body), { count: COUNT, rate: RATE, faults });
    const arrived = await collectFromMatrix(alice, portal, ghost, run, result.sent, { deadline: resumedAt + 120_000 });
    assertDelivered(world, 'remote → Matrix', tally(run, result.sent, arrived), { unsent: result.unsent, noRestart: true });
  });
});

test('(b2) Synapse kill -9 and restarted at once during a 200-message remote → Matrix stream', { timeout: 300_000 }, async () => {
  await withFaultWorld('b2-synapse-kill-restart', {}, async (world, { alice, sam, ghost, portal }) => {
    const run = runId('b2-r2m');
    let backAt = 0;
    const faults = new Map([[60, async () => {
      await world.hs.kill();
      console.log(`${world.name}: Synapse killed (-9) after #60`);
      await world.hs.restart();
      backAt = Date.now();
      console.log(`${world.name}: Synapse answering again on port ${world.hs.port}`);
    }]]);
    const result = await stream(run, (body) => sam.sendText(ALICE_PHONE, body), { count: COUNT, rate: RATE, faults });
    const arrived = await collectFromMatrix(alice, portal, ghost, run, result.sent, { deadline: backAt + 120_000 });
    assertDelivered(world, 'remote → Matrix', tally(run, result.sent, arrived), { unsent: result.unsent, noRestart: true });
  });
});
