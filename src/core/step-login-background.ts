/**
 * What a step login (step-login.ts) does outside a person's answer, while the network may be
 * down: waiting on a display step (a QR code the phone scans), waited on again after a
 * backoff when the network could not answer; and an answer with no secret in it submitted
 * again after a backoff (src/lib/backoff.ts) until it goes through. Both apply what they
 * bring in the user's turn of the login queue, and stop once their login is not the user's
 * current one (done, given up, a newer answer or login).
 */
import { backoffDelay, type BackoffOptions } from '../lib/backoff';
import type { KeyedQueue } from '../lib/keyed-queue';
import { LoginAnswerRefusedError, type LoginProcess, type LoginStep } from '../network/login-steps';
import type { E164 } from '../network/phone';
import { RemoteUnavailableError } from '../network/remote-network';
import type { CoreContext } from './context';
import type { StepRenderer } from './step-login-types';
import { withAnswers } from './step-login-progress';

export type InputStep = Extract<LoginStep, { kind: 'user_input' }>;

/** One user's login in progress. */
export interface Running {
  readonly process: LoginProcess;
  render: StepRenderer;
  step: LoginStep;
  timer: NodeJS.Timeout;
  /** waits that failed in a row because the network was down (the next waits that long) */
  downWaits: number;
  /** the number an answer named (the one being linked), once one did */
  phone?: E164;
  /** the non-secret answers of the steps that went through (stored with the step reached) */
  answers: Record<string, string>;
  /** a background retry of the last answer while the network is down */
  retry?: NodeJS.Timeout;
}

/** What the background work needs of the step logins. */
export interface LoginDriver {
  readonly core: CoreContext;
  readonly queue: KeyedQueue;
  readonly backoff: BackoffOptions;
  /** whether `entry` is still `owner`'s login in progress */
  isCurrent(owner: string, entry: Running): boolean;
  advance(owner: string, entry: Running, step: LoginStep): Promise<void>;
  /** a step failed in a way no answer fixes (or the network is down, for a wait) */
  onStepError(owner: string, entry: Running, error: unknown): Promise<void>;
  refused(owner: string, entry: Running, step: InputStep, error: LoginAnswerRefusedError): Promise<void>;
  /** an answer retried in the background finally could not go through: kept for status */
  failed(owner: string, reason: string): void;
}

/** Waits on a display step outside the queue; what it brings is applied in the queue. A
 *  wait the network could not answer is waited on again after a backoff (the person is told
 *  once per outage), until the login completes, fails, is cancelled or times out. */
export function waitOn(d: LoginDriver, owner: string, entry: Running): void {
  entry.process.wait().then(
    (next) => d.queue.run(owner, async () => {
      entry.downWaits = 0;
      if (d.isCurrent(owner, entry)) await d.advance(owner, entry, next);
    }),
    (error: unknown) => d.queue.run(owner, async () => {
      if (!d.isCurrent(owner, entry)) return;
      if (!(error instanceof RemoteUnavailableError)) return d.onStepError(owner, entry, error);
      if (entry.downWaits === 0) await entry.render({ kind: 'network_unreachable' });
      const again = setTimeout(() => {
        if (d.isCurrent(owner, entry)) waitOn(d, owner, entry);
      }, backoffDelay(entry.downWaits++, d.backoff));
      again.unref();
    }),
  ).catch((error: Error) => d.core.log.warn(`step login of ${owner}: showing a step failed: ${error.message}`));
}

/** Submits `values` to `step` again after a backoff while the network stays down. What
 *  ends it: the answer going through (said, then the next step), a refusal or failure
 *  (said; a failure is kept for status), a newer answer or login, cancel, the timeout. */
export function retrySubmit(d: LoginDriver, owner: string, entry: Running, step: InputStep, values: Record<string, string>, attempt = 0): void {
  const timer = setTimeout(() => {
    d.queue.run(owner, async () => {
      if (!d.isCurrent(owner, entry) || entry.retry !== timer) return;
      let next: LoginStep;
      try {
        next = await entry.process.submit(values);
      } catch (error) {
        if (error instanceof RemoteUnavailableError) return retrySubmit(d, owner, entry, step, values, attempt + 1);
        entry.retry = undefined;
        d.failed(owner, (error as Error).message);
        if (error instanceof LoginAnswerRefusedError) return d.refused(owner, entry, step, error);
        return d.onStepError(owner, entry, error);
      }
      entry.retry = undefined;
      d.core.log.info(`step login of ${owner}: the network is back; the answer went through after ${attempt + 1} retries`);
      entry.answers = withAnswers(entry.answers, step.fields, values);
      await entry.render({ kind: 'network_back' });
      await d.advance(owner, entry, next);
    }).catch((error: Error) => d.core.log.warn(`step login of ${owner}: retrying an answer failed: ${error.message}`));
  }, backoffDelay(attempt, d.backoff));
  timer.unref();
  entry.retry = timer;
}
