/**
 * SQLite implementations of the sender-key store (libsignal's SenderKeyStore; records sealed at
 * rest like sessions) and of the per-group key state (migrations.ts, version 3).
 */
import { ProtocolAddress, SenderKeyRecord, SenderKeyStore } from '@signalapp/libsignal-client';
import type Database from 'better-sqlite3';
import { prepared } from '../../sqlite/prepared';
import type { SecretBox } from './secret-box';
import { ownBytes, type WriteGate } from './sqlite-identity-store';
import type { GroupKeyStateStore, InteropSenderKeyStore, MemberDevice } from './stores';

export class SqliteSenderKeyStore extends SenderKeyStore implements InteropSenderKeyStore {
  constructor(
    private readonly db: Database.Database,
    private readonly account: string,
    private readonly box: SecretBox,
    private readonly gate: WriteGate,
  ) {
    super();
  }

  async saveSenderKey(sender: ProtocolAddress, distributionId: string, record: SenderKeyRecord): Promise<void> {
    const sealed = this.box.seal(record.serialize());
    this.gate.write(() => prepared(this.db,
      `INSERT INTO signal_sender_keys (account, name, device_id, distribution_id, record_sealed, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (account, name, device_id, distribution_id) DO UPDATE SET record_sealed = excluded.record_sealed, updated_at = excluded.updated_at`,
    ).run(this.account, sender.name(), sender.deviceId(), distributionId, sealed, Date.now()));
  }

  async getSenderKey(sender: ProtocolAddress, distributionId: string): Promise<SenderKeyRecord | null> {
    const row = prepared(this.db,
      'SELECT record_sealed FROM signal_sender_keys WHERE account = ? AND name = ? AND device_id = ? AND distribution_id = ?',
    ).get(this.account, sender.name(), sender.deviceId(), distributionId) as { record_sealed: Buffer } | undefined;
    return row ? SenderKeyRecord.deserialize(ownBytes(this.box.open(row.record_sealed))) : null;
  }
}

export class SqliteGroupKeyStateStore implements GroupKeyStateStore {
  constructor(
    private readonly db: Database.Database,
    private readonly account: string,
    private readonly gate: WriteGate,
  ) {}

  async sending(groupId: string): Promise<{ distributionId: string; holders: MemberDevice[] } | undefined> {
    const row = prepared(this.db, 'SELECT distribution_id FROM signal_group_sending WHERE account = ? AND group_id = ?')
      .get(this.account, groupId) as { distribution_id: string } | undefined;
    if (!row) return undefined;
    const holders = prepared(this.db,
      'SELECT name, device_id FROM signal_group_key_holders WHERE account = ? AND group_id = ? AND distribution_id = ? ORDER BY name, device_id',
    ).all(this.account, groupId, row.distribution_id) as Array<{ name: string; device_id: number }>;
    return { distributionId: row.distribution_id, holders: holders.map((h) => ({ phone: h.name, deviceId: h.device_id })) };
  }

  async startSending(groupId: string, distributionId: string): Promise<void> {
    await this.stopSending(groupId);
    prepared(this.db, 'INSERT INTO signal_group_sending (account, group_id, distribution_id, created_at) VALUES (?, ?, ?, ?)')
      .run(this.account, groupId, distributionId, Date.now());
  }

  async addHolders(groupId: string, distributionId: string, devices: readonly MemberDevice[]): Promise<void> {
    this.gate.begin();
    const insert = prepared(this.db,
      'INSERT OR IGNORE INTO signal_group_key_holders (account, group_id, distribution_id, name, device_id) VALUES (?, ?, ?, ?, ?)',
    );
    for (const d of devices) insert.run(this.account, groupId, distributionId, d.phone, d.deviceId);
  }

  async stopSending(groupId: string): Promise<void> {
    this.gate.begin();
    prepared(this.db, 'DELETE FROM signal_group_sending WHERE account = ? AND group_id = ?').run(this.account, groupId);
    prepared(this.db, 'DELETE FROM signal_group_key_holders WHERE account = ? AND group_id = ?').run(this.account, groupId);
  }

  async bindSender(groupId: string, sender: MemberDevice, distributionId: string): Promise<void> {
    this.gate.begin();
    prepared(this.db,
      `INSERT INTO signal_group_senders (account, group_id, name, device_id, distribution_id) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (account, group_id, name, device_id) DO UPDATE SET distribution_id = excluded.distribution_id`,
    ).run(this.account, groupId, sender.phone, sender.deviceId, distributionId);
  }

  async senderDistribution(groupId: string, sender: MemberDevice): Promise<string | undefined> {
    const row = prepared(this.db,
      'SELECT distribution_id FROM signal_group_senders WHERE account = ? AND group_id = ? AND name = ? AND device_id = ?',
    ).get(this.account, groupId, sender.phone, sender.deviceId) as { distribution_id: string } | undefined;
    return row?.distribution_id;
  }

  async forgetGroup(groupId: string): Promise<void> {
    await this.stopSending(groupId);
    prepared(this.db, 'DELETE FROM signal_group_senders WHERE account = ? AND group_id = ?').run(this.account, groupId);
  }
}
