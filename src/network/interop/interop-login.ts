/**
 * The interop network's login as steps (src/network/login-steps.ts): the phone number, then
 * the one-time code the network sends to it, then done (a device registered for the bridge).
 * Core shows what logging in means between the number and the code request (it does that
 * before any step answering a `phone` field is submitted). The dev gateway's `devCode` is
 * never shown: the code reaches the phone's owner, who types it, as in production.
 *
 * Errors the person can fix (a wrong code, a number another provider holds) keep the step
 * asked; a gateway that went away is RemoteUnavailableError (the step is asked again); an
 * expired or exhausted code ends the login. No message here names the number or the code:
 * core logs them.
 */
import type { InteropClient } from '../../interop-client/client';
import { InteropRequestError } from '../../interop-client/errors';
import { LoginAnswerRefusedError, type LoginField, type LoginProcess, type LoginStart, type LoginStep } from '../login-steps';
import { InvalidPhoneNumberError, displayPhone, parsePhone, type E164 } from '../phone';
import { RemoteUnavailableError } from '../remote-network';

export interface InteropLoginDeps {
  /** waits for the gateway connection, or throws RemoteUnavailableError after a short wait */
  ready(): Promise<void>;
  /** a client for `phone` with the login's own key store */
  client(phone: E164): InteropClient;
}

const PHONE_FIELD: LoginField = {
  id: 'phone',
  type: 'phone',
  prompt: 'Your phone number, with country code',
  validate(value) {
    try {
      parsePhone(value);
      return undefined;
    } catch (error) {
      if (error instanceof InvalidPhoneNumberError) return error.message;
      throw error;
    }
  },
};

const CODE_FIELD: LoginField = {
  id: 'code',
  type: 'code',
  prompt: 'The one-time code',
  validate: (value) => (/^\d{4,12}$/.test(value) ? undefined : 'A one-time code is digits only.'),
};

/** the first step: which number to link */
export function phoneStep(networkName: string): LoginStep {
  return {
    kind: 'user_input',
    id: 'phone',
    instructions: `Link your phone number: the ${networkName} sends it a one-time code, which you then send here.`,
    fields: [PHONE_FIELD],
  };
}

function codeStep(phone: E164): LoginStep {
  return {
    kind: 'user_input',
    id: 'code',
    instructions: `The network is sending a one-time code to ${displayPhone(phone)}.`,
    fields: [CODE_FIELD],
  };
}

/** a request that failed because the gateway went away, as core's transient error */
function lostOr(error: unknown, otherwise: (e: InteropRequestError) => Error): Error {
  if (!(error instanceof InteropRequestError)) return error as Error;
  if (error.code === 'disconnected' || error.code === 'timeout') return new RemoteUnavailableError();
  return otherwise(error);
}

/** Refusals worded for people, without the gateway's free text (which may name the number). */
const REFUSED: Record<string, string> = {
  phone_taken: 'That number is registered with another provider of the network, so this bridge cannot link it.',
  code_invalid: 'That code is wrong: the network did not accept it.',
};
const ENDED: Record<string, string> = {
  code_expired: 'the one-time code expired',
  code_attempts_exceeded: 'too many wrong codes were tried',
  rate_limited: 'the network asks to wait before trying again',
};

class InteropLoginProcess implements LoginProcess {
  /** set once the code was requested: the code step is asked */
  private pending: { phone: E164; client: InteropClient } | undefined;

  constructor(private readonly deps: InteropLoginDeps, pending?: { phone: E164; client: InteropClient }) {
    this.pending = pending;
  }

  submit(values: Readonly<Record<string, string>>): Promise<LoginStep> {
    return this.pending ? this.confirm(this.pending, values.code ?? '') : this.requestCode(values.phone ?? '');
  }

  private async requestCode(input: string): Promise<LoginStep> {
    let phone: E164;
    try {
      phone = parsePhone(input);
    } catch (error) {
      throw error instanceof InvalidPhoneNumberError ? new LoginAnswerRefusedError(error.message) : error;
    }
    await this.deps.ready();
    const client = this.deps.client(phone);
    await client.requestCode().catch((error: unknown) => {
      throw lostOr(error, refusedOrEnded);
    });
    this.pending = { phone, client };
    return codeStep(phone);
  }

  private async confirm(pending: { phone: E164; client: InteropClient }, code: string): Promise<LoginStep> {
    await this.deps.ready();
    await pending.client.confirmCode(code).catch((error: unknown) => {
      throw lostOr(error, refusedOrEnded);
    });
    const deviceId = await pending.client.registerDevice().catch((error: unknown) => {
      throw lostOr(error, (e) => new Error(`the network did not register the bridge's device (${e.code})`));
    });
    this.pending = undefined;
    return { kind: 'complete', login: { phone: pending.phone, data: { deviceId } } };
  }

  wait(): Promise<LoginStep> {
    return Promise.reject(new Error('the interop login shows nothing to wait on'));
  }

  async cancel(): Promise<void> {
    // nothing is open at the network until the device is registered: a requested code expires
    this.pending = undefined;
  }
}

function refusedOrEnded(error: InteropRequestError): Error {
  const refused = REFUSED[error.code];
  if (refused) return new LoginAnswerRefusedError(refused);
  return new Error(ENDED[error.code] ?? `the network refused the login (${error.code})`);
}

/** Starts an interop login: asks for the number first; nothing reaches the network yet. */
export function beginInteropLogin(deps: InteropLoginDeps, networkName: string): LoginStart {
  return { first: phoneStep(networkName), process: new InteropLoginProcess(deps) };
}

/** Resumes an interop login after a restart at its code step: the code was requested for
 *  `answers.phone` before the restart, and a fresh client for that number confirms it (the
 *  gateway keeps the requested code per number, not per connection). Nothing reaches the
 *  network until the code is submitted. Any other step was not under way at the network:
 *  the login starts again. */
export function resumeInteropLogin(deps: InteropLoginDeps, step: string, answers: Readonly<Record<string, string>>): LoginStart {
  if (step !== 'code' || answers.phone === undefined) throw new Error('the login was not waiting for a code; send "login" to start again');
  const phone = parsePhone(answers.phone);
  return { first: codeStep(phone), process: new InteropLoginProcess(deps, { phone, client: deps.client(phone) }) };
}
