/**
 * The homeserver probe of `/ready`: a plain GET of the unauthenticated
 * `/_matrix/client/versions`. Not through the Matrix library, which logs every failed request
 * at ERROR: a load balancer polling `/ready` while the homeserver is down would fill the log
 * with one ERROR per check; the failure belongs in the `/ready` answer (and the homeserver
 * outage is already said by the parts that need it).
 */
export function homeserverProbe(homeserverUrl: string, timeoutMs = 3_000): () => Promise<void> {
  const url = `${homeserverUrl.replace(/\/+$/, '')}/_matrix/client/versions`;
  return async () => {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    // the body is not needed; reading it frees the connection
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  };
}
