/**
 * Starting and stopping the bridge in-process: the CLI calls start(), and so do the
 * end-to-end tests, which boot the real bridge against a real Synapse.
 */
import { AppServiceRegistration, Bridge, type AppService } from 'matrix-appservice-bridge';
import type { BridgeConfig } from './config/types';
import { ConfigError } from './config/errors';
import { readRegistration, ghostUserRegex, PLACEHOLDER_TOKEN_MARK } from './registration';
import type { BridgeStore } from './store';
import { DurableAppService, type MatrixEvent } from './matrix/transaction-intake';
import { HeldBackProbe } from './matrix/held-back-transactions';
import { BridgeBot } from './matrix/bot';
import { KnownGhostsCache, ghostsWithPortalRoom } from './matrix/known-ghosts';
import { AppserviceMatrixPort } from './matrix/appservice-port';
import { openRoomEncryption } from './matrix/crypto/open-encryption';
import { EncryptedIntake, tellUndecryptable } from './matrix/encrypted-intake';
import { AwaitingKeys } from './matrix/awaiting-keys';
import { EncryptionRequirement } from './matrix/required-encryption';
import { encryptedRoomOf, managementRoomEncryption } from './matrix/management-room-encryption';
import { CommandRegistry } from './matrix/commands/registry';
import { builtinCommands } from './matrix/commands/builtin';
import { BridgeCore } from './core/bridge-core';
import { prepareConnector, type PreparedConnector } from './connectors/prepare';
import { openConnectorStorage } from './connectors/storage';
import { keysAtRest, textSealer } from './connectors/at-rest';
import { Metrics } from './metrics';
import { HealthEndpoints, homeserverProbe, ReadinessCheck } from './health';
import { setupBridgeLogging } from './logging';
import { VERSION } from './version';
import { checkHomeserver, checkRegistration, openBridgeStore, provisioningSecretProblems } from './startup';
import { startProvisioning } from './provisioning';

/** Handled transactions, events and finished commands older than this are forgotten: a
 *  homeserver stops retrying long before (and an event that old is past any max age). */
const TRANSACTION_MEMORY_MS = 7 * 24 * 3600 * 1000;

export interface RunningBridge {
  botUserId: string;
  store: BridgeStore;
  commands: CommandRegistry;
  core: BridgeCore;
  stop(): Promise<void>;
}

let current: RunningBridge | undefined;

/** Refuses what would start a bridge that cannot work or is unsafe, before touching anything;
 *  the connector's section is checked with the rest, so every problem is named at once. */
function checkStartable(config: BridgeConfig, env: NodeJS.ProcessEnv): PreparedConnector {
  const problems: string[] = [];
  let connector: PreparedConnector | undefined;
  try {
    connector = prepareConnector(config.network, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  const secret = config.security.key_store_secret;
  if (!secret) problems.push('security.key_store_secret: required (or key_store_secret_file, or INTEROP_KEY_STORE_SECRET)');
  else if (secret.includes(PLACEHOLDER_TOKEN_MARK)) problems.push('security.key_store_secret: is the sample\'s placeholder; generate one, e.g. `openssl rand -base64 32`');
  else if (secret.length < 16) problems.push('security.key_store_secret: must be at least 16 characters (e.g. `openssl rand -base64 32`)');
  problems.push(...provisioningSecretProblems(config));
  if (problems.length > 0 || !connector) throw new ConfigError(problems);
  return connector;
}

export interface StartOptions {
  /** aborting it (the CLI does on SIGINT/SIGTERM) ends a start still waiting for the homeserver: StartAborted */
  signal?: AbortSignal;
  /** where the connector reads secrets kept outside the YAML (default: process.env) */
  env?: NodeJS.ProcessEnv;
}

export async function start(config: BridgeConfig, options: StartOptions = {}): Promise<RunningBridge> {
  if (current) throw new Error('the bridge is already running in this process');
  const connector = checkStartable(config, options.env ?? process.env);
  const registration = readRegistration(config.appservice.registration);
  const logging = setupBridgeLogging(config.logging);
  const log = logging.component('bridge');
  const httpLog = logging.component('appservice-http');
  for (const warning of connector.warnings) log.warn(warning);
  checkRegistration(registration, config, log);
  const botUserId = `@${registration.sender_localpart}:${config.homeserver.domain}`;

  const { store, sqlite } = await openBridgeStore(config.database, log);
  const cleanups: (() => Promise<void> | void)[] = [async () => await store.close()];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn();
  };
  try {
    // the connector gets a database of its own, never the bridge's handle (opened before the
    // homeserver wait, so a problem with it is told at once)
    const { definition } = connector;
    const storage = openConnectorStorage(sqlite, config.database.path, definition);
    cleanups.push(() => storage.close());
    if (storage.moved.length > 0) {
      log.info(`moved the ${definition.name} connector's ${storage.moved.length} tables from ${config.database.path} into its own database ${storage.path}`);
    }
    // before anything announces "listening": a bridge the homeserver does not accept only looks alive
    await checkHomeserver(config, registration, botUserId, log, options.signal);
    const bridge = new Bridge({
      homeserverUrl: config.homeserver.url,
      domain: config.homeserver.domain,
      registration: AppServiceRegistration.fromObject(registration as never),
      // the appservice's request log (one line per transaction the homeserver pushes) is
      // debug detail, not the info an admin reads
      controller: { onEvent: () => undefined, onLog: (line: string, isError: boolean) => (isError ? httpLog.warn(line) : httpLog.debug(line)) },
      // the bridge keeps its own store (SQLite or PostgreSQL); the bundled NeDB stores would be a second one
      disableStores: true,
      disableContext: true,
      // ghost IDs are already valid (Matrix 1.8 allows '+', MSC4009); the library's escaping
      // would turn @wa_+49… into @wa_=2b49…, outside the registered namespace
      escapeUserIds: false,
      // ghosts with a portal room are registered: no /register (and no ERROR line) after each restart
      membershipCache: new KnownGhostsCache(await ghostsWithPortalRoom(store, config.appservice.ghost_username_template, config.homeserver.domain)),
    });
    await bridge.initialise().catch((error: Error) => {
      throw new Error(`cannot reach the homeserver at ${config.homeserver.url}: ${error.message}`);
    });
    // one key at rest for core's sealed messages, the connector's keys and the Matrix devices' keys: the composition's choice
    const atRest = await keysAtRest(config.security.key_store_secret);
    const crypto = config.security.encryption === 'off' ? undefined : openRoomEncryption({
      databasePath: config.database.path, homeserverUrl: config.homeserver.url, asToken: registration.as_token, box: atRest, log: logging.component('crypto'),
      trust: { shareRoomKeysWith: config.security.trust.share_room_keys_with, acceptMessagesFrom: config.security.trust.accept_messages_from },
    });
    if (crypto) cleanups.push(() => crypto.close());
    const ghostPattern = new RegExp(`^${ghostUserRegex(config)}$`);
    const requirement = config.security.encryption === 'require' ? new EncryptionRequirement({
      ownerOf: async (roomId) => (await store.portals.byRoom(roomId))?.owner ?? (await store.users.findByManagementRoom(roomId))?.mxid,
      managementRoomOf: async (owner) => (await store.users.get(owner))?.managementRoom ?? undefined,
      isBridgeUser: (mxid) => matrix.isBridgeUser(mxid),
      sendNotice: async (roomId, content, txnId) => { await matrix.sendEvent(botUserId, roomId, 'm.room.message', content, txnId); },
      log: logging.component('crypto'),
    }) : undefined;
    const matrix: AppserviceMatrixPort = new AppserviceMatrixPort(bridge, botUserId, config.appservice.ghost_username_template, config.homeserver.domain, ghostPattern,
      crypto?.encryption, requirement);
    const network = definition.create({ config: connector.config, storage: storage.storage, keysAtRest: atRest, log: logging.component('network') });
    cleanups.push(() => network.stop());
    const metrics = config.metrics.enabled ? new Metrics() : undefined;
    const core = new BridgeCore(config, store, matrix, network, logging.component('core'), textSealer(atRest), metrics?.messages);
    cleanups.push(() => core.stop());
    const health = new HealthEndpoints(new ReadinessCheck({ homeserver: homeserverProbe(config.homeserver.url), logins: () => core.sessions.states() }));

    const commands = new CommandRegistry();
    commands.register(...builtinCommands(commands, VERSION, config.bridge.command_prefix, config.bridge.user_guide_url), ...core.commands());
    const botIntent = bridge.getIntent();
    const botIdentity = {
      join: (roomId: string) => botIntent.join(roomId),
      // through the port: encrypted in an encrypted room, by the bot's own device
      sendMessage: (roomId: string, content: Record<string, unknown>) => matrix.sendEvent(botUserId, roomId, 'm.room.message', content),
      // Straight through the client: the SDK's Intent would first try to register the bot,
      // and Synapse answers that with a 500 for its own appservice sender user.
      leave: (roomId: string, reason?: string) => botIntent.matrixClient.leaveRoom(roomId, reason),
      ...(crypto && managementRoomEncryption({
        mode: config.security.encryption,
        encryptRoom: (roomId) => matrix.encryptRoom(roomId),
        ensureBotDevice: () => crypto.encryption.ensureDevice(botUserId),
        log,
      })),
    };
    const bot = new BridgeBot(botUserId, config, store, commands, botIdentity, log, (mxid) => matrix.isBridgeUser(mxid), (mxid) => core.expectsCode(mxid));

    cleanups.push(() => bot.stop());
    // before the listener opens, so a command interrupted by the last stop is answered first
    await bot.resumeInterrupted();
    const transactionLog = logging.component('transactions');
    const heldBack = new HeldBackProbe({
      log: transactionLog,
      lastHandled: await store.transactions.lastProcessed(),
      // Matrix 1.7 appservice ping: Synapse then sends what its recoverer holds, at once
      ping: async () => {
        await botIntent.matrixClient.doRequest('POST', `/_matrix/client/v1/appservice/${encodeURIComponent(registration.id)}/ping`, null, {});
      },
    });
    cleanups.push(() => heldBack.stop());
    const appservice = new DurableAppService(registration.hs_token, {
      maxAgeMs: config.bridge.delivery.max_age_seconds * 1000,
      log: transactionLog,
      heldBack,
      health,
    });
    // Bot commands are recorded here, durably, and run off the transaction path, in order
    // per room: the homeserver sends the next transaction only after this one is answered,
    // and one slow command must not hold up everyone's messages.
    const handOn = async (event: MatrixEvent) => {
      if (await core.matrixIntake.onEvent(event)) return;
      await bot.accept(event);
    };
    // the rooms whose encrypted events the bridge decrypts: portals (the ghost's device reads)
    // and management rooms (the bot's)
    const portalOf = (roomId: string) => encryptedRoomOf(roomId, async (id) => {
      const portal = await store.portals.byRoom(id);
      return portal && { owner: portal.owner, ghost: matrix.ghostUserId(portal.contact) };
    }, async (id) => (await store.users.findByManagementRoom(id))?.mxid, botUserId);
    const sendNotice = async (roomId: string, content: Record<string, unknown>, txnId: string) => {
      await matrix.sendEvent(botUserId, roomId, 'm.room.message', content, txnId);
    };
    const cryptoLog = logging.component('crypto');
    const awaitingKeys = crypto && new AwaitingKeys({
      repository: store.awaitingKeys,
      encryption: crypto.encryption,
      portalOf,
      botUserId,
      // a held event that decrypts takes the live event's path from here on
      deliver: handOn,
      tell: (event, reason) => tellUndecryptable(sendNotice, event, reason),
      timeoutMs: config.security.undecryptable_timeout_seconds * 1000,
      log: cryptoLog,
    });
    if (awaitingKeys) cleanups.push(() => awaitingKeys.stop());
    const encryptedIntake = crypto && new EncryptedIntake({
      encryption: crypto.encryption, portalOf, botUserId, sendNotice, log: cryptoLog, awaitingKeys,
    });
    appservice.attach(
      {
        // the room keys a transaction's to-device events carry reach the devices (and are on
        // disk) before its room events are decrypted; events that waited for those keys are
        // tried first (bridged late, but before this transaction's own)
        beforeEvents: crypto && (async (body) => {
          const { toDevice } = await crypto.encryption.receiveTransaction(body);
          if (awaitingKeys && toDevice) await awaitingKeys.retry();
        }),
        // No catch here: a failure answers the transaction 500 and the homeserver retries it
        // (every handler is idempotent); bad input is skipped by the intake, with a reason.
        onEvent: async (received: MatrixEvent) => {
          matrix.observe(received);
          // under `require`: what came unencrypted into a portal is not bridged (its sender is told)
          if (requirement && (await requirement.refusesPlaintext(received))) return;
          const event = encryptedIntake ? await encryptedIntake.reveal(received) : received;
          if (event) await handOn(event);
        },
        onEphemeral: (event: MatrixEvent) => core.matrixIntake.onEphemeral(event),
      },
      store.transactions,
    );
    // the cast: TypeScript calls the replaced onTransaction private (see transaction-intake.ts)
    await bridge.listen(config.appservice.port, config.appservice.address, 10, appservice as unknown as AppService);
    cleanups.push(() => bridge.close());
    // runs before the listener closes: what arrives meanwhile is answered 503 and retried by the homeserver
    cleanups.push(() => appservice.stopIntake());

    await botIntent.setDisplayName(config.appservice.bot_displayname).catch((error: Error) =>
      log.warn(`could not set the bot's display name: ${error.message}`),
    );
    if (metrics) {
      const state = { store, logins: () => core.sessions.states() };
      const server = await metrics.start({ bridge, health, state, intake: appservice, address: config.metrics.address, port: config.metrics.port });
      cleanups.push(() => server.close());
    }
    if (config.provisioning.enabled) {
      const provisioning = await startProvisioning(config, core, logging.component('provisioning'));
      cleanups.push(() => provisioning.close());
    }
    const prune = async () => {
      const before = Date.now() - TRANSACTION_MEMORY_MS;
      await store.transactions.prune(before);
      await store.botCommands.prune(before);
    };
    const pruneTimer = setInterval(() => {
      prune().catch((error: unknown) => log.warn(`forgetting old transactions failed (tried again in an hour): ${(error as Error).message}`));
    }, 3600_000);
    pruneTimer.unref();
    cleanups.push(() => clearInterval(pruneTimer));

    void network.start();
    await core.start();
    // what waited for keys when the bridge last stopped: tried again, and its time-outs resumed
    if (awaitingKeys) await awaitingKeys.start();
    log.info(`matrix-interop-bridge ${VERSION} listening on ${config.appservice.address}:${config.appservice.port} as ${botUserId}`);
    const running: RunningBridge = {
      botUserId,
      store,
      commands,
      core,
      stop: async () => {
        // the one line a stop leaves; the count is read before the store closes (the first cleanup pushed)
        cleanups.splice(1, 0, async () => log.info(`stopped: ${await store.outbox.pendingCount()} outbox job(s) kept for the next start`));
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
