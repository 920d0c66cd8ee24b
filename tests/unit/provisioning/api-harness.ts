// The provisioning API served over the real BridgeCore of the core harness (fake Matrix side,
// fake network, real SQLite store), on a port the OS picks, and a small client for it. Used
// by tests/unit/provisioning/.
import { startCoreHarness, type CoreHarness, type FakeNetwork } from '../../helpers/core-harness';
import type { BridgeConfig } from '../../../src/config/types';
import { API_PREFIX, startProvisioningServer, type ProvisioningServer } from '../../../src/provisioning';

export const SECRET = 'a-provisioning-secret-for-tests-0123';
export const ALICE = '@alice:example.org';

export interface ApiHarness {
  h: CoreHarness;
  server: ProvisioningServer;
  /** a request as an integration manager makes it: the secret, `?user_id=ALICE`, a JSON body */
  call(method: string, path: string, options?: CallOptions): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }>;
}

export interface CallOptions {
  /** acting user (`null`: no user_id parameter) */
  user?: string | null;
  /** JSON-encoded unless a string, sent as it is */
  body?: unknown;
  /** the Authorization header (`null`: none) */
  authorization?: string | null;
}

export async function startApiHarness(
  t: { after(fn: () => Promise<void>): void }, adjust?: (config: BridgeConfig) => void, network?: FakeNetwork,
): Promise<ApiHarness> {
  const h = await startCoreHarness({ adjust, network });
  const { core } = h;
  const server = await startProvisioningServer(
    {
      config: h.config,
      logins: core.logins,
      inbox: core.inbox,
      pausing: core.pausing,
      profiles: core.profileShare,
      requests: core.requestActions,
      store: h.store,
      networkName: h.network.displayName,
      isBridgeUser: (mxid) => h.matrix.isBridgeUser(mxid),
      log: h.log,
    },
    { address: '127.0.0.1', port: 0, secret: SECRET },
  );
  t.after(async () => {
    await server.close();
    await h.stop();
  });
  const call: ApiHarness['call'] = async (method, path, options = {}) => {
    const user = options.user === undefined ? ALICE : options.user;
    const query = user === null ? '' : `?user_id=${encodeURIComponent(user)}`;
    const headers: Record<string, string> = {};
    const authorization = options.authorization === undefined ? `Bearer ${SECRET}` : options.authorization;
    if (authorization !== null) headers.authorization = authorization;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const path_ = path.startsWith('/_') ? path : `${API_PREFIX}${path}`;
    const response = await fetch(`http://127.0.0.1:${server.port}${path_}${query}`, { method, headers, body });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: response.headers };
  };
  return { h, server, call };
}
