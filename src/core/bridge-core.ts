/**
 * Core wiring: portals, sessions, both directions of message flow and the login commands,
 * over the MatrixPort and RemoteNetwork interfaces only.
 */
import type { BridgeConfig } from '../config/types';
import type { Command } from '../matrix/commands/registry';
import type { RemoteNetwork } from '../network/remote-network';
import type { BridgeStore } from '../store';
import { NO_METRICS, type BridgeMetrics } from './bridge-metrics';
import { blockCommands } from './block-commands';
import { BlockSync } from './block-sync';
import type { CoreContext, CoreLogger, Sealer } from './context';
import { Inbox } from './inbox';
import { KeyedQueue } from './keyed-queue';
import { loginCommands } from './login-commands';
import { LoginFlow } from './login-flow';
import { StepLogins } from './step-login';
import { MatrixIntake } from './matrix-intake';
import { MessageRequests } from './message-requests';
import type { MatrixPort } from './matrix-port';
import { Outbox } from './outbox';
import { Pausing } from './pausing';
import { Portals } from './portals';
import { ProviderFilter } from './provider-filter';
import { ProviderPolicy } from './provider-policy';
import { ProviderDropSummary } from './provider-summary';
import { providerCommands } from './provider-commands';
import { ProfileShare } from './profile-share';
import { Sessions } from './sessions';
import { SecurityKeeper } from './security-keeper';
import { requestCommands } from './request-commands';
import { RequestActions } from './request-actions';
import { securityCommands } from './security-commands';
import { settingsCommands } from './settings-commands';

export class BridgeCore {
  readonly ctx: CoreContext;
  readonly portals: Portals;
  readonly sessions: Sessions;
  readonly outbox: Outbox;
  readonly matrixIntake: MatrixIntake;
  readonly security: SecurityKeeper;
  readonly inbox: Inbox;
  readonly profileShare: ProfileShare;
  /** pause / resume, shared by the bot's commands and the provisioning API */
  readonly pausing: Pausing;
  /** logout, status and start-chat (and login by phone and code, for the provisioning API),
   *  shared by the bot's commands and the provisioning API */
  readonly logins: LoginFlow;
  /** the network's login, as steps (login-steps.ts): the one login path */
  readonly stepLogins: StepLogins;
  readonly blockSync: BlockSync;
  /** first messages from unknown numbers, held until the user accepts them */
  readonly requests: MessageRequests;
  /** accept / decline, for the bot's commands and the provisioning API */
  readonly requestActions: RequestActions;
  /** who may reach each user by provider, the filter and the summary of what it dropped */
  readonly providers: ProviderFilter;
  readonly queue = new KeyedQueue();

  constructor(
    config: BridgeConfig, store: BridgeStore, matrix: MatrixPort, network: RemoteNetwork, log: CoreLogger, sealer: Sealer,
    metrics: BridgeMetrics = NO_METRICS,
  ) {
    this.ctx = { config, store, matrix, network, log, sealer, metrics, session: (owner) => this.sessions.get(owner) };
    this.security = new SecurityKeeper(this.ctx);
    this.inbox = new Inbox(this.ctx);
    this.portals = new Portals(this.ctx, this.security, this.inbox);
    this.outbox = new Outbox(this.ctx, this.queue, this.security);
    this.blockSync = new BlockSync(this.ctx, this.queue);
    this.profileShare = new ProfileShare(this.ctx);
    this.requests = new MessageRequests(this.ctx);
    this.providers = new ProviderFilter(this.ctx, new ProviderPolicy(this.ctx), new ProviderDropSummary(this.ctx));
    this.sessions = new Sessions(this.ctx, this.portals, this.security, this.queue, this.outbox, this.requests, this.providers, async (owner) => {
      await this.blockSync.connected(owner);
      this.profileShare.connected(owner);
    });
    this.pausing = new Pausing(this.ctx, this.sessions);
    this.requestActions = new RequestActions(this.ctx, this.requests, this.sessions);
    this.matrixIntake = new MatrixIntake(this.ctx, this.outbox, this.security, this.inbox, (owner) => this.profileShare.profileChanged(owner));
    this.stepLogins = new StepLogins(this.ctx, this.sessions);
    this.logins = new LoginFlow(this.ctx, this.sessions, this.portals, this.stepLogins);
  }

  /** Whether a bare code `owner` types in the management room answers their login: only
   *  while its step asks for a code (what people do with a code texted to them). */
  async expectsCode(owner: string): Promise<boolean> {
    return await this.stepLogins.asksCode(owner);
  }

  commands(): Command[] {
    const provider = providerCommands(this.ctx, this.providers.policy, this.requests);
    return [
      ...loginCommands(this.ctx, this.sessions, this.logins, this.stepLogins),
      ...securityCommands(this.ctx, this.sessions, this.security),
      ...blockCommands(this.ctx, this.blockSync, this.requests, provider.block),
      ...requestCommands(this.ctx, this.requestActions),
      ...provider.commands,
      ...settingsCommands(this.ctx, this.inbox, this.pausing, this.profileShare),
    ];
  }

  /** reconnects stored logins and resumes the outbox, without waiting for the network */
  async start(): Promise<void> {
    await this.requests.start();
    await this.providers.summary.start();
    await this.sessions.startAll();
  }

  async stop(): Promise<void> {
    await this.stepLogins.stop();
    this.outbox.stop();
    this.blockSync.stop();
    this.requests.stop();
    this.providers.summary.stop();
    // a send in progress finishes while its session is still up: cut off, it would leave the
    // network unsure whether it arrived
    await this.outbox.settle();
    await this.sessions.stopAll();
    await this.queue.idle();
  }
}
