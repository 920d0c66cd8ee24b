/** Opaque media blobs (encrypted by the sender; the gateway never has their keys). */
import type { Db } from './database';

export interface MediaRow {
  mediaId: string;
  size: number;
  digest: string;
  data: Buffer;
}

export class MediaStore {
  private readonly putStmt;
  private readonly getStmt;
  private readonly existsStmt;

  constructor(db: Db) {
    this.putStmt = db.prepare<[string, string, number, string, Buffer, number]>(
      'INSERT INTO media (media_id, provider, size, digest, data, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.getStmt = db.prepare<[string], MediaRow>('SELECT media_id AS mediaId, size, digest, data FROM media WHERE media_id = ?');
    this.existsStmt = db.prepare<[string], { one: number }>('SELECT 1 AS one FROM media WHERE media_id = ?');
  }

  put(mediaId: string, provider: string, digest: string, data: Buffer, now: number): void {
    this.putStmt.run(mediaId, provider, data.length, digest, data, now);
  }

  get(mediaId: string): MediaRow | undefined {
    return this.getStmt.get(mediaId);
  }

  exists(mediaId: string): boolean {
    return this.existsStmt.get(mediaId) !== undefined;
  }
}
