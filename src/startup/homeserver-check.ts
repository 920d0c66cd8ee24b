/**
 * Before the bridge says it is ready: is the homeserver there, and does it accept the bot's
 * as_token? A client-server `whoami` as the bot user answers both. An unreachable or failing
 * (5xx) homeserver is waited for, with backoff and one WARN line per attempt; a refused token
 * stops the start at once, because no retry can fix a registration the homeserver has not
 * loaded. Nothing here logs a token.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay, type BackoffOptions } from '../lib/backoff';
import { StartAborted, StartupError, type StartupLog } from './errors';

export interface HomeserverCheckOptions {
  homeserverUrl: string;
  asToken: string;
  botUserId: string;
  log: StartupLog;
  /** aborted by SIGINT/SIGTERM: the wait ends at once with StartAborted */
  signal?: AbortSignal;
  backoff?: BackoffOptions;
  /** how long one attempt may take before it counts as unreachable */
  attemptTimeoutMs?: number;
}

/** 1 s growing to 30 s: a homeserver restarting is back within a few attempts, and a long
 *  outage is not hammered. */
export const HOMESERVER_BACKOFF: BackoffOptions = { initialDelayMs: 1000, maxDelayMs: 30_000, factor: 2, jitter: 0.2 };

type Attempt = { ok: true } | { ok: false; retry: boolean; reason: string };

const UNKNOWN_TOKEN_ADVICE =
  'the homeserver does not accept the registration\'s as_token: the registration file is probably not ' +
  'listed in homeserver.yaml\'s app_service_config_files, or Synapse was not restarted after it was added ' +
  '(or the file the homeserver loaded is not the one in appservice.registration)';

async function attemptWhoami(o: HomeserverCheckOptions, url: string): Promise<Attempt> {
  const timeout = AbortSignal.timeout(o.attemptTimeoutMs ?? 10_000);
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { authorization: `Bearer ${o.asToken}` },
      signal: o.signal ? AbortSignal.any([o.signal, timeout]) : timeout,
    });
  } catch (error) {
    if (o.signal?.aborted) throw new StartAborted();
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    return { ok: false, retry: true, reason: cause?.code ?? cause?.message ?? (error as Error).message };
  }
  const body = (await response.json().catch(() => undefined)) as { errcode?: string; user_id?: string } | undefined;
  const answer = `HTTP ${response.status}${body?.errcode ? ` ${body.errcode}` : ''}`;
  if (response.ok) {
    if (body?.user_id !== o.botUserId) {
      return { ok: false, retry: false, reason: `whoami answered ${String(body?.user_id)} instead of ${o.botUserId}; is homeserver.url the homeserver of ${o.botUserId.split(':').slice(1).join(':')}?` };
    }
    return { ok: true };
  }
  if (response.status >= 500 || response.status === 429) return { ok: false, retry: true, reason: `HTTP ${response.status}` };
  if (body?.errcode === 'M_UNKNOWN_TOKEN' || response.status === 401) {
    return { ok: false, retry: false, reason: `${answer}: ${UNKNOWN_TOKEN_ADVICE}` };
  }
  if (response.status === 403) {
    return {
      ok: false, retry: false,
      reason: `${answer}: the homeserver does not let the appservice act as ${o.botUserId}; ` +
        'check that the registration\'s sender_localpart is appservice.bot_username and homeserver.domain is the homeserver\'s server_name',
    };
  }
  return { ok: false, retry: false, reason: `${answer}: is homeserver.url (${o.homeserverUrl}) the homeserver's client-server API?` };
}

/** Resolves once the homeserver accepts the bot; throws StartupError (exit 1) or StartAborted. */
export async function waitForHomeserver(o: HomeserverCheckOptions): Promise<void> {
  const base = o.homeserverUrl.replace(/\/+$/, '');
  const url = `${base}/_matrix/client/v3/account/whoami?user_id=${encodeURIComponent(o.botUserId)}`;
  for (let attempt = 0; ; attempt++) {
    if (o.signal?.aborted) throw new StartAborted();
    const result = await attemptWhoami(o, url);
    if (result.ok) {
      if (attempt > 0) o.log.info(`the homeserver at ${base} answers now (after ${attempt} failed attempt(s))`);
      return;
    }
    if (!result.retry) throw new StartupError(`the homeserver at ${base} refused the bridge: ${result.reason}`);
    const delay = backoffDelay(attempt, o.backoff ?? HOMESERVER_BACKOFF);
    o.log.warn(
      `homeserver not reachable at ${base}/_matrix/client/v3/account/whoami (${result.reason}); retrying in ` +
        `${(delay / 1000).toFixed(1)} s. Check that it is running and that homeserver.url is right`,
    );
    try {
      await sleep(delay, undefined, { signal: o.signal });
    } catch {
      throw new StartAborted();
    }
  }
}
