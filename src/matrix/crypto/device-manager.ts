/**
 * A device per speaking user: the bot and every ghost that speaks in an encrypted room gets a
 * device of its own (created lazily with MSC4190's PUT /devices as the appservice), an
 * OlmMachine over its own durable store, keys uploaded and cross-signing bootstrapped on first
 * use. A machine costs memory, so at most `maxOpen` stay open: the least recently used idle one
 * is closed (its journal compacted) and reopened from disk on its next use.
 */
import { randomBytes } from 'node:crypto';
import * as wasm from '@matrix-org/matrix-sdk-crypto-wasm';
import type { AppserviceHttp } from './appservice-http';
import { BridgedDevice } from './bridged-device';
import { DeviceRecords } from './device-records';
import { DurableIdb } from './durable-idb';
import type { CryptoStoreFile } from './journal-file';
import type { TransactionCrypto } from './transaction-crypto';
import { loadCryptoWasm } from './wasm';

export interface DeviceManagerOptions {
  store: CryptoStoreFile;
  http: AppserviceHttp;
  /** Machines kept open at most; idle ones beyond it are closed. At least 1. */
  maxOpen: number;
  /** Device display name; says the device is the bridge's, for the people who see it in their device lists. */
  displayName?: string;
  /**
   * A machine that stays busy is never closed by the cap, so its journal would only grow: once
   * it has written this many rows since its last compaction, it is closed when next idle
   * (compacting the journal) and reopened on its next use. Default 2000.
   */
  compactAfterRows?: number;
}

export const DEFAULT_DEVICE_DISPLAY_NAME = 'Bridged by matrix-interop-bridge';

interface Entry {
  ready: Promise<BridgedDevice>;
  users: number;
  lastUsed: number;
  /** Calls of withDevice running on this entry, so a shutdown can wait for them. */
  running: Set<Promise<unknown>>;
}

/** A device ID that says whose it is when an admin lists devices: BRIDGE + 10 random characters. */
function newDeviceId(): string {
  return `BRIDGE${randomBytes(8).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, 10).toUpperCase()}`;
}

export class DeviceManager {
  private readonly records: DeviceRecords;
  private readonly open = new Map<string, Entry>();
  /** Closings in progress per user: a reopen waits for the close so one store never has two machines. */
  private readonly closing = new Map<string, Promise<void>>();
  private clock = 0;
  private shutDown = false;

  constructor(private readonly options: DeviceManagerOptions) {
    if (!Number.isInteger(options.maxOpen) || options.maxOpen < 1) throw new Error('crypto: maxOpen must be a whole number of at least 1');
    this.records = new DeviceRecords(options.store.db, options.store.box);
  }

  /** Whether `userId` has a device on the homeserver already (one that can have received room keys). */
  hasDevice(userId: string): boolean {
    return this.records.get(userId)?.createdOnServer === true;
  }

  /** How many machines are open now (for metrics and tests). */
  get openCount(): number {
    return this.open.size;
  }

  /**
   * Runs `fn` with the user's device, creating and setting it up on first use. The device
   * stays open (and is not closed under `fn`) until `fn` settles. A crypto store that failed to
   * write makes the call fail, because `fn` may have acted on state that is not on disk.
   */
  async withDevice<T>(userId: string, fn: (device: BridgedDevice) => Promise<T>): Promise<T> {
    if (this.shutDown) throw new Error('crypto: the device manager is closed');
    const entry = this.entryFor(userId);
    entry.users++;
    entry.lastUsed = ++this.clock;
    const run = (async () => {
      const device = await entry.ready;
      // a device whose journal broke under an earlier call is closed once idle; until then, refuse it
      if (device.idb.failure) throw device.idb.failure;
      const result = await fn(device);
      const failure = device.idb.failure;
      if (failure) throw failure;
      return result;
    })();
    entry.running.add(run);
    try {
      return await run;
    } finally {
      entry.running.delete(run);
      entry.users--;
      entry.lastUsed = ++this.clock;
      await this.trim(userId);
    }
  }

  /**
   * Hands a transaction's crypto data to the devices it is for (opening closed ones: their
   * to-device messages carry room keys and must not wait) and its device list changes to every
   * open machine; a closed machine re-queries its tracked users when it reopens instead. Data
   * for a device the bridge does not have (unknown user, or an older device ID) is counted,
   * not acted on. Throws if a device failed, so the transaction is answered with an error and
   * retried.
   */
  async receiveTransaction(crypto: TransactionCrypto): Promise<{ delivered: number; unknownDevices: number }> {
    const lists = { changed: crypto.changed, left: crypto.left };
    let delivered = 0;
    let unknownDevices = 0;
    const fed = new Set<string>();
    for (const data of crypto.devices) {
      if (this.records.get(data.userId)?.deviceId !== data.deviceId) {
        unknownDevices++;
        continue;
      }
      await this.withDevice(data.userId, (device) => device.receive(data, lists));
      fed.add(data.userId);
      delivered++;
    }
    if (lists.changed.length + lists.left.length > 0) {
      for (const userId of [...this.open.keys()].filter((u) => !fed.has(u))) {
        await this.withDevice(userId, (device) => device.receive({ toDevice: [] }, lists));
      }
    }
    return { delivered, unknownDevices };
  }

  /** Closes every machine not in use now (memory pressure, tests); they reopen on their next use. */
  async closeIdle(): Promise<void> {
    const idle = [...this.open.entries()].filter(([, entry]) => entry.users === 0).map(([userId]) => userId);
    await Promise.all(idle.map((userId) => this.closeOne(userId)));
  }

  /** Orderly shutdown: refuses new calls, lets running ones finish, then closes every machine. */
  async closeAll(): Promise<void> {
    this.shutDown = true;
    await Promise.allSettled([...this.open.values()].flatMap((entry) => [...entry.running]));
    await Promise.all([...this.open.keys()].map((userId) => this.closeOne(userId)));
    await Promise.all(this.closing.values());
  }

  private entryFor(userId: string): Entry {
    let entry = this.open.get(userId);
    if (!entry) {
      const ready = this.openDevice(userId);
      entry = { ready, users: 0, lastUsed: ++this.clock, running: new Set() };
      this.open.set(userId, entry);
      // a failed opening is forgotten so the next call starts over
      ready.catch(() => {
        if (this.open.get(userId) === entry) this.open.delete(userId);
      });
    }
    return entry;
  }

  private async openDevice(userId: string): Promise<BridgedDevice> {
    await this.closing.get(userId);
    const wasmModule = await loadCryptoWasm();
    const record = this.records.get(userId) ?? this.records.intend(userId, newDeviceId());
    if (!record.createdOnServer) {
      // PUT is idempotent: after a crash between this call and the mark, the retry finds the device
      await this.options.http.request('PUT', `/_matrix/client/v3/devices/${encodeURIComponent(record.deviceId)}`, { userId },
        JSON.stringify({ display_name: this.options.displayName ?? DEFAULT_DEVICE_DISPLAY_NAME }));
      this.records.markCreatedOnServer(userId);
    }
    const idb = await DurableIdb.open(this.options.store.journal(`${userId}|${record.deviceId}`));
    const machine = await idb.openWith(() =>
      wasmModule.OlmMachine.initialize(new wasm.UserId(userId), new wasm.DeviceId(record.deviceId), 'crypto'));
    const device = new BridgedDevice(userId, record.deviceId, machine, idb, this.options.http, this.records);
    try {
      // device list changes that came while the machine was closed never reached it
      await machine.markAllTrackedUsersAsDirty();
      await device.flushOutgoing();
      await device.ensureCrossSigned();
    } catch (error) {
      machine.close();
      await idb.close();
      throw error;
    }
    return device;
  }

  /** Closes least recently used idle machines while more than maxOpen are open. */
  private async trim(justUsed: string): Promise<void> {
    const entry = this.open.get(justUsed);
    if (entry && entry.users === 0) {
      const settled = await entry.ready.then((d) => d, () => undefined);
      const journalTooLong = (settled?.idb.uncompactedRows ?? 0) > (this.options.compactAfterRows ?? 2000);
      // checked again after the await: a call that started meanwhile keeps its machine
      const stillIdle = this.open.get(justUsed) === entry && entry.users === 0;
      if (stillIdle && (settled?.idb.failure || journalTooLong)) await this.closeOne(justUsed);
    }
    while (this.open.size > this.options.maxOpen) {
      const idle = [...this.open.entries()].filter(([, e]) => e.users === 0).sort((a, b) => a[1].lastUsed - b[1].lastUsed);
      if (idle.length === 0) return;
      await this.closeOne(idle[0][0]);
    }
  }

  private closeOne(userId: string): Promise<void> {
    const entry = this.open.get(userId);
    if (!entry) return this.closing.get(userId) ?? Promise.resolve();
    this.open.delete(userId);
    const done = entry.ready.then(
      async (device) => {
        device.machine.close();
        await device.idb.close();
      },
      () => undefined,
    ).finally(() => {
      if (this.closing.get(userId) === done) this.closing.delete(userId);
    });
    this.closing.set(userId, done);
    return done;
  }
}
