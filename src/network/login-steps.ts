/**
 * Logging in as a sequence of steps the connector describes and core renders, so a network
 * whose login is not "phone number, then a one-time code" (a QR code a phone app scans, a
 * pairing code to type into the app, a password) fits without changes to core/. The
 * connector keeps what a login in progress knows (a half-open connection, a pending code);
 * core keeps one process per Matrix user, times it out, cancels it, and renders each step in
 * the management room. No Matrix imports and no connector imports here.
 */
import type { LoginState } from './remote-network';

/** What a field holds: core picks how to ask for it (a bare code in the management room is
 *  taken as the answer only when the step asks for a `code`). */
export type LoginFieldType = 'phone' | 'code' | 'text' | 'password';

export interface LoginField {
  /** the key of the value in submit() */
  readonly id: string;
  readonly type: LoginFieldType;
  /** what to ask, for people: "Your phone number, with country code" */
  readonly prompt: string;
  /** checks one value before it is submitted: a message for the person (the step is asked
   *  again) when it is not acceptable, undefined when it is */
  validate?(value: string): string | undefined;
}

/** What a display_and_wait step shows: a QR code's payload (core renders it) or a pairing
 *  code the person types into their app. */
export interface LoginDisplay {
  readonly type: 'qr' | 'code';
  readonly data: string;
}

export type LoginStep =
  /** the person answers: submit() with a value per field */
  | { kind: 'user_input'; id: string; instructions: string; fields: readonly LoginField[] }
  /** core shows `display` and calls wait(); the same `id` again is a refreshed display */
  | { kind: 'display_and_wait'; id: string; instructions: string; display: LoginDisplay }
  /** logged in: core stores `login` and connects it */
  | { kind: 'complete'; login: LoginState };

/**
 * One login in progress, created by RemoteNetwork.beginLogin. Core calls one method at a
 * time. A step method throws RemoteUnavailableError when the network is down for now (core
 * asks again), LoginAnswerRefusedError when the answer was refused (core says why and asks
 * again), any other error when the login cannot go on (core ends the process and says why,
 * with the error's message: it must hold no secret, phone number or code).
 */
export interface LoginProcess {
  /** answers a user_input step with a value per field id; returns the next step */
  submit(values: Readonly<Record<string, string>>): Promise<LoginStep>;
  /** waits on a display_and_wait step; returns the next step (the same id refreshed, or the next) */
  wait(): Promise<LoginStep>;
  /** gives up the login (timeout, `cancel`, a new `login`): frees what it holds; never throws */
  cancel(): Promise<void>;
}

export interface LoginStart {
  readonly first: LoginStep;
  readonly process: LoginProcess;
}

/**
 * A step method throws this when the answer was refused but the login can go on (a wrong
 * one-time code, a number the network will not take): core says `message` (for people, no
 * secret in it: it is logged too) and asks the same step again. `fieldId`: the field it is
 * about, when the step has several.
 */
export class LoginAnswerRefusedError extends Error {
  constructor(message: string, readonly fieldId?: string) {
    super(message);
    this.name = 'LoginAnswerRefusedError';
  }
}

/** The field a step asks for that a bare code typed in the management room answers, if any. */
export function codeField(step: LoginStep | undefined): LoginField | undefined {
  if (step?.kind !== 'user_input' || step.fields.length !== 1) return undefined;
  return step.fields[0].type === 'code' ? step.fields[0] : undefined;
}
