/**
 * `pause` / `resume`, shared by the bot's commands and the provisioning API: pausing records
 * the setting first (a restart in between stays paused) and closes the session, so the network
 * keeps what contacts send and the outbox leaves what the user writes untried; resuming
 * connects again, and connecting kicks the outbox.
 */
import type { E164 } from '../network/phone';
import type { CoreContext } from './context';
import type { LoginStatus, Sessions } from './sessions';
import { readSettings, writeSetting } from './user-settings';

export type PauseOutcome = { outcome: 'paused'; phone: E164 } | { outcome: 'already' } | { outcome: 'not_logged_in' };
export type ResumeOutcome = { outcome: 'resumed'; status: LoginStatus } | { outcome: 'not_paused' } | { outcome: 'not_logged_in' };

export class Pausing {
  constructor(private readonly core: CoreContext, private readonly sessions: Sessions) {}

  async pause(owner: string): Promise<PauseOutcome> {
    const login = await this.core.store.logins.get(owner);
    if (!login) return { outcome: 'not_logged_in' };
    if ((await readSettings(this.core.store, owner)).paused) return { outcome: 'already' };
    await writeSetting(this.core.store, owner, 'paused', true);
    await this.sessions.disconnect(owner);
    return { outcome: 'paused', phone: login.phone as E164 };
  }

  async resume(owner: string): Promise<ResumeOutcome> {
    const login = await this.core.store.logins.get(owner);
    if (!login) return { outcome: 'not_logged_in' };
    if (!(await readSettings(this.core.store, owner)).paused) return { outcome: 'not_paused' };
    await writeSetting(this.core.store, owner, 'paused', false);
    return { outcome: 'resumed', status: await this.sessions.connect(login) };
  }
}
