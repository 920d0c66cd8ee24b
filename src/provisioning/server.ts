/**
 * The provisioning API's HTTP listener (node:http: a dozen routes need no framework). Every
 * request goes through the same steps, each refusing with `{errcode, error}`: the shared
 * secret (401), the route (404, 405), the acting user (400, 403), the body (413, 400), then
 * the handler; anything else is a 500 that is logged, never an empty "ok".
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { actingUser, checkSecret } from './auth';
import { ApiError, ERRCODE } from './errors';
import { API_PREFIX, provisioningRoutes, type ProvisioningDeps, type Route } from './routes';
import { formatAjvErrors } from '../config/errors';

/** Bodies are a phone number or a code: anything near this size is not a real request. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface ProvisioningListenOptions {
  address: string;
  port: number;
  secret: string;
}

export interface ProvisioningServer {
  /** the port it listens on (the one asked for, or the OS's choice for port 0) */
  port: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

/** The route for `path` and `method`: 404 for a path the API does not have, 405 for a method it does not take there. */
function findRoute(routes: Route[], path: string, method: string | undefined): Route {
  const relative = path.startsWith(`${API_PREFIX}/`) ? path.slice(API_PREFIX.length) : undefined;
  const atPath = relative === undefined ? [] : routes.filter((r) => r.path === relative);
  if (atPath.length === 0) throw new ApiError(404, ERRCODE.unrecognized, `no such provisioning endpoint: ${path.slice(0, 120)}`);
  const match = atPath.find((r) => r.method === method);
  const allowed = atPath.map((r) => r.method).join(', ');
  if (!match) throw new ApiError(405, ERRCODE.unrecognized, `${method ?? '?'} is not allowed on ${path}; allowed: ${allowed}`, { allow: allowed });
  return match;
}

/** Reads the body up to MAX_BODY_BYTES (413 beyond; node:http discards the rest). */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => new ApiError(413, ERRCODE.tooLarge, `the request body is larger than ${MAX_BODY_BYTES} bytes`);
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.off('data', onData);
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/** The body as the route's schema wants it: 400 M_NOT_JSON for what is not JSON, M_BAD_JSON with ajv's reason for the wrong shape. */
async function parseBody(req: IncomingMessage, route: Route): Promise<unknown> {
  const validate = route.body;
  if (!validate) return undefined;
  const raw = (await readBody(req)).toString('utf8');
  let body: unknown;
  if (raw.trim() === '') {
    if (!route.bodyOptional) throw new ApiError(400, ERRCODE.notJson, `${route.method} ${route.path} needs a JSON object body`);
    body = {};
  } else {
    try {
      body = JSON.parse(raw);
    } catch (error) {
      throw new ApiError(400, ERRCODE.notJson, `the body is not JSON: ${(error as Error).message}`);
    }
  }
  if (!validate(body)) {
    const reasons = formatAjvErrors(validate.errors ?? []).map((r) => r.replace(/^\(top level\)/, 'body'));
    throw new ApiError(400, ERRCODE.badJson, `the body does not fit ${route.method} ${route.path}: ${reasons.join('; ')}`);
  }
  return body;
}

export async function startProvisioningServer(deps: ProvisioningDeps, options: ProvisioningListenOptions): Promise<ProvisioningServer> {
  const routes = provisioningRoutes(deps);
  const { log } = deps;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://provisioning.invalid');
    try {
      checkSecret(req.headers, options.secret);
      const route = findRoute(routes, url.pathname, req.method);
      const user = actingUser(url.searchParams, deps.config.bridge.permissions, deps.isBridgeUser);
      const body = await parseBody(req, route);
      const result = await route.handle(user, body);
      send(res, result.status, result.body);
    } catch (error) {
      if (error instanceof ApiError) {
        send(res, error.status, { errcode: error.errcode, error: error.message }, error.headers);
        return;
      }
      const message = (error as Error).message;
      log.error(`provisioning ${req.method} ${url.pathname} failed:`, message);
      send(res, 500, { errcode: ERRCODE.unknown, error: `internal error (logged by the bridge): ${message}` });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => {
      // only a failure to write the answer lands here (the client went away)
      log.warn(`provisioning answer to ${req.method} not sent: ${error.message}`);
      res.destroy();
    });
  });
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(`the provisioning API cannot listen on ${options.address}:${options.port} (provisioning.address/port): ${error.code ?? error.message}`)),
    );
    server.listen(options.port, options.address, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  log.info(`provisioning API listening on ${options.address}:${port}${API_PREFIX}`);
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
