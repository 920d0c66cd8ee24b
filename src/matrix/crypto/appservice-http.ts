/**
 * The homeserver calls a bridged device makes, as the appservice: the as_token with the
 * `user_id` of the ghost (or bot) and, for MSC4190 device masquerading, the `device_id` of
 * its device. Synapse needs both for keys/upload (device_id alone is a 500). Errors carry the
 * HTTP status and Matrix errcode, never the request body (it holds keys).
 */
export interface AppserviceHttp {
  /** Sends `body` (JSON text) and resolves with the response's JSON text. */
  request(method: 'GET' | 'POST' | 'PUT', path: string, as: { userId: string; deviceId?: string }, body?: string): Promise<string>;
}

export class HomeserverRequestError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: string | undefined,
    readonly path: string,
    detail: string,
  ) {
    super(`homeserver answered ${status}${errcode ? ` ${errcode}` : ''} to ${path.split('?')[0]}: ${detail}`);
    this.name = 'HomeserverRequestError';
  }
}

export class FetchAppserviceHttp implements AppserviceHttp {
  constructor(private readonly homeserverUrl: string, private readonly asToken: string, private readonly timeoutMs = 30_000) {}

  async request(method: 'GET' | 'POST' | 'PUT', path: string, as: { userId: string; deviceId?: string }, body?: string): Promise<string> {
    // joined, not resolved: a homeserver behind a path prefix keeps its prefix
    const url = new URL(this.homeserverUrl.replace(/\/+$/, '') + path);
    url.searchParams.set('user_id', as.userId);
    if (as.deviceId !== undefined) url.searchParams.set('device_id', as.deviceId);
    const res = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${this.asToken}`, 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    if (!res.ok) {
      let errcode: string | undefined;
      let error = text.slice(0, 200);
      try {
        const parsed = JSON.parse(text) as { errcode?: string; error?: string };
        errcode = parsed.errcode;
        error = parsed.error ?? error;
      } catch {
        // not JSON (a proxy's error page): keep the start of the text
      }
      throw new HomeserverRequestError(res.status, errcode, path, error);
    }
    return text;
  }
}
