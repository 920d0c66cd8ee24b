#!/usr/bin/env node
/**
 * `npm run demo`: the whole bridge on this machine in one command. It starts a local Synapse
 * (installed into .synapse/venv by scripts/synapse/), the reference interop network, the
 * bridge, registers a Matrix user, links it to a phone number, opens a chat with a simulated
 * remote person, prints how to log in from any Matrix client, and hands the terminal to that
 * person's prompt. Ctrl-C (or `quit`) stops everything it started; the data stays in the demo
 * directory, and a second run continues where the first stopped.
 *
 * Environment: DEMO_DIR (default .demo), DEMO_SYNAPSE_PORT (8008), DEMO_GATEWAY_PORT (8787),
 * DEMO_BRIDGE_PORT (29330). Everything listens on 127.0.0.1 only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SimUser } from '../src/sim/sim-user';
import { repoRoot } from '../tests/helpers/synapse';
import { acceptRequest, DEMO_LOCALPART, demoUser, joinPortal, linkPhone } from './matrix-side';
import { logLength, startService, waitForHttp, waitForLogLine, waitForPort, type Service } from './processes';
import { prepareDemo, SERVER_NAME } from './setup';

const USER_PHONE = '+4915100000001';
const CONTACT_PHONE = '+14155550100';
const CONTACT_NAME = 'Sam (simulated)';
const FIRST_MESSAGE = 'Hello from the interop network! Write back and I will see it in my terminal.';

interface DemoState {
  managementRoom?: string;
  portal?: string;
}

const dir = resolve(process.env.DEMO_DIR ?? join(repoRoot, '.demo'));
const services: Service[] = [];
/** the simulated person's prompt, in the foreground (same process group as the demo) */
let person: ChildProcess | undefined;
let stopping: Promise<void> | undefined;

function say(text: string): void {
  process.stdout.write(`[demo] ${text}\n`);
}

/** Stops what was started, newest first, and exits. */
function shutdown(code: number): Promise<void> {
  stopping ??= (async () => {
    say('stopping…');
    if (person && person.exitCode === null && person.signalCode === null) {
      const gone = new Promise((r) => person?.once('exit', r));
      person.kill('SIGTERM');
      await gone;
    }
    for (const service of services.reverse()) await service.stop().catch(() => undefined);
    say(`stopped. Everything is kept in ${dir}; \`npm run demo\` continues from there (delete the directory to start over).`);
    process.exit(code);
  })();
  return stopping;
}

function readState(): DemoState {
  const path = join(dir, 'state.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as DemoState) : {};
}

function saveState(state: DemoState): void {
  writeFileSync(join(dir, 'state.json'), JSON.stringify(state, null, 2));
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  const setup = prepareDemo(dir);
  const node = process.execPath;
  const synapseDir = join(dir, 'synapse');
  say(`data directory: ${dir}`);

  const synapse = startService('Synapse', join(repoRoot, '.synapse', 'venv', 'bin', 'python'), ['-m', 'synapse.app.homeserver', '-c', setup.synapseConfig], {
    cwd: synapseDir, logPath: join(synapseDir, 'homeserver.log'),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: synapseDir, LANG: 'C.UTF-8' },
  });
  services.push(synapse);
  const gateway = startService('interop-gateway', node, [join(repoRoot, 'dist/src/gateway/cli.js'), '--dev', '-d', join(dir, 'gateway.db'), '-p', String(setup.ports.gateway)], {
    cwd: dir, logPath: join(dir, 'gateway.log'),
  });
  services.push(gateway);
  await waitForHttp(synapse, `${setup.homeserverUrl}/_matrix/client/versions`);
  say(`Synapse is up at ${setup.homeserverUrl} (log: ${synapse.logPath})`);
  await waitForPort(gateway, setup.ports.gateway);
  say(`interop network is up at ${setup.gatewayUrl} (log: ${gateway.logPath})`);

  const bridge = startService('bridge', node, [join(repoRoot, 'dist/src/cli.js'), '-c', setup.bridgeConfig], {
    cwd: dir, logPath: join(dir, 'bridge.log'),
    env: { ...process.env, INTEROP_PROVIDER_SECRET: setup.providerSecret, INTEROP_KEY_STORE_SECRET: setup.secrets.keyStore },
  });
  services.push(bridge);
  await waitForPort(bridge, setup.ports.bridge);
  say(`bridge is up (log: ${bridge.logPath})`);

  const client = await demoUser(setup);
  const bot = `@interopbot:${SERVER_NAME}`;
  const state = readState();
  if (!state.managementRoom) {
    say(`linking ${client.userId} to ${USER_PHONE}…`);
    state.managementRoom = await linkPhone(client, bot, USER_PHONE, gateway, () => logLength(gateway));
    saveState(state);
  }
  if (!state.portal) {
    say(`${CONTACT_NAME} (${CONTACT_PHONE}) writes to ${USER_PHONE}…`);
    const sim = await SimUser.create({
      url: setup.gatewayUrl, phone: CONTACT_PHONE, provider: 'native', secret: 'native-dev-secret',
      dataDir: join(dir, 'sim'), displayName: CONTACT_NAME,
      codeProvider: () => waitForLogLine(gateway, /verification code for \+14155550100: (\d+)/),
    });
    if (!sim.registered) await sim.register();
    const mark = await client.catchUp();
    await sim.sendText(USER_PHONE, FIRST_MESSAGE);
    // an unknown number's first message is a message request; the demo user accepts it
    await acceptRequest(client, bot, state.managementRoom, CONTACT_PHONE, mark);
    say(`accepted ${CONTACT_NAME}'s message request`);
    state.portal = await joinPortal(client, `@wa_${CONTACT_PHONE}:${SERVER_NAME}`, FIRST_MESSAGE, mark);
    await sim.close();
    saveState(state);
  }

  process.stdout.write(`
================ matrix-interop-bridge demo is running ================
Matrix homeserver : ${setup.homeserverUrl}   (server name: ${SERVER_NAME})
Matrix user       : ${DEMO_LOCALPART}   (${client.userId})
Password          : ${setup.secrets.matrixPassword}
Log in with any Matrix client on this machine (Element Desktop, or Element Web served
locally) using that homeserver URL, user and password. You will find:
  - "Interop bridge": your chat with the bridge bot (send "help")
  - a chat with ${CONTACT_NAME}, ${CONTACT_PHONE}, a person on the interop network
Below is ${CONTACT_NAME}'s terminal. Try:   send ${USER_PHONE} hi from the terminal
Messages you write in Matrix appear here. 'help' lists more; Ctrl-C or 'quit' stops the demo.
========================================================================
`);
  say('ready');
  person = spawn(node, [join(repoRoot, 'dist/src/sim/cli.js'), '--phone', CONTACT_PHONE, '--name', CONTACT_NAME, '--gateway', setup.gatewayUrl, '--data', join(dir, 'sim')], {
    stdio: 'inherit',
  });
  person.once('exit', () => void shutdown(0));
}

main().catch((error: Error) => {
  process.stderr.write(`[demo] failed: ${error.message}\n`);
  void shutdown(1);
});
