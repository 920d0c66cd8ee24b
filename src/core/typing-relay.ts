/**
 * Remote typing as the homeserver should see it. A phone repeats "typing" every few seconds
 * while its owner types; the homeserver shows typing for the timeout it was given, so a
 * repeat of the same state within `refreshMs` carries nothing and is not sent. While one
 * update is on its way, a newer one replaces any that waits: only the latest state matters.
 * Typing is momentary, so a failed send is logged and not retried (a late "is typing" would
 * be wrong); the next change is sent as usual.
 */
/** how long the homeserver shows a contact typing, and how often a phone's repeated "typing"
 *  is passed on so that it never lapses while they still type */
export const TYPING_TIMEOUT_MS = 30_000;
export const TYPING_REFRESH_MS = 20_000;

interface ContactTyping {
  /** what the homeserver was last told, and when */
  sent?: { typing: boolean; at: number };
  /** the state to send once the update on its way is answered */
  wanted?: boolean;
  /** the update on its way, if any; resolves when the line for this contact is idle */
  sending?: Promise<void>;
}

export class TypingRelay {
  private readonly contacts = new Map<string, ContactTyping>();

  constructor(
    /** false: there was nowhere to show it (no room yet), so nothing counts as sent */
    private readonly send: (key: string, typing: boolean) => Promise<boolean>,
    private readonly warn: (message: string) => void,
    private readonly refreshMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Resolves once this state (or a newer one) has been sent or found not worth sending. */
  update(key: string, typing: boolean): Promise<void> {
    let contact = this.contacts.get(key);
    if (!contact) this.contacts.set(key, (contact = {}));
    contact.wanted = typing;
    // one small record per contact that ever typed, kept so that a repeated "stopped" is
    // known as a repeat too
    contact.sending ??= this.drain(key, contact).finally(() => {
      contact.sending = undefined;
    });
    return contact.sending;
  }

  private async drain(key: string, contact: ContactTyping): Promise<void> {
    while (contact.wanted !== undefined) {
      const typing = contact.wanted;
      contact.wanted = undefined;
      const { sent } = contact;
      if (sent && sent.typing === typing && (!typing || this.now() - sent.at < this.refreshMs)) continue;
      try {
        if (await this.send(key, typing)) contact.sent = { typing, at: this.now() };
      } catch (error) {
        this.warn((error as Error).message);
      }
    }
  }
}
