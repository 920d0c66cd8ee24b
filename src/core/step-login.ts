/**
 * Runs a connector's step login (src/network/login-steps.ts) for each Matrix user: keeps the
 * one process in progress per user, hands its steps to the front end to render, waits on
 * display steps (a QR code that refreshes shows again), checks input with the connector's
 * own validation, stores and connects the login once complete, and gives the process up on
 * `cancel`, on a newer `login` and after a timeout. Nothing here knows what the steps are:
 * a phone number and code, a QR code and a password all run the same way. One thing is
 * core's own: an answer naming the number to link is preceded by what linking means (the
 * opt-in), since that is the person's consent and no connector may skip it.
 *
 * Submit, begin and cancel run one at a time per user. A wait runs outside that queue (it
 * may last minutes) and is dropped when its process is no longer the user's current one.
 * Each step reached after an answer is stored (step-login-progress.ts): after a restart the
 * next answer resumes the login through the connector's resumeLogin. With the network down,
 * an answer holding no secret (a number, not a code) is retried in the background with the
 * backoff helper, and the person told when it went through or why it cannot.
 */
import type { BackoffOptions } from '../lib/backoff';
import { KeyedQueue } from '../lib/keyed-queue';
import { codeField, LoginAnswerRefusedError, type LoginFieldType, type LoginStep } from '../network/login-steps';
import { RemoteUnavailableError } from '../network/remote-network';
import type { E164 } from '../network/phone';
import type { CoreContext } from './context';
import { isTerminal, type Sessions } from './sessions';
import { retrySubmit, waitOn, type InputStep, type LoginDriver, type Running } from './step-login-background';
import { checkedAnswer, clearEndedLogin } from './step-login-input';
import { isSecret, resumeSaved, saveLogin, savedLogin, withAnswers } from './step-login-progress';
import { STEP_LOGIN_TIMEOUT_MS, type BeginOutcome, type StepRenderer, type SubmitOutcome } from './step-login-types';

export { STEP_LOGIN_TIMEOUT_MS, type BeginOutcome, type StepEvent, type StepRenderer, type SubmitOutcome } from './step-login-types';

export class StepLogins implements LoginDriver {
  private readonly running = new Map<string, Running>();
  readonly queue = new KeyedQueue();
  readonly backoff: BackoffOptions;
  /** why an answer retried in the background finally failed, until the next login (status shows it) */
  private readonly failures = new Map<string, string>();

  constructor(
    readonly core: CoreContext,
    private readonly sessions: Sessions,
    private readonly timeoutMs = STEP_LOGIN_TIMEOUT_MS,
  ) {
    const delivery = core.config.bridge.delivery;
    this.backoff = { initialDelayMs: delivery.retry_initial_ms, maxDelayMs: delivery.retry_max_ms, factor: 2, jitter: 0.3 };
  }

  /** The step `owner`'s login in progress asks or shows now, if any. */
  current(owner: string): LoginStep | undefined {
    return this.running.get(owner)?.step;
  }

  /** The number `owner`'s login in progress is linking, once an answer named it (also one a
   *  restart left stored and not resumed yet). */
  async phoneOf(owner: string): Promise<E164 | undefined> {
    const entry = this.running.get(owner);
    return entry ? entry.phone : (await savedLogin(this.core.store, owner))?.phone;
  }

  /** Whether `owner`'s login asks for just a code now (also one stored by a restart). */
  async asksCode(owner: string): Promise<boolean> {
    const entry = this.running.get(owner);
    const asks = entry ? (codeField(entry.step) ? ['code'] : []) : (await savedLogin(this.core.store, owner))?.asks;
    return asks?.length === 1 && asks[0] === 'code';
  }

  /** Whether `owner`'s last answer is retried until the network is back. */
  waitingForNetwork(owner: string): boolean {
    return this.running.get(owner)?.retry !== undefined;
  }

  /** Why `owner`'s last answer retried in the background could not go through, if so. */
  failureOf(owner: string): string | undefined {
    return this.failures.get(owner);
  }

  /** Starts a login for `owner` (giving up one in progress) and renders its first step. */
  begin(owner: string, render: StepRenderer): Promise<BeginOutcome> {
    return this.queue.run(owner, async () => {
      const { store, network } = this.core;
      const existing = await store.logins.get(owner);
      const status = this.sessions.state(owner);
      if (existing && !(status !== undefined && isTerminal(status.state))) return 'already_logged_in';
      await this.drop(owner);
      if (existing) await clearEndedLogin(this.core, this.sessions, owner, existing.phone as E164, existing.state, render);
      await store.users.ensure(owner);
      let start;
      try {
        start = await network.beginLogin(owner);
      } catch (error) {
        if (error instanceof RemoteUnavailableError) return 'network_unreachable';
        throw error;
      }
      const { first, process } = start;
      const entry: Running = { process, render, step: first, timer: this.arm(owner, this.timeoutMs), downWaits: 0, answers: {} };
      this.running.set(owner, entry);
      await this.advance(owner, entry, first);
      return 'started';
    });
  }

  /** Answers the user_input step of `owner`'s login; `text` is what they typed (one word per
   *  field when the step has several, the last taking the rest). What follows is rendered
   *  with `render` (where the answer came from) from now on. `only`: answer only a step that
   *  asks for just that type of field (otherwise 'not_asking'), checked in the queue, so an
   *  answer meant for one step never lands on the next (two codes sent at once). */
  submit(owner: string, text: string, render: StepRenderer, only?: LoginFieldType): Promise<SubmitOutcome> {
    return this.queue.run(owner, async () => {
      let entry = this.running.get(owner);
      if (!entry) {
        const resumed = await this.resume(owner, render);
        if (resumed !== 'resumed') return resumed;
        entry = this.running.get(owner)!;
      }
      const step = entry.step;
      if (step.kind !== 'user_input') return 'not_asking';
      if (only !== undefined && (step.fields.length !== 1 || step.fields[0].type !== only)) return 'not_asking';
      entry.render = render;
      // a new answer replaces one still retried in the background
      this.stopRetry(entry);
      const { values, invalid, phone } = checkedAnswer(step.fields, text);
      if (invalid) {
        await entry.render(invalid);
        return 'answered';
      }
      if (phone) {
        if (entry.phone !== phone) await entry.render({ kind: 'linking', phone });
        entry.phone = phone;
      }
      let next: LoginStep;
      try {
        next = await entry.process.submit(values);
      } catch (error) {
        if (error instanceof LoginAnswerRefusedError) {
          await this.refused(owner, entry, step, error);
          return 'answered';
        }
        if (error instanceof RemoteUnavailableError && !step.fields.some(isSecret)) {
          await entry.render({ kind: 'waiting_for_network' });
          retrySubmit(this, owner, entry, step, values);
          return 'answered';
        }
        await this.onStepError(owner, entry, error);
        return 'answered';
      }
      entry.answers = withAnswers(entry.answers, step.fields, values);
      if (this.running.get(owner) === entry) await this.advance(owner, entry, next);
      return 'answered';
    });
  }

  isCurrent(owner: string, entry: Running): boolean {
    return this.running.get(owner) === entry;
  }

  failed(owner: string, reason: string): void {
    this.failures.set(owner, reason);
  }

  /** The network refused the answer to `step`: said, and the step asked again. */
  async refused(owner: string, entry: Running, step: InputStep, error: LoginAnswerRefusedError): Promise<void> {
    const field = step.fields.find((f) => f.id === error.fieldId) ?? step.fields[0];
    // the message is for the person and may quote the answer: not logged
    this.core.log.info(`step login of ${owner}: the network refused the answer to step ${step.id}`);
    await entry.render({ kind: 'invalid', field, message: error.message });
  }

  private stopRetry(entry: Running): void {
    clearTimeout(entry.retry);
    entry.retry = undefined;
  }

  /** Picks up the login a restart left stored for `owner`, at its step (step-login-progress.ts). */
  private async resume(owner: string, render: StepRenderer): Promise<'resumed' | 'answered' | 'no_login'> {
    const found = await resumeSaved(this.core, owner, this.timeoutMs, render);
    if (typeof found === 'string') return found;
    const { start, saved, left } = found;
    const entry: Running = {
      process: start.process, render, step: start.first, timer: this.arm(owner, left), downWaits: 0, answers: { ...saved.answers },
      ...(saved.phone ? { phone: saved.phone } : {}),
    };
    this.running.set(owner, entry);
    if (start.first.kind === 'display_and_wait') await this.advance(owner, entry, start.first);
    return 'resumed';
  }

  /** Gives up `owner`'s login in progress (also one a restart left stored); false when there was none. */
  cancel(owner: string): Promise<boolean> {
    return this.queue.run(owner, () => this.drop(owner));
  }

  /** Lets go of every login in progress (the bridge is stopping); each stays stored, to resume. */
  async stop(): Promise<void> {
    await Promise.all([...this.running.keys()].map((owner) => this.queue.run(owner, async () => {
      const entry = this.running.get(owner);
      if (!entry) return;
      this.release(owner, entry);
      await entry.process.cancel();
    })));
  }

  async advance(owner: string, entry: Running, step: LoginStep): Promise<void> {
    entry.step = step;
    const { store } = this.core;
    if (step.kind === 'complete') {
      // the login and the end of its progress together: a crash keeps one or the other
      await store.atomically(async (tx) => {
        await tx.logins.put(owner, step.login.phone, step.login.data);
        await tx.logins.clearPending(owner);
      });
      await this.forget(owner, entry);
      const status = await this.sessions.connect((await store.logins.get(owner))!);
      await entry.render({ kind: 'logged_in', status });
      return;
    }
    // the first step, before any answer, is not worth resuming: `login` asks it again
    if (Object.keys(entry.answers).length > 0 && this.core.network.resumeLogin) await saveLogin(store, owner, step, entry.answers, entry.phone);
    await entry.render({ kind: 'step', step });
    if (step.kind === 'display_and_wait') waitOn(this, owner, entry);
  }

  /** The network is down: say so and keep the step. Anything else ends the login. */
  async onStepError(owner: string, entry: Running, error: unknown): Promise<void> {
    if (error instanceof RemoteUnavailableError) {
      await entry.render({ kind: 'network_unreachable' });
      return;
    }
    await this.forget(owner, entry);
    await entry.process.cancel();
    this.core.log.warn(`step login of ${owner} failed: ${(error as Error).message}`);
    await entry.render({ kind: 'failed', reason: (error as Error).message });
  }

  private arm(owner: string, ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      void this.queue.run(owner, async () => {
        const entry = this.running.get(owner);
        if (!entry || entry.timer !== timer) return;
        await this.drop(owner);
        await entry.render({ kind: 'timed_out' });
      }).catch((error: Error) => this.core.log.warn(`step login of ${owner}: telling the timeout failed: ${error.message}`));
    }, ms);
    timer.unref();
    return timer;
  }

  /** The login is over (done, failed, given up): in memory and in the store. */
  private async forget(owner: string, entry: Running): Promise<void> {
    if (this.running.get(owner) === entry) await this.core.store.logins.clearPending(owner);
    this.release(owner, entry);
  }

  private release(owner: string, entry: Running): void {
    clearTimeout(entry.timer);
    this.stopRetry(entry);
    if (this.running.get(owner) === entry) this.running.delete(owner);
  }

  private async drop(owner: string): Promise<boolean> {
    this.failures.delete(owner);
    const entry = this.running.get(owner);
    if (!entry) {
      // a login a restart left stored and nobody resumed yet is given up too
      const had = await this.core.store.logins.getPending(owner) !== undefined;
      await this.core.store.logins.clearPending(owner);
      return had;
    }
    await this.forget(owner, entry);
    await entry.process.cancel();
    return true;
  }
}
