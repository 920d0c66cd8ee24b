// The Dockerfile's HEALTHCHECK, run as Docker would run it (its exec-form command, its ENV
// default overridden the way `docker run -e` does), against a listener that is healthy, one
// that answers 503, and none at all. No Docker engine runs in CI, so this is how it is tested.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { repoRoot } from '../../helpers/synapse';
import { freePort } from '../../helpers/free-port';

const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');

/** the HEALTHCHECK's CMD as an argv (exec form), continuation lines joined */
function healthcheckArgv(): string[] {
  const joined = dockerfile.replace(/\\\n/g, ' ');
  const line = joined.split('\n').find((l) => l.startsWith('HEALTHCHECK '));
  assert.ok(line, 'the Dockerfile has a HEALTHCHECK');
  const cmd = line.slice(line.indexOf(' CMD ') + 5).trim();
  const argv = JSON.parse(cmd) as string[];
  assert.ok(Array.isArray(argv) && argv.every((a) => typeof a === 'string'), 'exec form: no shell in between');
  return argv;
}

function run(argv: string[], url: string): Promise<number> {
  const [program, ...args] = argv;
  assert.equal(program, 'node', 'the image has node, and no curl');
  return new Promise((resolve) => {
    const child = execFile(process.execPath, args, { env: { ...process.env, INTEROP_HEALTHCHECK_URL: url }, timeout: 20_000 });
    child.on('exit', (code) => resolve(code ?? -1));
  });
}

test('the HEALTHCHECK asks /health on the appservice port by default', () => {
  assert.match(dockerfile, /^ENV INTEROP_HEALTHCHECK_URL=http:\/\/127\.0\.0\.1:29330\/health$/m);
  assert.match(dockerfile, /^EXPOSE 29330( \d+)*$/m);
});

test('the HEALTHCHECK command: 0 for a 200, 1 for a 503, 1 when nothing listens', async (t) => {
  const argv = healthcheckArgv();
  let status = 200;
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    res.writeHead(status, { 'Content-Type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `http://127.0.0.1:${port}/health`;
  assert.equal(await run(argv, url), 0);
  status = 503;
  assert.equal(await run(argv, url), 1);
  assert.deepEqual(paths, ['/health', '/health']);
  assert.equal(await run(argv, `http://127.0.0.1:${await freePort()}/health`), 1);
});
