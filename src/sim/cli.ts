#!/usr/bin/env node
/**
 * interop-sim: act as a person on the reference interop network from a terminal.
 *
 *   interop-sim --phone +4915112345678 [--gateway ws://127.0.0.1:8787] [--provider native]
 *               [--secret native-dev-secret] [--data ./sim-data] [--name "Alice"]
 *
 * The first run registers the number (the dev-mode gateway returns the code; otherwise the
 * code is asked for on the terminal); later runs reuse the stored identity and device.
 */
import { mkdirSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { textOf } from './chat-log';
import { HELP, runCommand } from './repl-commands';
import { SimUser } from './sim-user';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      phone: { type: 'string' },
      gateway: { type: 'string', default: process.env.INTEROP_GATEWAY_URL ?? 'ws://127.0.0.1:8787' },
      provider: { type: 'string', default: process.env.INTEROP_PROVIDER ?? 'native' },
      secret: { type: 'string', default: process.env.INTEROP_PROVIDER_SECRET ?? 'native-dev-secret' },
      data: { type: 'string', default: './sim-data' },
      name: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.phone) {
    console.log('usage: interop-sim --phone +4915112345678 [--gateway ws://127.0.0.1:8787] [--provider native] [--secret …] [--data ./sim-data] [--name Alice]');
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
  process.exitCode = 1;
});
