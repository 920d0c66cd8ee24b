/**
 * How the bridge benchmark measures a path: N messages with unique bodies, at most `window`
 * of them in flight (sent but not yet seen by the receiver). Each message's latency is the
 * time from just before its send call starts to the moment the receiver sees it, both read
 * from this process's monotonic clock (sender and receiver live in this process). The rate
 * is N divided by the wall time from the first send to the last arrival.
 */
import { performance } from 'node:perf_hooks';
import type { MatrixClient, SeenEvent, SyncResponse } from '../tests/helpers/matrix-client';
import { summarize, type Summary } from './stats';

/** Arrivals by message body: the receiver side calls seen(body) for every message it gets. */
export class Arrivals {
  private readonly waiting = new Map<string, () => void>();

  expect(body: string, onArrival: () => void): void {
    this.waiting.set(body, onArrival);
  }

  seen(body: string | undefined): void {
    if (body === undefined) return;
    const done = this.waiting.get(body);
    if (!done) return;
    this.waiting.delete(body);
    done();
  }
}

export interface FlowOptions {
  label: string;
  messages: number;
  window: number;
  /** give up when no message arrives for this long */
  stallMs?: number;
  /** the i-th message's body (unique within the run); `bench <label> <run> #<i>` by default */
  body?: (i: number) => string;
}

/**
 * Sends `messages` bodies through `send`, keeping at most `window` in flight, and resolves
 * with the latency summary once every one has arrived through `arrivals`.
 */
export function runFlow(opts: FlowOptions, arrivals: Arrivals, send: (body: string) => Promise<unknown>): Promise<Summary> {
  const stallMs = opts.stallMs ?? 30_000;
  const latencies: number[] = [];
  const runId = Math.random().toString(36).slice(2, 8);
  return new Promise((resolve, reject) => {
    let next = 0;
    let inFlight = 0;
    let failed = false;
    const started = performance.now();
    let watchdog: NodeJS.Timeout | undefined;
    const armWatchdog = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => fail(new Error(
        `${opts.label}: no message arrived for ${stallMs} ms (${latencies.length} of ${opts.messages} arrived, ${inFlight} in flight)`,
      )), stallMs);
    };
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      clearTimeout(watchdog);
      reject(error);
    };
    const launch = () => {
      while (!failed && inFlight < opts.window && next < opts.messages) {
        const i = next++;
        const body = opts.body ? opts.body(i) : `bench ${opts.label} ${runId} #${i}`;
        inFlight++;
        const sentAt = performance.now();
        arrivals.expect(body, () => {
          latencies.push(performance.now() - sentAt);
          inFlight--;
          armWatchdog();
          if (latencies.length === opts.messages) {
            clearTimeout(watchdog);
            resolve(summarize(latencies, (performance.now() - started) / 1000));
          } else {
            launch();
          }
        });
        send(body).catch((error: Error) => fail(new Error(`${opts.label}: send failed: ${error.message}`)));
      }
    };
    armWatchdog();
    launch();
  });
}

export const TIMELINE_FILTER = JSON.stringify({ room: { timeline: { limit: 1000 }, state: { lazy_load_members: true } }, presence: { not_types: ['*'] } });

/** The body of a timeline m.room.message in `roomId`; undefined for anything else. */
export const messageBodyIn = (roomId: string) => (e: SeenEvent): string | undefined =>
  e.roomId === roomId && e.section === 'timeline' && e.event.type === 'm.room.message' && typeof e.event.content.body === 'string'
    ? e.event.content.body
    : undefined;

/**
 * Long-polls /sync for a Matrix client in the background and reports what `pick` makes of
 * each timeline event to `arrivals`, as a Matrix app shows new messages. It keeps its own
 * sync position and does not fill the client's `seen` list.
 */
export class SyncWatcher {
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly client: MatrixClient,
    private readonly pick: (e: SeenEvent) => string | undefined,
    private readonly arrivals: Arrivals,
  ) {}

  /** Catches up first (older messages are not arrivals), then watches. */
  async start(): Promise<void> {
    let since = (await this.client.sync({ timeoutMs: 0 })).next_batch;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        // A short long-poll so stop() returns soon (a new event ends the poll at once anyway), and
        // a timeline limit above any window: the default (10) would skip events in a burst.
        const res = await this.client.request<SyncResponse>('GET', '/_matrix/client/v3/sync', undefined, {
          since, timeout: '1000', set_presence: 'offline', filter: TIMELINE_FILTER,
        });
        since = res.next_batch;
        for (const [roomId, room] of Object.entries(res.rooms?.join ?? {})) {
          for (const event of room.timeline?.events ?? []) {
            this.arrivals.seen(this.pick({ roomId, section: 'timeline', event }));
          }
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}
