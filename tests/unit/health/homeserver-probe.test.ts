// The /ready probe asks the homeserver's unauthenticated /versions itself (not through the
// Matrix library, which would log an ERROR per failed check): it resolves on a 2xx, and rejects
// with the reason on an error answer, a refused connection or no answer in time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homeserverProbe } from '../../../src/health';

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

test('homeserver probe: 200 from /versions is up; 502, a closed port and silence are down, each with its reason', async (t) => {
  const paths: string[] = [];
  let status = 200;
  const up = await serve((req, res) => {
    paths.push(req.url ?? '');
    res.writeHead(status, { 'Content-Type': 'application/json' }).end('{"versions":["v1.11"]}');
  });
  t.after(() => up.server.close());
  await homeserverProbe(up.url)();
  assert.deepEqual(paths, ['/_matrix/client/versions'], 'one unauthenticated request, the trailing slash of the URL dropped');
  status = 502;
  await assert.rejects(homeserverProbe(up.url)(), /\/_matrix\/client\/versions answered 502/);

  const closed = await serve(() => undefined);
  const closedUrl = closed.url;
  await new Promise((resolve) => closed.server.close(resolve));
  await assert.rejects(homeserverProbe(closedUrl)(), /fetch failed/);

  const silent = await serve(() => undefined);
  t.after(() => silent.server.closeAllConnections());
  t.after(() => silent.server.close());
  await assert.rejects(homeserverProbe(silent.url, 200)(), /timeout|aborted/i);
});
