/** What a step login (step-login.ts) shows its front ends, and what its calls answer. */
import type { LoginField, LoginStep } from '../network/login-steps';
import type { E164 } from '../network/phone';
import type { LoginStatus } from './sessions';

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
  /** the network is down: the answer is retried in the background until it goes through
   *  (`network_back`, then the next step), is refused, or the login ends */
  | { kind: 'waiting_for_network' }
  | { kind: 'network_back' }
  | { kind: 'failed'; reason: string }
  | { kind: 'timed_out' };

export type StepRenderer = (event: StepEvent) => Promise<void>;

export type BeginOutcome = 'started' | 'already_logged_in' | 'network_unreachable';
export type SubmitOutcome = 'answered' | 'no_login' | 'not_asking';

/** How long a step login may stay unfinished before it is given up. */
export const STEP_LOGIN_TIMEOUT_MS = 10 * 60 * 1000;
