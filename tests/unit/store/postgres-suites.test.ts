/**
 * The shared store suites, the very cases SQLite runs (./sqlite-store.test.ts), against the
 * PostgreSQL store: each case on a fresh schema of one database made for this file.
 */
import { after, before } from 'node:test';
import { PostgresBridgeStore } from '../../../src/store/postgres/postgres-store';
import { createTestDatabase, freshSchema, type TestDatabase } from '../../helpers/postgres-database';
import { bridgeStoreSuite } from './bridge-store-suite';
import { chatStoreSuite } from './chat-store-suite';
import { providerStoreSuite } from './provider-store-suite';
import { requestStoreSuite } from './request-store-suite';
import type { OpenStore } from './with-store';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(async () => {
  await db?.drop();
});

const open: OpenStore = async () => PostgresBridgeStore.open({ url: await freshSchema(db), poolSize: 4 });
bridgeStoreSuite('postgres', open);
chatStoreSuite('postgres', open);
requestStoreSuite('postgres', open);
providerStoreSuite('postgres', open);
