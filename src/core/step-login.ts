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
 */
import { backoffDelay, type BackoffOptions } from '../lib/backoff';
import { KeyedQueue } from '../lib/keyed-queue';
import { LoginAnswerRefusedError, type LoginField, type LoginFieldType, type LoginProcess, type LoginStep } from '../network/login-steps';
import { RemoteUnavailableError } from '../network/remote-network';
import { InvalidPhoneNumberError, parsePhone, type E164 } from '../network/phone';
import type { CoreContext } from './context';
import { isTerminal, type LoginStatus, type Sessions } from './sessions';

/** What the front end is shown of a step login, in order. */
export type StepEvent =
  | { kind: 'step'; step: Exclude<LoginStep, { kind: 'complete' }> }
  | { kind: 'logged_in'; status: LoginStatus }
  /** an answer names the number to link: what linking it means, said before it is submitted
   *  (the opt-in, core/opt-in-notice.ts), once per number and login */
  | { kind: 'linking'; phone: E164 }
  /** the network had ended the user's previous login: what was cleared of it before this one
   *  (`failure`: why the network's part could not be removed; the rest was still deleted) */
  | { kind: 'ended_login_cleared'; phone: E164; deleted: string[]; failure?: string; portalCount: number }
  /** an answer the connector's validation (or the network) refused; the same step is still asked */
  | { kind: 'invalid'; field: LoginField; message: string }
  /** the network is down for now: the same step is still asked (or waited on again) */
  | { kind: 'network_unreachable' }
  | { kind: 'failed'; reason: string }
  | { kind: 'timed_out' };

export type StepRenderer = (event: StepEvent) => Promise<void>;

export type BeginOutcome = 'started' | 'already_logged_in' | 'network_unreachable';
export type SubmitOutcome = 'answered' | 'no_login' | 'not_asking';

/** How long a step login may stay unfinished before it is given up. */
export const STEP_LOGIN_TIMEOUT_MS = 10 * 60 * 1000;

interface Running {
  readonly process: LoginProcess;
  render: StepRenderer;
  step: LoginStep;
  timer: NodeJS.Timeout;
  /** waits that failed in a row because the network was down (the next waits that long) */
  downWaits: number;
  /** the number an answer named (the one being linked), once one did */
  phone?: E164;
}

export class StepLogins {
  private readonly running = new Map<string, Running>();
  private readonly queue = new KeyedQueue();
  private readonly backoff: BackoffOptions;

  constructor(
    private readonly core: CoreContext,
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

  /** The number `owner`'s login in progress is linking, once an answer named it. */
  phoneOf(owner: string): E164 | undefined {
    return this.running.get(owner)?.phone;
  }

  /** Starts a login for `owner` (giving up one in progress) and renders its first step. */
  begin(owner: string, render: StepRenderer): Promise<BeginOutcome> {
    return this.queue.run(owner, async () => {
      const { store, network } = this.core;
      const existing = store.logins.get(owner);
      const status = this.sessions.state(owner);
      if (existing && !(status !== undefined && isTerminal(status.state))) return 'already_logged_in';
      await this.drop(owner);
      if (existing) await this.clearEnded(owner, existing.phone as E164, existing.state, render);
      store.users.ensure(owner);
      let start;
      try {
        start = await network.beginLogin(owner);
      } catch (error) {
        if (error instanceof RemoteUnavailableError) return 'network_unreachable';
        throw error;
      }
      const { first, process } = start;
      const entry: Running = { process, render, step: first, timer: this.arm(owner), downWaits: 0 };
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
      const entry = this.running.get(owner);
      if (!entry) return 'no_login';
      const step = entry.step;
      if (step.kind !== 'user_input') return 'not_asking';
      if (only !== undefined && (step.fields.length !== 1 || step.fields[0].type !== only)) return 'not_asking';
      entry.render = render;
      const values = valuesFor(step.fields, text);
      for (const field of step.fields) {
        const message = problemWith(field, values[field.id]);
        if (message !== undefined) {
          await entry.render({ kind: 'invalid', field, message });
          return 'answered';
        }
      }
      const phoneField = step.fields.find((f) => f.type === 'phone');
      if (phoneField) {
        const phone = parsePhone(values[phoneField.id]);
        if (entry.phone !== phone) await entry.render({ kind: 'linking', phone });
        entry.phone = phone;
      }
      let next: LoginStep;
      try {
        next = await entry.process.submit(values);
      } catch (error) {
        if (error instanceof LoginAnswerRefusedError) {
          const field = step.fields.find((f) => f.id === error.fieldId) ?? step.fields[0];
          // the message is for the person and may quote the answer: not logged
          this.core.log.info(`step login of ${owner}: the network refused the answer to step ${step.id}`);
          await entry.render({ kind: 'invalid', field, message: error.message });
          return 'answered';
        }
        await this.onStepError(owner, entry, error);
        return 'answered';
      }
      if (this.running.get(owner) === entry) await this.advance(owner, entry, next);
      return 'answered';
    });
  }

  /** Gives up `owner`'s login in progress; false when there was none. */
  cancel(owner: string): Promise<boolean> {
    return this.queue.run(owner, () => this.drop(owner));
  }

  /** Gives up every login in progress (the bridge is stopping). */
  async stop(): Promise<void> {
    await Promise.all([...this.running.keys()].map((owner) => this.cancel(owner)));
  }

  private async advance(owner: string, entry: Running, step: LoginStep): Promise<void> {
    entry.step = step;
    if (step.kind === 'complete') {
      this.forget(owner, entry);
      const { store } = this.core;
      store.logins.put(owner, step.login.phone, step.login.data);
      const status = await this.sessions.connect(store.logins.get(owner)!);
      await entry.render({ kind: 'logged_in', status });
      return;
    }
    await entry.render({ kind: 'step', step });
    if (step.kind === 'display_and_wait') this.waitOn(owner, entry);
  }

  /** Waits on a display step outside the queue; what it brings is applied in the queue. A
   *  wait the network could not answer is waited on again after a backoff (the person is told
   *  once per outage), until the login completes, fails, is cancelled or times out. */
  private waitOn(owner: string, entry: Running): void {
    entry.process.wait().then(
      (next) => this.queue.run(owner, async () => {
        entry.downWaits = 0;
        if (this.running.get(owner) === entry) await this.advance(owner, entry, next);
      }),
      (error: unknown) => this.queue.run(owner, async () => {
        if (this.running.get(owner) !== entry) return;
        if (!(error instanceof RemoteUnavailableError)) return this.onStepError(owner, entry, error);
        if (entry.downWaits === 0) await entry.render({ kind: 'network_unreachable' });
        const again = setTimeout(() => {
          if (this.running.get(owner) === entry) this.waitOn(owner, entry);
        }, backoffDelay(entry.downWaits++, this.backoff));
        again.unref();
      }),
    ).catch((error: Error) => this.core.log.warn(`step login of ${owner}: showing a step failed: ${error.message}`));
  }

  /** The network is down: say so and keep the step. Anything else ends the login. */
  private async onStepError(owner: string, entry: Running, error: unknown): Promise<void> {
    if (error instanceof RemoteUnavailableError) {
      await entry.render({ kind: 'network_unreachable' });
      return;
    }
    this.forget(owner, entry);
    await entry.process.cancel();
    this.core.log.warn(`step login of ${owner} failed: ${(error as Error).message}`);
    await entry.render({ kind: 'failed', reason: (error as Error).message });
  }

  /** Clears what is left of a login the network ended (device removed, say) before a new
   *  one starts, and tells the person what was deleted and what was kept. The network's part
   *  failing to go (it may be unreachable) does not stop the new login: said and logged. */
  private async clearEnded(owner: string, phone: E164, state: Record<string, unknown>, render: StepRenderer): Promise<void> {
    const { store, network } = this.core;
    await this.sessions.disconnect(owner);
    let deleted: string[] = [];
    let failure: string | undefined;
    try {
      deleted = await network.logout(owner, { phone, data: state });
    } catch (error) {
      failure = (error as Error).message;
      this.core.log.warn(`login of ${owner}: clearing the ended login at the ${network.displayName} failed: ${failure}`);
    }
    store.logins.remove(owner);
    deleted.push('the login record');
    const portalCount = store.portals.ofOwner(owner).length;
    await render({ kind: 'ended_login_cleared', phone, deleted, portalCount, ...(failure === undefined ? {} : { failure }) });
  }

  private arm(owner: string): NodeJS.Timeout {
    const timer = setTimeout(() => {
      void this.queue.run(owner, async () => {
        const entry = this.running.get(owner);
        if (!entry || entry.timer !== timer) return;
        await this.drop(owner);
        await entry.render({ kind: 'timed_out' });
      }).catch((error: Error) => this.core.log.warn(`step login of ${owner}: telling the timeout failed: ${error.message}`));
    }, this.timeoutMs);
    timer.unref();
    return timer;
  }

  private forget(owner: string, entry: Running): void {
    clearTimeout(entry.timer);
    if (this.running.get(owner) === entry) this.running.delete(owner);
  }

  private async drop(owner: string): Promise<boolean> {
    const entry = this.running.get(owner);
    if (!entry) return false;
    this.forget(owner, entry);
    await entry.process.cancel();
    return true;
  }
}

/** Why `value` cannot answer `field`, if it cannot: a phone field takes only a number the
 *  project's phone parser accepts, whatever the connector checks on top. */
function problemWith(field: LoginField, value: string): string | undefined {
  if (field.type === 'phone') {
    try {
      parsePhone(value);
    } catch (error) {
      if (error instanceof InvalidPhoneNumberError) return error.message;
      throw error;
    }
  }
  return field.validate?.(value);
}

function valuesFor(fields: readonly LoginField[], text: string): Record<string, string> {
  const trimmed = text.trim();
  if (fields.length === 1) return { [fields[0].id]: trimmed };
  const words = trimmed.split(/\s+/);
  const values: Record<string, string> = {};
  fields.forEach((field, i) => {
    values[field.id] = (i === fields.length - 1 ? words.slice(i).join(' ') : words[i]) ?? '';
  });
  return values;
}
