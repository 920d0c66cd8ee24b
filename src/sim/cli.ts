#!/usr/bin/env node
/**
 * interop-sim: act as a person on the reference interop network from a terminal.
 * The first run registers the number (the dev-mode gateway returns the code; otherwise the
 * code is asked for on the terminal); later runs reuse the stored identity and device.
 * Its environment variables are its own (INTEROP_SIM_*): the bridge's INTEROP_PROVIDER_SECRET
 * is another provider's secret, and exporting it for the bridge must not change the sim.
 */
import { mkdirSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { textOf } from './chat-log';
import { HELP, runCommand } from './repl-commands';
import { SimUser } from './sim-user';

const USAGE = `usage: interop-sim --phone +4915112345678 [options]

A simulated person on the reference interop network, with a prompt to chat from.

options (each may also be set by the environment variable shown):
  --phone NUMBER      the person's number, E.164 (INTEROP_SIM_PHONE); required
  --gateway URL       the gateway's WebSocket URL (INTEROP_SIM_GATEWAY_URL;
                      default ws://127.0.0.1:8787)
  --provider ID       the provider the person's app belongs to (INTEROP_SIM_PROVIDER;
                      default native; the dev gateway also has plainchat, without
                      end-to-end encryption)
  --secret SECRET     that provider's secret at the gateway (INTEROP_SIM_SECRET;
                      default native-dev-secret, the dev gateway's)
  --data DIR          where the person's keys and chats are kept (INTEROP_SIM_DATA;
                      default ./sim-data)
  --name NAME         display name published in the person's profile (INTEROP_SIM_NAME)
  -h, --help          this text

At the prompt, 'help' lists the commands; 'quit' ends. Exit codes: 0 on quit, 1 on a fatal
error (gateway unreachable, registration refused), 2 on bad arguments.`;

async function main(): Promise<void> {
  const env = process.env;
  let parsed;
  try {
    parsed = parseArgs({
    options: {
      phone: { type: 'string', default: env.INTEROP_SIM_PHONE },
      gateway: { type: 'string', default: env.INTEROP_SIM_GATEWAY_URL ?? 'ws://127.0.0.1:8787' },
      provider: { type: 'string', default: env.INTEROP_SIM_PROVIDER ?? 'native' },
      secret: { type: 'string', default: env.INTEROP_SIM_SECRET ?? 'native-dev-secret' },
      data: { type: 'string', default: env.INTEROP_SIM_DATA ?? './sim-data' },
      name: { type: 'string', default: env.INTEROP_SIM_NAME },
      help: { type: 'boolean', short: 'h' },
    },
    });
  } catch (error) {
    console.error(`interop-sim: ${(error as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const { values } = parsed;
  if (values.help || !values.phone) {
    (values.help ? console.log : console.error)(USAGE);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  mkdirSync(values.data, { recursive: true });
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: `${values.phone}> ` });
  const sim = await SimUser.create({
    url: values.gateway,
    phone: values.phone,
    provider: values.provider,
    secret: values.secret,
    dataDir: values.data,
    displayName: values.name,
    codeProvider: (phone) => rl.question(`verification code sent to ${phone}: `),
  });
  const say = (text: string) => {
    process.stdout.write(`\r${text}\n`);
    rl.prompt(true);
  };
  sim.on('message', (m) => {
    const c = m.content;
    const mark = m.encrypted ? '' : ' (NOT end-to-end encrypted)';
    const bridged = m.sender.bridged ? ' (via a bridge)' : '';
    if (c.kind === 'reaction') say(`${m.sender.phone} reacted ${c.emoji || '(removed)'} to {${c.target.slice(0, 8)}}`);
    else if (c.kind === 'unsupported') say(`${m.sender.phone}: (unsupported ${c.original}) ${c.fallbackText ?? ''}`);
    else if (c.replaces && c.parts.length === 0) say(`${m.sender.phone} deleted {${c.replaces.slice(0, 8)}}`);
    else if (c.replaces) say(`${m.sender.phone} edited {${c.replaces.slice(0, 8)}}: ${textOf(c.parts)}`);
    else say(`${m.sender.phone}${bridged}${mark}: ${textOf(c.parts)}${c.inReplyTo ? `  (reply to {${c.inReplyTo.slice(0, 8)}})` : ''}`);
  });
  sim.on('groupMessage', (m) => {
    const c = m.content;
    const mark = m.encrypted ? '' : ' (NOT end-to-end encrypted)';
    if (c.kind === 'message') say(`[group ${m.groupId.slice(0, 8)}] ${m.sender.phone}${mark}: ${textOf(c.parts)}`);
    else say(`[group ${m.groupId.slice(0, 8)}] ${m.sender.phone} sent a ${c.kind}`);
  });
  sim.on('groupUpdate', (u) => {
    const who = u.change.members.length ? ` ${u.change.members.join(', ')}` : '';
    say(`[group ${u.groupId.slice(0, 8)} "${u.group.name}"] ${u.change.actor} ${u.change.action}${who}`);
  });
  sim.on('status', (s) => say(`${s.sender.phone} ${s.status} ${s.messageIds.length} message(s)`));
  sim.on('typing', (t) => say(`${t.sender.phone} ${t.state === 'started' ? 'is typing…' : 'stopped typing'}`));
  sim.on('unreadable', (u) => say(`a message from ${u.sender.phone} could not be shown: ${u.error}`));
  sim.on('identityChanged', (e) =>
    say(`SAFETY NUMBER CHANGED for ${e.remotePhone} device ${e.deviceId}\n  was ${e.oldSafetyNumber}\n  now ${e.newSafetyNumber}`),
  );
  sim.on('warning', (e) => say(`warning: ${e.message}`));
  sim.connection.on('disconnected', () => say('disconnected from the gateway, reconnecting…'));
  sim.connection.on('connected', (_h, again) => again && say('reconnected'));

  if (!sim.registered) {
    say(`registering ${values.phone}…`);
    const deviceId = await sim.register();
    say(`registered, device ${deviceId}`);
  } else {
    say(`${values.phone} device ${sim.deviceId}, connected to ${values.gateway}`);
  }
  say(HELP);
  // Ctrl-C at the prompt ends the program like `quit` (readline catches it in raw mode)
  rl.on('SIGINT', () => rl.close());
  rl.prompt();
  for await (const line of rl) {
    const cmd = line.trim();
    if (cmd === 'quit' || cmd === 'exit') break;
    try {
      const out = await runCommand(sim, cmd);
      if (out) console.log(out);
    } catch (err) {
      console.log(`error: ${(err as Error).message}`);
    }
    rl.prompt();
  }
  rl.close();
  await sim.close();
}

main().catch((err: Error) => {
  console.error(`interop-sim: ${err.message}`);
  // the prompt holds stdin and a half-made connection may be reconnecting: a fatal error
  // must end the program, not leave it waiting
  process.exit(1);
});
