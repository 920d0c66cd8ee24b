/**
 * A homeserver that sends the wrong hs_token keeps sending it (every transaction, every
 * retry): one plain WARN says what it means, instead of a 403 in every access-log line. After
 * a right token was seen, a wrong one is news again and is said again.
 */
export class HsTokenWarning {
  private warned = false;

  constructor(private readonly log: { warn(message: string): void }) {}

  rejected(path: string): void {
    if (this.warned) return;
    this.warned = true;
    this.log.warn(
      `the homeserver sent a wrong hs_token (on ${path}), answered 403: the registration the homeserver loaded ` +
        'is not the one the bridge reads (appservice.registration). Give the homeserver this file and restart it, or ' +
        'point appservice.registration at the file it has. Said once until a right token arrives',
    );
  }

  accepted(): void {
    this.warned = false;
  }
}
