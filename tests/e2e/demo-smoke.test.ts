// `npm run demo` as a person runs it (here: the program the script ends in, with free ports
// and a temp directory): it comes up, a message crosses each way between the simulated
// person's prompt and the demo Matrix user, Ctrl-C (SIGINT) stops it with exit 0, and no
// process it started is left; a second run reuses the data and comes up again.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientFor } from '../helpers/matrix-client';
import { freePort } from '../helpers/free-port';
import { repoRoot } from '../helpers/synapse';

const USER_PHONE = '+4915100000001';
const GHOST = '@wa_+14155550100:localhost';

interface RunningDemo {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function runDemo(dir: string, ports: Record<string, number>): RunningDemo {
  const child = spawn(process.execPath, [join(repoRoot, 'dist', 'demo', 'demo.js')], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, DEMO_DIR: dir, DEMO_SYNAPSE_PORT: String(ports.synapse), DEMO_GATEWAY_PORT: String(ports.gateway), DEMO_BRIDGE_PORT: String(ports.bridge) },
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function until(what: string, demo: RunningDemo, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline || demo.child.exitCode !== null) throw new Error(`${what} did not happen; demo output:\n${demo.output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** processes whose command line names the demo directory (Synapse, gateway, bridge, sim) */
function processesOf(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(dir)) found.push(`${pid}: ${cmd}`);
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

async function stopWithCtrlC(demo: RunningDemo): Promise<void> {
  demo.child.kill('SIGINT');
  const code = await Promise.race([demo.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000))]);
  assert.equal(code, 0, `demo exit code after SIGINT: ${code}; output:\n${demo.output()}`);
}

test('npm run demo: up, a message each way, Ctrl-C stops everything, a second run reuses the data', { timeout: 600_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'demo-smoke-'));
  const ports = { synapse: await freePort(), gateway: await freePort(), bridge: await freePort() };
  t.after(() => {
    for (const line of processesOf(dir)) process.kill(Number(line.split(':')[0]), 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  const first = runDemo(dir, ports);
  await until('the demo being ready', first, () => first.output().includes('[demo] ready'), 300_000);
  assert.match(first.output(), new RegExp(`Matrix homeserver : http://127\\.0\\.0\\.1:${ports.synapse}`));
  const password = /Password\s+: (\S+)/.exec(first.output())?.[1];
  assert.ok(password, 'the demo prints the password');

  // log in as the demo user, the way a Matrix client would
  const login = await fetch(`http://127.0.0.1:${ports.synapse}/_matrix/client/v3/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user: 'demo' }, password }),
  });
  const session = (await login.json()) as { user_id: string; access_token: string };
  assert.equal(login.status, 200);
  const client = clientFor(`http://127.0.0.1:${ports.synapse}`, { userId: session.user_id, accessToken: session.access_token });
  const { portal } = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { portal: string };

  // the prompt reads lines only once it is connected (lines typed earlier are not queued)
  await until('the prompt', first, () => /\+14155550100 device \d+, connected to/.test(first.output()) && first.output().trimEnd().endsWith('>'), 60_000);
  const mark = await client.catchUp();
  first.child.stdin?.write(`send ${USER_PHONE} smoke remote to matrix\n`);
  await client.waitForEvent((e) => e.roomId === portal && e.event.sender === GHOST && e.event.content.body === 'smoke remote to matrix', { after: mark, timeoutMs: 60_000 });

  await client.sendText(portal, 'smoke matrix to remote');
  await until('the Matrix message at the prompt', first, () => first.output().includes('smoke matrix to remote'), 60_000);

  await stopWithCtrlC(first);
  assert.match(first.output(), /stopped\. Everything is kept in/);
  assert.deepEqual(processesOf(dir), [], 'no process of the demo is left');

  const second = runDemo(dir, ports);
  await until('the second run being ready', second, () => second.output().includes('[demo] ready'), 300_000);
  assert.doesNotMatch(second.output(), /linking @demo/, 'the second run reuses the login');
  assert.match(second.output(), new RegExp(`Password\\s+: ${password}`));
  await stopWithCtrlC(second);
  assert.deepEqual(processesOf(dir), []);
});
