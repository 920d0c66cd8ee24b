// Boots the real bridge in-process against a real Synapse, the way an admin
// would set it up: config from config.sample.yaml with local overrides, the
// registration made by the bridge's own generator, that file handed to
// Synapse, then start(config). Everything lives in one temp dir.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load';
import type { BridgeConfig, PermissionLevel } from '../../src/config/types';
import { generateRegistration, writeRegistration } from '../../src/registration/generate';
import { start } from '../../src/index';
import { freePort } from './free-port';
import { useTestBridgeDatabase } from './test-bridge-database';
import { repoRoot, startSynapse, type SynapseHandle } from './synapse';

export interface BridgeEnv {
  dir: string;
  hs: SynapseHandle;
  config: BridgeConfig;
  /** The running bridge; replaced by startBridge() after a stopBridge(). */
  bridge: Awaited<ReturnType<typeof start>>;
  botUserId: string;
  /** Stops only the bridge (Synapse keeps running), as an admin restarting it would. */
  stopBridge(): Promise<void>;
  /** Starts the bridge again with the same config (same database, same registration). */
  startBridge(): Promise<void>;
  /** Stops the bridge, then Synapse, then removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

export interface BridgeEnvOptions {
  /** bridge.permissions; the sample's entries are replaced, not merged. */
  permissions: Record<string, PermissionLevel>;
  /** Further changes to the config before the registration is generated. */
  adjust?: (config: BridgeConfig) => void;
  /** Extra homeserver.yaml settings for this test's Synapse. */
  synapseConfig?: Record<string, unknown>;
}

export const TEST_SERVER_NAME = 'localhost';

export async function startBridgeEnv(opts: BridgeEnvOptions): Promise<BridgeEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-e2e-'));
  // KEEP_E2E_DIR=1 keeps the dir (Synapse log, config, bridge.db) for a post-mortem.
  const cleanups: Array<() => Promise<void>> = [async () => {
    if (process.env.KEEP_E2E_DIR) console.log(`# kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }];
  const stop = async () => {
    while (cleanups.length > 0) await cleanups.pop()!();
  };
  try {
    const config = parseConfig(readFileSync(join(repoRoot, 'config.sample.yaml'), 'utf8'), 'config.sample.yaml');
    const port = await freePort();
    config.homeserver.domain = TEST_SERVER_NAME;
    config.appservice.address = '127.0.0.1';
    config.appservice.port = port;
    config.appservice.url = `http://127.0.0.1:${port}`;
    config.appservice.registration = join(dir, 'registration.yaml');
    config.database.path = join(dir, 'bridge.db');
    // TEST_BRIDGE_DB=postgres: a fresh PostgreSQL database, dropped after the bridge stops
    cleanups.push(await useTestBridgeDatabase(config));
    config.bridge.permissions = opts.permissions;
    // the sample's key-store secret is a placeholder the bridge refuses; a real one, as an admin would set
    config.security.key_store_secret = randomBytes(32).toString('base64');
    // the sample's provider secret (change-me) is refused too; tests with a gateway set the real one in adjust
    config.network.provider_secret = randomBytes(16).toString('hex');
    opts.adjust?.(config);

    // The registration does not depend on the homeserver URL, which is only
    // known once Synapse listens; so: generate, start Synapse with it, then point the bridge at it.
    writeRegistration(config.appservice.registration, generateRegistration(config, config.appservice.url));
    const hs = await startSynapse({ registrationFiles: [config.appservice.registration], dir: join(dir, 'synapse'), serverName: TEST_SERVER_NAME, extraConfig: opts.synapseConfig });
    cleanups.push(() => hs.stop());
    config.homeserver.url = hs.url;

    let running: Awaited<ReturnType<typeof start>> | undefined = await start(config);
    const stopBridge = async () => {
      const current = running;
      running = undefined;
      await current?.stop();
    };
    cleanups.push(stopBridge);
    const env: BridgeEnv = {
      dir, hs, config, bridge: running, botUserId: running.botUserId, stop, stopBridge,
      startBridge: async () => {
        if (running) throw new Error('startBridge: the bridge is already running');
        running = await start(config);
        env.bridge = running;
      },
    };
    return env;
  } catch (error) {
    await stop();
    throw error;
  }
}
