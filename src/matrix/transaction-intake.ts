/**
 * Receives appservice transactions from the homeserver, durably and idempotently.
 *
 * matrix-appservice (inside matrix-appservice-bridge 11) answers a transaction before the
 * bridge has handled it, remembers only the last transaction ID in memory, and reads only
 * the unstable `de.sorunome.msc2409.ephemeral` key. Its routes call `this.onTransaction` and
 * `this.isInvalidToken`, so this subclass replaces both: it reads events and ephemeral events
 * (stable key first), hands them to the bridge in order, and only then answers 200.
 *
 * What is "the same" (see docs/matrix-transactions.md): a homeserver may reuse transaction
 * IDs (Synapse on SQLite started again at 1 after a restart), so a transaction is skipped only
 * when its ID *and* its contents were handled before; each event is remembered by its event
 * ID as soon as it is handled, so the same event in another transaction is handled once.
 * Ephemeral events (receipts, typing) have no IDs: a retry hands them over again, which is
 * harmless.
 *
 * Failures: bad input (an event that is not well formed, or one the bridge, the homeserver or
 * the network refused for good) is skipped with a reason, logged and counted, so one poison
 * event cannot hold up everyone's messages. Any other failure answers 500 and the homeserver
 * retries; the handlers are idempotent, so the retry is safe. An event still failing after
 * delivery.max_age_seconds is given up, as the outbox gives up a message that old.
 */
import type { Request, Response } from 'express';
import { AppService } from 'matrix-appservice-bridge';
import { isPermanent } from '../core/errors';
import { liveAnswer, READY_PATH, type HealthAnswer, type HealthEndpoints } from '../health';
import type { TransactionRepository } from '../store';
import type { HeldBackProbe } from './held-back-transactions';
import { HsTokenWarning } from './hs-token-warning';
import { transactionHash, type TransactionBody } from './transaction-hash';

export type { TransactionBody } from './transaction-hash';

export interface MatrixEvent {
  type: string;
  event_id?: string;
  room_id?: string;
  sender?: string;
  state_key?: string;
  content?: Record<string, unknown>;
  origin_server_ts?: number;
  unsigned?: Record<string, unknown>;
}

export interface TransactionHandler {
  /** Given the whole body before any of its events (end-to-bridge encryption: the room keys
   *  its to-device events carry must reach the devices first, and be saved, before the room
   *  events are decrypted). A failure answers 500, and the retry calls it again. */
  beforeEvents?(body: TransactionBody): Promise<void>;
  onEvent(event: MatrixEvent): Promise<void>;
  onEphemeral(event: MatrixEvent): Promise<void>;
}

export interface IntakeLogger {
  info(...parts: unknown[]): void;
  warn(...parts: unknown[]): void;
  error(...parts: unknown[]): void;
}

export interface IntakeOptions {
  /** an event still failing this long after it was sent (delivery.max_age_seconds) is given up */
  maxAgeMs: number;
  log: IntakeLogger;
  /** refuses a transaction after a gap so that one the homeserver held back comes first */
  heldBack?: HeldBackProbe;
  /** serves /ready on this listener (src/health); /health it answers anyway */
  health?: HealthEndpoints;
}

/** Why an event was skipped: not well formed, refused for good, or still failing when too old. */
export type SkipReason = 'malformed' | 'refused' | 'too_old';

export interface SkippedEvent {
  reason: SkipReason;
  detail: string;
  type?: string;
  eventId?: string;
  roomId?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Events and ephemeral events of a transaction; the stable key wins when both are sent. */
export function transactionContents(body: TransactionBody): { events: unknown[]; ephemeral: unknown[] } {
  const ephemeralRaw = body.ephemeral !== undefined ? body.ephemeral : body['de.sorunome.msc2409.ephemeral'];
  return { events: Array.isArray(body.events) ? body.events : [], ephemeral: Array.isArray(ephemeralRaw) ? ephemeralRaw : [] };
}

/** What is wrong with a timeline event, or undefined when the handlers can take it. */
function timelineProblem(e: unknown): string | undefined {
  if (!isRecord(e)) return 'not an object';
  if (typeof e.type !== 'string') return 'no type';
  for (const key of ['event_id', 'room_id', 'sender'] as const) if (typeof e[key] !== 'string') return `no ${key}`;
  if (e.content !== undefined && !isRecord(e.content)) return 'content is not an object';
  if (e.state_key !== undefined && typeof e.state_key !== 'string') return 'state_key is not a string';
  return undefined;
}

function ephemeralProblem(e: unknown): string | undefined {
  if (!isRecord(e)) return 'not an object';
  if (typeof e.type !== 'string') return 'no type';
  if (e.room_id !== undefined && typeof e.room_id !== 'string') return 'room_id is not a string';
  if (e.content !== undefined && !isRecord(e.content)) return 'content is not an object';
  return undefined;
}

function describe(e: unknown): Pick<SkippedEvent, 'type' | 'eventId' | 'roomId'> {
  if (!isRecord(e)) return {};
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return { type: text(e.type), eventId: text(e.event_id), roomId: text(e.room_id) };
}

// @ts-expect-error -- the base declares onTransaction, isInvalidToken and onHealthCheck private; replacing them is the point (see above)
export class DurableAppService extends AppService {
  private handler?: TransactionHandler;
  private transactions?: TransactionRepository;
  private readonly token: string;
  /** transactions being handled now: a retry that arrives meanwhile waits for the first */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** when each item of the failing transaction first failed (events without a timestamp) */
  private readonly firstFailure = new Map<string, number>();
  /** failed attempts since the last transaction that succeeded */
  private failedInARow = 0;
  /** events skipped as bad input since start, by reason */
  readonly skipped: Record<SkipReason, number> = { malformed: 0, refused: 0, too_old: 0 };
  /** told about every skipped event (the runtime counts them in the metrics) */
  onSkipped: (skip: SkippedEvent) => void = () => undefined;
  private readonly tokenWarning: HsTokenWarning;
  /** set by stopIntake(): new transactions are answered 503 */
  private stopping = false;

  constructor(homeserverToken: string, private readonly options: IntakeOptions) {
    super({ homeserverToken });
    this.token = homeserverToken;
    this.tokenWarning = new HsTokenWarning(options.log);
    // Matrix 1.7: the homeserver pings the appservice on the admin's or the bridge's request
    this.expressApp.post('/_matrix/app/v1/ping', (req: Request, res: Response) => {
      if (!this.isInvalidToken(req, res)) res.status(200).send({});
    });
    // no token: a container health check or a load balancer has none
    const health = options.health;
    if (health) {
      this.expressApp.get(READY_PATH, (_req: Request, res: Response) => {
        void health.answer(READY_PATH).then(
          (answer) => this.sendHealth(res, answer ?? { status: 404, body: {} }),
          (error: Error) => this.sendHealth(res, { status: 500, body: { status: 'error', error: error.message } }),
        );
      });
    }
  }

  /** Replaces the base's /health ("OK" as text) with the JSON every listener of the bridge answers. */
  override onHealthCheck(_req: Request, res: Response): void {
    this.sendHealth(res, liveAnswer());
  }

  private sendHealth(res: Response, answer: HealthAnswer): void {
    res.status(answer.status).json(answer.body);
  }

  attach(handler: TransactionHandler, transactions: TransactionRepository): void {
    this.handler = handler;
    this.transactions = transactions;
  }

  /**
   * Replaces the base's check (used by every appservice endpoint it serves): no credentials
   * are 401 M_UNAUTHORIZED, wrong ones 403 M_FORBIDDEN, as the spec says.
   */
  override isInvalidToken(req: Request, res: Response): boolean {
    const header = req.headers.authorization;
    const query = typeof req.query.access_token === 'string' ? req.query.access_token : undefined;
    const provided = header?.startsWith('Bearer ') ? header.slice(7) : query;
    if (!provided) {
      res.status(401).send({ errcode: 'M_UNAUTHORIZED', error: 'No access token: the homeserver must send the registration\'s hs_token' });
      return true;
    }
    if (provided !== this.token) {
      this.tokenWarning.rejected(req.path);
      res.status(403).send({ errcode: 'M_FORBIDDEN', error: 'Bad token supplied' });
      return true;
    }
    this.tokenWarning.accepted();
    return false;
  }

  /**
   * Shutdown: transactions arriving from now on are answered 503 (the homeserver retries them
   * after the next start); resolves once the ones being handled have finished and been answered.
   */
  async stopIntake(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.inFlight.values()]);
  }

  // Replaces the base class's handler; see the comment at the top of this file.
  override async onTransaction(req: Request, res: Response): Promise<void> {
    if (this.isInvalidToken(req, res)) return;
    const txnId = req.params.txnId;
    if (!this.handler || !this.transactions) {
      res.status(503).send({ errcode: 'M_UNKNOWN', error: 'bridge is starting' });
      return;
    }
    if (this.stopping) {
      res.status(503).send({ errcode: 'M_UNKNOWN', error: 'bridge is stopping; retry later' });
      return;
    }
    const body = (isRecord(req.body) ? req.body : {}) as TransactionBody;
    const hash = transactionHash(body);
    const key = `${txnId}\u0000${hash}`;
    const { heldBack } = this.options;
    try {
      // read before the in-flight check, not between it and the start of the handling: the
      // same transaction sent again meanwhile must find this one in flight
      const processed = this.inFlight.has(key) ? false : await this.transactions.isProcessed(txnId, hash);
      let work = this.inFlight.get(key);
      if (work) {
        heldBack?.suspect(); // sent again while still being handled: the homeserver timed out
      } else {
        if (processed) {
          heldBack?.suspect(); // our answer never reached the homeserver: it is recovering
        } else if (heldBack?.refuse(txnId)) {
          res.status(503).send({ errcode: 'M_UNKNOWN', error: 'waiting for an earlier transaction; retry' });
          return;
        }
        work = this.handle(txnId, hash, body).finally(() => this.inFlight.delete(key));
        this.inFlight.set(key, work);
      }
      await work;
      heldBack?.handled(txnId);
      this.succeeded();
      res.status(200).send({});
    } catch (error) {
      heldBack?.suspect();
      this.failed(txnId, error as Error);
      res.status(500).send({ errcode: 'M_UNKNOWN', error: 'transaction failed; retry later' });
    }
  }

  private succeeded(): void {
    this.firstFailure.clear();
    if (this.failedInARow > 0) this.options.log.info(`transactions are handled again, after ${this.failedInARow} failed attempt(s)`);
    this.failedInARow = 0;
  }

  private failed(txnId: string, error: Error): void {
    this.failedInARow += 1;
    const { log } = this.options;
    log.error(`transaction ${txnId} failed (attempt ${this.failedInARow} in a row), answered 500 so the homeserver retries: ${error.message}`);
    if (this.failedInARow === 1) {
      log.warn(
        'the homeserver retries a failed transaction with growing delays (Synapse waits minutes between ' +
          'retries after a few failures), and sends nothing newer meanwhile: Matrix events reach the bridge late until this clears',
      );
    }
  }

  private async handle(txnId: string, hash: string, body: TransactionBody): Promise<void> {
    const handler = this.handler as TransactionHandler;
    const transactions = this.transactions as TransactionRepository;
    if (await transactions.isProcessed(txnId, hash)) return;
    const { events, ephemeral } = transactionContents(body);
    await handler.beforeEvents?.(body);
    for (const raw of events) {
      const problem = timelineProblem(raw);
      if (problem) {
        this.skip(raw, 'malformed', problem);
        continue;
      }
      const event = raw as MatrixEvent & { event_id: string };
      if (await transactions.isEventHandled(event.event_id)) continue;
      await this.attempt(event, event.event_id, () => handler.onEvent(event));
      await transactions.markEventHandled(event.event_id);
    }
    for (const [index, raw] of ephemeral.entries()) {
      const problem = ephemeralProblem(raw);
      if (problem) {
        this.skip(raw, 'malformed', problem);
        continue;
      }
      await this.attempt(raw as MatrixEvent, `${txnId}/${hash}/${index}`, () => handler.onEphemeral(raw as MatrixEvent));
    }
    await transactions.markProcessed(txnId, hash);
  }

  /** Runs one handler: a refusal for good or an event too old to retry is skipped, anything else thrown. */
  private async attempt(event: MatrixEvent, key: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error) {
      const message = (error as Error).message;
      if (isPermanent(error)) {
        this.skip(event, 'refused', message);
        return;
      }
      const now = Date.now();
      if (!this.firstFailure.has(key)) this.firstFailure.set(key, now);
      const since = typeof event.origin_server_ts === 'number' ? event.origin_server_ts : (this.firstFailure.get(key) as number);
      if (now - since > this.options.maxAgeMs) {
        this.skip(event, 'too_old', `still failing after delivery.max_age_seconds: ${message}`);
        return;
      }
      throw error;
    }
  }

  private skip(event: unknown, reason: SkipReason, detail: string): void {
    this.skipped[reason] += 1;
    const skip: SkippedEvent = { reason, detail, ...describe(event) };
    const what = `${skip.type ?? 'event'} ${skip.eventId ?? '(no id)'} in ${skip.roomId ?? '(no room)'}`;
    this.options.log.warn(`skipped ${what}: ${reason} (${detail}); ${this.skipped[reason]} skipped as ${reason} since start`);
    this.onSkipped(skip);
  }
}
