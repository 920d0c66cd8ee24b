/**
 * How the bot shows a step login (step-login.ts) in the management room: each step's
 * instructions and what it asks for or shows, and each outcome. Only the step's own words
 * come from the connector; the sentences around them are core's, the same for every network.
 */
import { escapeHtml } from '../convert';
import type { LoginField } from '../network/login-steps';
import { displayPhone } from '../network/phone';
import { optInNotice } from './opt-in-notice';
import type { StepEvent } from './step-login';

const ANSWER = (field: LoginField) =>
  field.type === 'code' ? 'Send the code here (just the characters).' : `Send it here as: login <${field.prompt.toLowerCase()}>`;

/** The reply for one event of a step login, as plain text and HTML. `messageRequests`: first
 *  messages from strangers arrive as requests (bridge.message_requests), for the opt-in text. */
export function stepReply(event: StepEvent, networkName: string, messageRequests: boolean): [plain: string, html: string] {
  switch (event.kind) {
    case 'linking':
      return optInNotice(event.phone, networkName, messageRequests);
    case 'ended_login_cleared': {
      const failed = event.failure === undefined ? '' : ` The ${networkName} could not be told (${event.failure}); the rest was deleted here.`;
      const plain = `Your previous login of ${displayPhone(event.phone)} had been ended by the ${networkName}; what was left of it is cleared.` +
        ` Deleted: ${event.deleted.join('; ')}.${failed}` +
        ` Kept: your ${event.portalCount} chat room(s) with their history, your blocked numbers and your settings.`;
      return [plain, escapeHtml(plain)];
    }
    case 'step': {
      const { step } = event;
      if (step.kind === 'user_input') {
        const asks = step.fields.map((f) => `${f.prompt}. ${ANSWER(f)}`);
        const plain = [step.instructions, ...asks].join('\n');
        return [plain, [step.instructions, ...asks].map((line) => `<p>${escapeHtml(line)}</p>`).join('')];
      }
      const what = step.display.type === 'qr' ? 'QR code' : 'pairing code';
      const plain = `${step.instructions}\n${what}: ${step.display.data}\nI wait until it is done ("cancel" gives up).`;
      const html =
        `<p>${escapeHtml(step.instructions)}</p><p>${what}:</p><pre><code>${escapeHtml(step.display.data)}</code></pre>` +
        '<p>I wait until it is done (<code>cancel</code> gives up).</p>';
      return [plain, html];
    }
    case 'logged_in': {
      const plain = `Logged in as ${displayPhone(event.status.phone)}. ` +
        (event.status.state === 'connected'
          ? 'Messages now reach you here; "start-chat <number>" opens a chat.'
          : `The ${networkName} is not reachable right now; retrying… "status" shows the state.`);
      return [plain, escapeHtml(plain)];
    }
    case 'invalid': {
      const plain = `${event.message} ${event.field.prompt}? ${ANSWER(event.field)}`;
      return [plain, escapeHtml(plain)];
    }
    case 'network_unreachable': {
      const plain = `The ${networkName} is not reachable right now; nothing was lost. Send your answer again in a moment, or wait if a code is shown.`;
      return [plain, escapeHtml(plain)];
    }
    case 'waiting_for_network': {
      const plain = `The ${networkName} is not reachable right now. I keep trying with your answer and tell you here when it went through; nothing to resend.`;
      return [plain, escapeHtml(plain)];
    }
    case 'network_back': {
      const plain = `The ${networkName} is reachable again: your answer went through.`;
      return [plain, escapeHtml(plain)];
    }
    case 'failed': {
      const plain = `The login could not go on (${event.reason}). Send "login" to start again.`;
      return [plain, escapeHtml(plain)];
    }
    case 'timed_out': {
      const plain = 'The login took too long and was given up; nothing was linked. Send "login" to start again.';
      return [plain, escapeHtml(plain)];
    }
  }
}
