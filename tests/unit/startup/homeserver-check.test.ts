// The homeserver check against a real HTTP listener standing in for the homeserver's
// whoami endpoint: each answer a homeserver can give, and what the bridge does about it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StartAborted, StartupError, waitForHomeserver } from '../../../src/startup';
import { freePort } from '../../helpers/free-port';

const BOT = '@interopbot:example.org';
const TOKEN = 'as-token-that-must-never-be-logged-1234';
const FAST = { initialDelayMs: 20, maxDelayMs: 50, factor: 2, jitter: 0 };

function recorder() {
  const lines: string[] = [];
  const log = { info: (m: string) => lines.push(`INFO ${m}`), warn: (m: string) => lines.push(`WARN ${m}`), error: (m: string) => lines.push(`ERROR ${m}`) };
  return { lines, log };
}

/** A listener that answers whoami with `answer(n)` for the n-th request (0-based). */
async function homeserver(answer: (n: number) => { status: number; body: unknown }, port = 0): Promise<{ server: Server; url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.url} ${req.headers.authorization}`);
    const { status, body } = answer(requests.length - 1);
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

const ok = () => ({ status: 200, body: { user_id: BOT } });

test('a homeserver that accepts the token: one whoami as the bot user, with the as_token, nothing logged', async () => {
  const hs = await homeserver(ok);
  const { lines, log } = recorder();
  try {
    await waitForHomeserver({ homeserverUrl: `${hs.url}/`, asToken: TOKEN, botUserId: BOT, log, backoff: FAST });
    assert.deepEqual(hs.requests, [`/_matrix/client/v3/account/whoami?user_id=${encodeURIComponent(BOT)} Bearer ${TOKEN}`]);
    assert.deepEqual(lines, []);
  } finally {
    hs.server.close();
  }
});

test('homeserver down, then up: one WARN per attempt naming the URL and what to check, then it starts', async () => {
  const port = await freePort();
  const { lines, log } = recorder();
  const waiting = waitForHomeserver({ homeserverUrl: `http://127.0.0.1:${port}`, asToken: TOKEN, botUserId: BOT, log, backoff: FAST });
  while (lines.length < 3) await new Promise((r) => setTimeout(r, 10));
  const hs = await homeserver(ok, port);
  try {
    await waiting;
    const warns = lines.filter((l) => l.startsWith('WARN'));
    assert.ok(warns.length >= 3);
    for (const w of warns) {
      assert.match(w, new RegExp(`homeserver not reachable at http://127\\.0\\.0\\.1:${port}/_matrix/client/v3/account/whoami \\(ECONNREFUSED\\); retrying in`));
      assert.match(w, /Check that it is running and that homeserver\.url is right/);
    }
    assert.match(lines.at(-1) as string, /^INFO the homeserver at .* answers now/);
    assert.ok(!lines.join('\n').includes(TOKEN), 'the token is never logged');
  } finally {
    hs.server.close();
  }
});

test('5xx answers are waited out like an outage', async () => {
  const hs = await homeserver((n) => (n < 2 ? { status: 502, body: {} } : ok()));
  const { lines, log } = recorder();
  try {
    await waitForHomeserver({ homeserverUrl: hs.url, asToken: TOKEN, botUserId: BOT, log, backoff: FAST });
    assert.equal(hs.requests.length, 3);
    assert.equal(lines.filter((l) => /^WARN .*\(HTTP 502\)/.test(l)).length, 2);
  } finally {
    hs.server.close();
  }
});

test('a refused as_token (M_UNKNOWN_TOKEN) stops at once and names app_service_config_files and the restart', async () => {
  const hs = await homeserver(() => ({ status: 401, body: { errcode: 'M_UNKNOWN_TOKEN', error: 'Invalid access token passed.' } }));
  const { log } = recorder();
  try {
    await assert.rejects(
      waitForHomeserver({ homeserverUrl: hs.url, asToken: TOKEN, botUserId: BOT, log, backoff: FAST }),
      (error: Error) => {
        assert.ok(error instanceof StartupError);
        assert.match(error.message, /M_UNKNOWN_TOKEN/);
        assert.match(error.message, /app_service_config_files/);
        assert.match(error.message, /Synapse was not restarted/);
        assert.ok(!error.message.includes(TOKEN));
        return true;
      },
    );
    assert.equal(hs.requests.length, 1, 'no retry');
  } finally {
    hs.server.close();
  }
});

test('a homeserver that answers for another user (wrong homeserver.url) is refused', async () => {
  const hs = await homeserver(() => ({ status: 200, body: { user_id: '@interopbot:other.example' } }));
  try {
    await assert.rejects(
      waitForHomeserver({ homeserverUrl: hs.url, asToken: TOKEN, botUserId: BOT, log: recorder().log, backoff: FAST }),
      /answered @interopbot:other\.example instead of @interopbot:example\.org/,
    );
  } finally {
    hs.server.close();
  }
});

test('a 404 (not the client-server API) is refused, naming homeserver.url', async () => {
  const hs = await homeserver(() => ({ status: 404, body: { errcode: 'M_UNRECOGNIZED' } }));
  try {
    await assert.rejects(
      waitForHomeserver({ homeserverUrl: hs.url, asToken: TOKEN, botUserId: BOT, log: recorder().log, backoff: FAST }),
      /HTTP 404 .*is homeserver\.url/,
    );
  } finally {
    hs.server.close();
  }
});

test('an abort while waiting ends the wait promptly with StartAborted', async () => {
  const port = await freePort();
  const stop = new AbortController();
  const { lines, log } = recorder();
  const waiting = waitForHomeserver({
    homeserverUrl: `http://127.0.0.1:${port}`, asToken: TOKEN, botUserId: BOT, log, signal: stop.signal,
    backoff: { initialDelayMs: 60_000, maxDelayMs: 60_000, factor: 1, jitter: 0 },
  });
  while (lines.length < 1) await new Promise((r) => setTimeout(r, 10));
  const asked = Date.now();
  stop.abort();
  await assert.rejects(waiting, (error: Error) => error instanceof StartAborted);
  assert.ok(Date.now() - asked < 1000, 'stopped within a second, not after the 60 s delay');
});
