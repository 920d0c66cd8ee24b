/**
 * The memory part of bench:bridge: the logged-in Matrix user opens `total` portals through the
 * bridge's own `start-chat` command (ghost registered and named, room created with the bridge
 * state, the bot joined, the notice sent, the user invited), and the bridge process's VmRSS is
 * read at each quarter, so the figures show the slope as well as the end point.
 */
import Database from 'better-sqlite3';
import { parsePhone } from '../src/network/phone';
import type { MatrixClient, SeenEvent } from '../tests/helpers/matrix-client';
import { botMessageBody, cpuSecondsOf, memoryOf, type BridgedEnv } from './bridged-env';
import { Arrivals, runFlow, SyncWatcher } from './flow';
import type { Summary } from './stats';

export interface PortalCheckpoint {
  /** portals with a room in the bridge's database */
  portals: number;
  rssMb: number;
  peakMb: number;
  /** the start-chat commands of this quarter */
  run: Summary;
  /** CPU time per portal in this quarter, in ms */
  cpuMsPerPortal: { bridge: number; synapse: number };
}

/** Portals of the bridge that have a Matrix room, counted in its database (read-only). */
export function portalsWithRooms(env: BridgedEnv): number {
  const db = new Database(env.config.database.path, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM portals WHERE room_id IS NOT NULL').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** `count` start-chat commands from number index `from` on, `window` awaiting the bot's reply at a time. */
async function startChats(env: BridgedEnv, client: MatrixClient, managementRoom: string, from: number, count: number, window: number): Promise<Summary> {
  const arrivals = new Arrivals();
  // "Chat with +49 1512 0000001: https://matrix.to/…": the reply is keyed by the command that asked for it
  const pick = (e: SeenEvent) => {
    const body = botMessageBody(env, managementRoom, e);
    const m = body === undefined ? null : /^Chat with (.+?): /.exec(body);
    return m ? `start-chat ${parsePhone(m[1])}` : undefined;
  };
  const watcher = new SyncWatcher(client, pick, arrivals);
  await watcher.start();
  try {
    return await runFlow(
      { label: 'start-chat', messages: count, window, body: (i) => `start-chat +49151${20_000_000 + from + i}`, stallMs: 120_000 },
      arrivals,
      (body) => client.sendText(managementRoom, body),
    );
  } finally {
    await watcher.stop();
  }
}

/**
 * Creates `total` portals in four steps, reading the bridge's memory after each. `duringFirst`
 * runs alongside the first step (a latency probe of other traffic while commands run).
 */
export async function portalPhase<T>(
  env: BridgedEnv, client: MatrixClient, managementRoom: string, total: number, window: number, duringFirst?: () => Promise<T>,
): Promise<{ checkpoints: PortalCheckpoint[]; probe?: T }> {
  const checkpoints: PortalCheckpoint[] = [];
  let probe: T | undefined;
  let done = 0;
  for (const quarter of [1, 2, 3, 4]) {
    const upTo = Math.round((total * quarter) / 4);
    if (upTo === done) continue;
    const cpu0 = { bridge: cpuSecondsOf(env.bridgePid), synapse: cpuSecondsOf(env.synapsePid) };
    const step = startChats(env, client, managementRoom, done, upTo - done, window);
    let run: Summary;
    if (quarter === 1 && duringFirst) [run, probe] = await Promise.all([step, duringFirst()]);
    else run = await step;
    done = upTo;
    const perPortal = (now: number, before: number) => ((now - before) * 1000) / run.count;
    const cpuMsPerPortal = { bridge: perPortal(cpuSecondsOf(env.bridgePid), cpu0.bridge), synapse: perPortal(cpuSecondsOf(env.synapsePid), cpu0.synapse) };
    const portals = portalsWithRooms(env);
    const mem = memoryOf(env.bridgePid);
    checkpoints.push({ portals, ...mem, run, cpuMsPerPortal });
    console.log(`  ${portals} portals: bridge RSS ${mem.rssMb.toFixed(1)} MB (peak ${mem.peakMb.toFixed(1)} MB), ` +
      `${run.perSecond.toFixed(2)} portals/s, command → reply p50 ${run.p50Ms.toFixed(0)} ms, ` +
      `CPU per portal: bridge ${cpuMsPerPortal.bridge.toFixed(0)} ms, Synapse ${cpuMsPerPortal.synapse.toFixed(0)} ms`);
  }
  return { checkpoints, probe };
}
