/**
 * One measured run of a bridged bench path (bench:bridge, bench:encrypted): the flow of
 * flow.ts with the receiver watching, and the CPU the bridge, Synapse and this process spent
 * on it, per message.
 */
import { cpuSecondsOf, type BridgedEnv } from './bridged-env';
import { runFlow, type Arrivals } from './flow';
import type { Summary } from './stats';

/** What watches the receiving side (a Matrix client's sync), started before a run and stopped after. */
export interface PathWatcher {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface Path {
  key: string;
  title: string;
  watcher?: PathWatcher;
  send(body: string): Promise<unknown>;
}

export interface Row {
  path: Path;
  window: number;
  s: Summary;
  cpuMsPerMsg: { bridge: number; synapse: number; bench: number };
}

export async function measure(env: BridgedEnv, path: Path, arrivals: Arrivals, window: number, messages: number): Promise<Row> {
  await path.watcher?.start();
  const cpu0 = { bridge: cpuSecondsOf(env.bridgePid), synapse: cpuSecondsOf(env.synapsePid), bench: process.cpuUsage() };
  try {
    const s = await runFlow({ label: `${path.key}-w${window}`, messages, window }, arrivals, path.send);
    const bench = process.cpuUsage(cpu0.bench);
    const perMsg = (seconds: number) => (seconds * 1000) / messages;
    return {
      path, window, s,
      cpuMsPerMsg: {
        bridge: perMsg(cpuSecondsOf(env.bridgePid) - cpu0.bridge),
        synapse: perMsg(cpuSecondsOf(env.synapsePid) - cpu0.synapse),
        bench: perMsg((bench.user + bench.system) / 1e6),
      },
    };
  } finally {
    await path.watcher?.stop();
  }
}
