/**
 * Receives appservice transactions from the homeserver, durably and idempotently.
 *
 * matrix-appservice (inside matrix-appservice-bridge 11) answers a transaction before the
 * bridge has handled it, remembers only the last transaction ID in memory, and reads only
 * the unstable `de.sorunome.msc2409.ephemeral` key. Its route calls `this.onTransaction`,
 * so this subclass replaces that method: it reads events and ephemeral events (stable key
 * first), hands them to the bridge in order, records the transaction ID in the store, and
 * only then answers 200. A failure answers 500, so the homeserver retries later; a retried
 * transaction that was already handled is answered without handling it again, even after a
 * restart.
 */
import type { Request, Response } from 'express';
import { AppService } from 'matrix-appservice-bridge';
import type { TransactionRepository } from '../store';

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
  onEvent(event: MatrixEvent): Promise<void>;
  onEphemeral(event: MatrixEvent): Promise<void>;
}

export interface TransactionBody {
  events?: unknown;
  ephemeral?: unknown;
  'de.sorunome.msc2409.ephemeral'?: unknown;
}

function eventList(value: unknown): MatrixEvent[] {
  if (!Array.isArray(value)) return [];
  // anything without a string type is not an event; skipping it beats failing the transaction
  return value.filter((e): e is MatrixEvent => typeof e === 'object' && e !== null && typeof e.type === 'string');
}

/** Events and ephemeral events of a transaction; the stable key wins when both are sent. */
export function transactionContents(body: TransactionBody): { events: MatrixEvent[]; ephemeral: MatrixEvent[] } {
  const ephemeralRaw = body.ephemeral !== undefined ? body.ephemeral : body['de.sorunome.msc2409.ephemeral'];
  return { events: eventList(body.events), ephemeral: eventList(ephemeralRaw) };
}

// @ts-expect-error -- the base declares onTransaction private; replacing it is the point (see above)
export class DurableAppService extends AppService {
  private handler?: TransactionHandler;
  private transactions?: TransactionRepository;
  private readonly token: string;
  /** transactions being handled now: a retry that arrives meanwhile waits for the first */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** told when a transaction fails (the homeserver will retry it) */
  onFailure: (txnId: string, error: Error) => void = () => undefined;

  constructor(homeserverToken: string) {
    super({ homeserverToken });
    this.token = homeserverToken;
  }

  attach(handler: TransactionHandler, transactions: TransactionRepository): void {
    this.handler = handler;
    this.transactions = transactions;
  }

  private authorised(req: Request): boolean {
    const header = req.headers.authorization;
    const provided = header?.startsWith('Bearer ') ? header.slice(7) : req.query.access_token;
    return provided === this.token;
  }

  // Replaces the base class's handler; see the comment at the top of this file.
  override async onTransaction(req: Request, res: Response): Promise<void> {
    if (!this.authorised(req)) {
      res.status(403).send({ errcode: 'M_FORBIDDEN', error: 'Bad token supplied' });
      return;
    }
    const txnId = req.params.txnId;
    if (!this.handler || !this.transactions) {
      res.status(503).send({ errcode: 'M_UNKNOWN', error: 'bridge is starting' });
      return;
    }
    try {
      let work = this.inFlight.get(txnId);
      if (!work) {
        work = this.handle(txnId, (req.body ?? {}) as TransactionBody).finally(() => this.inFlight.delete(txnId));
        this.inFlight.set(txnId, work);
      }
      await work;
      res.status(200).send({});
    } catch (error) {
      this.onFailure(txnId, error as Error);
      res.status(500).send({ errcode: 'M_UNKNOWN', error: 'transaction failed; retry later' });
    }
  }

  private async handle(txnId: string, body: TransactionBody): Promise<void> {
    const handler = this.handler as TransactionHandler;
    const transactions = this.transactions as TransactionRepository;
    if (transactions.isProcessed(txnId)) return;
    const { events, ephemeral } = transactionContents(body);
    for (const event of events) await handler.onEvent(event);
    for (const event of ephemeral) await handler.onEphemeral(event);
    transactions.markProcessed(txnId);
  }
}
