import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedQueue } from '../../../src/core/keyed-queue';

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('tasks of one key run one at a time, in order, even when earlier ones are slower', async () => {
  const queue = new KeyedQueue();
  const log: string[] = [];
  const slow = queue.run('a', async () => {
    log.push('a1 start');
    await tick();
    await tick();
    log.push('a1 end');
  });
  const fast = queue.run('a', async () => {
    log.push('a2');
  });
  await Promise.all([slow, fast]);
  assert.deepEqual(log, ['a1 start', 'a1 end', 'a2']);
});

test('different keys run concurrently', async () => {
  const queue = new KeyedQueue();
  const log: string[] = [];
  let releaseA!: () => void;
  const a = queue.run('a', () => new Promise<void>((resolve) => { releaseA = resolve; log.push('a started'); }));
  const b = queue.run('b', async () => { log.push('b ran'); });
  await b;
  assert.deepEqual(log, ['a started', 'b ran'], 'b did not wait for a');
  releaseA();
  await a;
});

test('a failing task rejects its own caller only; the next task still runs', async () => {
  const queue = new KeyedQueue();
  const failing = queue.run('a', async () => { throw new Error('boom'); });
  const next = queue.run('a', async () => 'ok');
  await assert.rejects(failing, /boom/);
  assert.equal(await next, 'ok');
});

test('idle keys are forgotten', async () => {
  const queue = new KeyedQueue();
  await queue.run('a', async () => undefined);
  await queue.idle();
  assert.equal(queue.activeKeys, 0);
});

test('a long line of tasks that never wait for I/O lets the event loop turn between them', async () => {
  const queue = new KeyedQueue();
  let done = 0;
  // tasks as core's are with a synchronous store: async signatures, nothing really awaited
  const line = Array.from({ length: 500 }, () => queue.run('requests', async () => void done++));
  // what a socket read would be: a callback of a later turn of the event loop
  const doneWhenTheLoopTurned = await new Promise<number>((resolve) => setImmediate(() => resolve(done)));
  await Promise.all(line);
  assert.equal(done, 500);
  assert.ok(doneWhenTheLoopTurned < 500, `the loop turned only after the whole line (${doneWhenTheLoopTurned} tasks done)`);
});
