// interop-sim as a program: its help documents every option and environment variable, bad
// arguments exit 2, and a fatal error exits 1 even while its prompt holds stdin open.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';

const cli = join(__dirname, '..', '..', '..', 'src', 'sim', 'cli.js');

test('interop-sim --help names every option with its own environment variable', () => {
  const help = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  for (const option of ['--phone', '--gateway', '--provider', '--secret', '--data', '--name']) assert.match(help.stdout, new RegExp(option));
  for (const variable of ['PHONE', 'GATEWAY_URL', 'PROVIDER', 'SECRET', 'DATA', 'NAME']) assert.match(help.stdout, new RegExp(`INTEROP_SIM_${variable}`));
  assert.doesNotMatch(help.stdout, /INTEROP_PROVIDER_SECRET/);
});

test('interop-sim: an unknown option exits 2 with the usage', () => {
  const bogus = spawnSync(process.execPath, [cli, '--bogus'], { encoding: 'utf8' });
  assert.equal(bogus.status, 2);
  assert.match(bogus.stderr, /usage: interop-sim/);
});

test('interop-sim: an unreachable gateway exits 1 although stdin stays open', async () => {
  const data = mkdtempSync(join(tmpdir(), 'sim-cli-'));
  // port 1 on loopback: nothing listens, the connection is refused at once
  const child = spawn(process.execPath, [cli, '--phone', '+4915100000991', '--gateway', 'ws://127.0.0.1:1', '--data', data], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(null);
    }, 20_000);
    child.on('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  assert.equal(code, 1, `expected exit 1, got ${code} (null: still running after 20 s); stderr: ${stderr}`);
  assert.match(stderr, /interop-sim: .*ECONNREFUSED/);
});
