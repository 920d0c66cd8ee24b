/**
 * Starting and stopping the bridge in-process: the CLI calls start(), and so do the
 * end-to-end tests, which boot the real bridge against a real Synapse.
 */
import { AppServiceRegistration, Bridge, Logger, type AppService } from 'matrix-appservice-bridge';
import { LogService } from '@vector-im/matrix-bot-sdk';
import type { BridgeConfig } from './config/types';
import { ConfigError } from './config/errors';
import { readRegistration, ghostUserRegex } from './registration';
import { SqliteBridgeStore, type BridgeStore } from './store';
import { DurableAppService, type MatrixEvent } from './matrix/transaction-intake';
import { BridgeBot } from './matrix/bot';
import { CommandRegistry } from './matrix/commands/registry';
import { builtinCommands } from './matrix/commands/builtin';
import { startMetrics, type MetricsServer } from './metrics';
import { VERSION } from './version';

/** Transactions older than this are forgotten: a homeserver stops retrying long before. */
const TRANSACTION_MEMORY_MS = 7 * 24 * 3600 * 1000;

export interface RunningBridge {
  botUserId: string;
  store: BridgeStore;
  commands: CommandRegistry;
  stop(): Promise<void>;
}

let current: RunningBridge | undefined;

function refuseUnavailableFeatures(config: BridgeConfig): void {
  if (config.provisioning.enabled) {
    throw new ConfigError(['provisioning.enabled: the provisioning API is not available in this release; set it to false']);
  }
}

export async function start(config: BridgeConfig): Promise<RunningBridge> {
  if (current) throw new Error('the bridge is already running in this process');
  refuseUnavailableFeatures(config);
  const registration = readRegistration(config.appservice.registration);
  Logger.configure({ console: config.logging.level });
  LogService.setLogger(Logger.botSdkLogger);
  const log = new Logger('bridge');

  const store = SqliteBridgeStore.open(config.database.path);
  const cleanups: (() => Promise<void> | void)[] = [() => store.close()];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn();
  };
  try {
    const bridge = new Bridge({
      homeserverUrl: config.homeserver.url,
      domain: config.homeserver.domain,
      registration: AppServiceRegistration.fromObject(registration as never),
      controller: { onEvent: () => undefined },
      // the bridge keeps its own SQLite store; the bundled NeDB stores would be a second one
      disableStores: true,
      disableContext: true,
    });
    await bridge.initialise().catch((error: Error) => {
      throw new Error(`cannot reach the homeserver at ${config.homeserver.url}: ${error.message}`);
    });
    const botUserId = `@${registration.sender_localpart}:${config.homeserver.domain}`;
    const ghostPattern = new RegExp(`^${ghostUserRegex(config)}$`);
    const commands = new CommandRegistry();
    commands.register(...builtinCommands(commands, VERSION, config.bridge.command_prefix));
    const botIntent = bridge.getIntent();
    const botIdentity = {
      join: (roomId: string) => botIntent.join(roomId),
      sendMessage: (roomId: string, content: Record<string, unknown>) => botIntent.sendMessage(roomId, content),
      // Straight through the client: the SDK's Intent would first try to register the bot,
      // and Synapse answers that with a 500 for its own appservice sender user.
      leave: (roomId: string, reason?: string) => botIntent.matrixClient.leaveRoom(roomId, reason),
    };
    const bot = new BridgeBot(botUserId, config, store, commands, botIdentity, log, (mxid) => mxid === botUserId || ghostPattern.test(mxid));

    const appservice = new DurableAppService(registration.hs_token);
    appservice.onFailure = (txnId, error) =>
      log.warn(`transaction ${txnId} failed, the homeserver will retry: ${error.message}`);
    appservice.attach(
      {
        onEvent: (event: MatrixEvent) => bot.onEvent(event).catch((error: Error) => log.error(`event ${event.event_id} not handled: ${error.message}`)),
        onEphemeral: async () => undefined,
      },
      store.transactions,
    );
    // the cast: TypeScript calls the replaced onTransaction private (see transaction-intake.ts)
    await bridge.listen(config.appservice.port, config.appservice.address, 10, appservice as unknown as AppService);
    cleanups.push(() => bridge.close());

    await botIntent.setDisplayName(config.appservice.bot_displayname).catch((error: Error) =>
      log.warn(`could not set the bot's display name: ${error.message}`),
    );
    let metrics: MetricsServer | undefined;
    if (config.metrics.enabled) {
      metrics = await startMetrics(bridge, config.metrics.address, config.metrics.port);
      cleanups.push(() => metrics?.close());
    }
    const pruneTimer = setInterval(() => store.transactions.prune(Date.now() - TRANSACTION_MEMORY_MS), 3600_000);
    pruneTimer.unref();
    cleanups.push(() => clearInterval(pruneTimer));

    log.info(`matrix-interop-bridge ${VERSION} listening on ${config.appservice.address}:${config.appservice.port} as ${botUserId}`);
    const running: RunningBridge = {
      botUserId,
      store,
      commands,
      stop: async () => {
        await cleanup();
        if (current === running) current = undefined;
      },
    };
    current = running;
    return running;
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** Stops the bridge started by start() in this process, if any. */
export async function stop(): Promise<void> {
  await current?.stop();
}
