/**
 * How far a step login in progress got, kept in the store (pending_logins) so a bridge that
 * restarts between two steps resumes the login where it was (RemoteNetwork.resumeLogin)
 * instead of answering the next answer with "no login is in progress". What is kept: the id
 * of the step asked, the types of its fields (so the bot knows a bare code answers it before
 * the login is resumed), and the answers given so far except secrets: a code or a password is
 * used the moment it is submitted and never stored.
 */
import type { LoginField, LoginFieldType, LoginStart, LoginStep } from '../network/login-steps';
import type { E164 } from '../network/phone';
import { RemoteUnavailableError } from '../network/remote-network';
import type { BridgeStore } from '../store';
import type { CoreContext } from './context';
import type { StepRenderer } from './step-login-types';

/** field types whose answers are never stored (nor retried in the background) */
const SECRET: ReadonlySet<LoginFieldType> = new Set(['code', 'password']);

export function isSecret(field: LoginField): boolean {
  return SECRET.has(field.type);
}

export interface SavedLogin {
  readonly step: string;
  readonly asks: readonly LoginFieldType[];
  readonly answers: Readonly<Record<string, string>>;
  /** the number being linked, once an answer named it */
  readonly phone?: E164;
  readonly requestedAt: number;
}

/** `answers` with the non-secret values of `fields` added (what a step that went through was given) */
export function withAnswers(
  answers: Readonly<Record<string, string>>, fields: readonly LoginField[], values: Readonly<Record<string, string>>,
): Record<string, string> {
  const next = { ...answers };
  for (const field of fields) if (!isSecret(field) && values[field.id] !== undefined) next[field.id] = values[field.id];
  return next;
}

/** Stores that `owner`'s login asks `step` now, after `answers`. */
export async function saveLogin(
  store: BridgeStore, owner: string, step: Exclude<LoginStep, { kind: 'complete' }>, answers: Readonly<Record<string, string>>, phone?: E164,
): Promise<void> {
  const asks = step.kind === 'user_input' ? step.fields.map((f) => f.type) : [];
  await store.logins.setPending(owner, phone ?? '', { step: step.id, asks, answers });
}

/** What the store holds of `owner`'s login in progress, if anything usable. */
export async function savedLogin(store: BridgeStore, owner: string): Promise<SavedLogin | undefined> {
  const row = await store.logins.getPending(owner);
  if (!row) return undefined;
  const { step, asks, answers } = row.progress as { step?: unknown; asks?: unknown; answers?: unknown };
  // a row from before step logins (phone and requested_at only) names no step: not resumable
  if (typeof step !== 'string' || !Array.isArray(asks) || typeof answers !== 'object' || answers === null) return undefined;
  return {
    step, asks: asks as LoginFieldType[], answers: answers as Record<string, string>, requestedAt: row.requestedAt,
    ...(row.phone ? { phone: row.phone as E164 } : {}),
  };
}

/** The login a restart left stored for `owner`, resumed through the connector at its step,
 *  with the time left before its timeout. 'no_login': none (or none the connector can
 *  resume, or one older than `timeoutMs`, then forgotten); 'answered': resuming failed and
 *  the person was told (the network down: kept for the next answer; otherwise forgotten). */
export async function resumeSaved(
  core: CoreContext, owner: string, timeoutMs: number, render: StepRenderer,
): Promise<{ start: LoginStart; saved: SavedLogin; left: number } | 'answered' | 'no_login'> {
  const { store, network } = core;
  const saved = await savedLogin(store, owner);
  if (!saved || !network.resumeLogin) return 'no_login';
  const left = timeoutMs - (Date.now() - saved.requestedAt);
  if (left <= 0) {
    await store.logins.clearPending(owner);
    core.log.info(`step login of ${owner} stored before a restart had timed out; forgotten`);
    return 'no_login';
  }
  try {
    const start = await network.resumeLogin(owner, { step: saved.step, answers: saved.answers });
    core.log.info(`step login of ${owner} resumed after a restart at step ${saved.step}`);
    return { start, saved, left };
  } catch (error) {
    if (error instanceof RemoteUnavailableError) {
      await render({ kind: 'network_unreachable' });
      return 'answered';
    }
    await store.logins.clearPending(owner);
    core.log.warn(`step login of ${owner} could not be resumed after a restart: ${(error as Error).message}`);
    await render({ kind: 'failed', reason: (error as Error).message });
    return 'answered';
  }
}
