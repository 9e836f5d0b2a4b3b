// An in-memory dynalite with the Tollgate table, for store-level tests.
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { ensureTable } from '../../shared/store/schema.js';
import { createDocumentClient, Table } from '../../shared/store/table.js';

export async function startTable(): Promise<{ table: Table; endpoint: string; close(): Promise<void> }> {
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const admin = new DynamoDBClient({ region: 'local', endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await ensureTable(admin, 'test');
  admin.destroy();
  const doc = createDocumentClient({ tableName: 'test', region: 'local', endpoint });
  return {
    table: new Table(doc, 'test'),
    endpoint,
    async close() {
      doc.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
