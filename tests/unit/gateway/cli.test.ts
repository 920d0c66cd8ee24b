/** The interop-gateway program: usage errors exit 2, a configured gateway starts, serves and stops. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawClient, registerUser } from './gateway-harness';

const cli = join(__dirname, '..', '..', '..', 'src', 'gateway', 'cli.js');

test('--help prints usage; bad flags and bad configuration exit 2 naming the problem', () => {
  const help = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /Usage: interop-gateway/);

  const bogus = spawnSync(process.execPath, [cli, '--bogus'], { encoding: 'utf8' });
  assert.equal(bogus.status, 2);
  assert.match(bogus.stderr, /--bogus/);

  const port = spawnSync(process.execPath, [cli, '--port', 'eighty'], { encoding: 'utf8' });
  assert.equal(port.status, 2);

  const level = spawnSync(process.execPath, [cli, '--log-level', 'loud'], { encoding: 'utf8' });
  assert.equal(level.status, 2);
  assert.match(level.stderr, /--log-level loud: expected one of trace, debug, info, warn, error/);

  const dir = mkdtempSync(join(tmpdir(), 'gw-cli-'));
  try {
    const file = join(dir, 'gw.yaml');
    writeFileSync(file, 'providers:\n  - id: native\n    secret: long-enough-secret\n    e2ee: maybe\n');
    const bad = spawnSync(process.execPath, [cli, '-c', file], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /providers\/0\/e2ee/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a configured gateway serves its providers and stops on SIGTERM', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-cli-'));
  const file = join(dir, 'gw.yaml');
  writeFileSync(file, `port: 0\ndevMode: true\ndatabasePath: ${join(dir, 'g.db')}\nproviders:\n  - id: chat\n    secret: chat-secret-123\n    e2ee: false\n`);
  const child = spawn(process.execPath, [cli, '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (ws:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`exited early with ${code}`)));
    });
    const c = await RawClient.connect(url);
    const hello = await c.ok('hello', { provider: 'chat', secret: 'chat-secret-123' });
    assert.equal(hello.e2ee, false);
    const phone = '+4915400000001';
    const req = await c.ok('account.register_request', { phone });
    await c.close();
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.ok(out.includes(`[DEV] verification code for ${phone}: ${req.devCode}`), 'dev mode prints the code on stdout');
    // the log: pino JSON lines on stderr
    const lines = log.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(lines.some((l) => l.component === 'gateway' && l.level === 30 && l.msg === 'interop-gateway listening'), log);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Start the CLI on a config file and resolve with its URL once it listens. */
function launch(file: string): Promise<{ child: ReturnType<typeof spawn>; url: string }> {
  const child = spawn(process.execPath, [cli, '-c', file], { stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (ws:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: m[1] });
    });
    child.once('exit', (code) => reject(new Error(`exited early with ${code}`)));
  });
}

test('an answered submit survives the gateway process being killed (SIGKILL)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-cli-'));
  const file = join(dir, 'gw.yaml');
  writeFileSync(file, `port: 0\ndevMode: true\ndatabasePath: ${join(dir, 'g.db')}\nproviders:\n  - id: native\n    secret: native-test-secret\n    e2ee: true\n`);
  let run = await launch(file);
  try {
    let c = await RawClient.as(run.url, 'native');
    const [a, b] = ['+4915600000001', '+4915600000002'];
    const ad = await registerUser(c, a);
    const bd = await registerUser(c, b);
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        c.ok('message.submit', {
          from: { phone: a, deviceId: ad }, to: b, clientMessageId: `k-${i}`,
          messages: [{ deviceId: bd, type: 'whisper', body: Buffer.from(`c${i}`).toString('base64') }],
        }),
      ),
    );
    assert.ok(answers.every((r) => !r.duplicate));
    const killed = new Promise((resolve) => run.child.once('exit', resolve));
    run.child.kill('SIGKILL');
    await killed;
    await c.closed;

    run = await launch(file);
    c = await RawClient.as(run.url, 'native');
    assert.equal((await c.ok('device.subscribe', { phone: b, deviceId: bd })).queued, 50);
    const first = await c.nextEvent('envelope');
    assert.equal(first.payload.kind === 'message' && first.payload.clientMessageId, 'k-0');
    await c.close();
  } finally {
    run.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
