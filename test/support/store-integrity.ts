// "Nothing half-written", checked on the whole table: every item that refers
// to another (a consumer-key marker to its credential and app, an app name to
// its app, a runtime route to its deployment and revision, an API proxy to its
// revisions, a key value map entry to its map) finds it, and no lease or lock
// outlives the operation that took it.
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { StoredItem, Table } from '../../shared/store/table.js';

export async function scanAll(table: Table): Promise<StoredItem[]> {
  const items: StoredItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await table.doc.send(new ScanCommand({ TableName: table.name, ConsistentRead: true, ExclusiveStartKey: start }));
    items.push(...((page.Items ?? []) as StoredItem[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Every broken reference in the table, described; empty when the store is consistent. */
export async function storeProblems(table: Table): Promise<string[]> {
  const nowSeconds = Math.floor(Date.now() / 1000);
  const items = (await scanAll(table)).filter((item) => typeof item.expiresAt !== 'number' || item.expiresAt > nowSeconds);
  const byKey = new Map(items.map((item) => [`${item.pk}|${item.sk}`, item]));
  const has = (pk: string, sk: string) => byKey.has(`${pk}|${sk}`);
  const problems: string[] = [];
  for (const item of items) {
    const { pk, sk } = item;
    const where = `${pk} ${sk}`;
    if (pk.startsWith('APIKEY#')) {
      const fingerprint = pk.slice('APIKEY#'.length);
      const org = `ORG#${String(item.organization)}`;
      if (!has(org, `APP#${String(item.appId)}`)) problems.push(`${where}: consumer-key marker without its app`);
      if (!has(org, `CRED#${String(item.appId)}#${fingerprint}`)) problems.push(`${where}: consumer-key marker without its credential`);
    } else if (sk.startsWith('CRED#')) {
      const [, appId, fingerprint] = sk.split('#');
      if (!has(pk, `APP#${appId}`)) problems.push(`${where}: credential without its app`);
      if (!has(`APIKEY#${fingerprint}`, `ORG#${String(item.organization)}`) && byKey.get(`APIKEY#${fingerprint}|#APIKEY`)?.organization !== item.organization) {
        problems.push(`${where}: credential without its consumer-key marker`);
      }
    } else if (sk.startsWith('DEVAPP#')) {
      if (!has(pk, `APP#${String(item.appId)}`)) problems.push(`${where}: app name without its app`);
    } else if (sk.startsWith('APP#')) {
      if (!has(pk, `DEVAPP#${String(item.developerId)}#${String(item.name)}`)) problems.push(`${where}: app without its name record`);
    } else if (pk.startsWith('RUNTIME#')) {
      const org = `ORG#${String(item.organization)}`;
      const deployment = byKey.get(`${org}|DEPLOY#${String(item.environment)}#${String(item.api)}`);
      if (!deployment) problems.push(`${where}: route without a deployment`);
      else if (deployment.revision !== item.revision) {
        problems.push(`${where}: route serves revision ${String(item.revision)}, the deployment says ${String(deployment.revision)}`);
      }
      if (!has(org, `APIREV#${String(item.api)}#${String(item.revision).padStart(6, '0')}`)) problems.push(`${where}: route to a missing revision`);
    } else if (sk.startsWith('DEPLOY#')) {
      for (const basePath of (item.basePaths as string[]) ?? []) {
        const route = byKey.get(`RUNTIME#${String(item.environment)}|BASEPATH#${basePath}`);
        if (!route || route.api !== item.api || `ORG#${String(route.organization)}` !== pk) {
          problems.push(`${where}: deployed base path ${basePath} is not routed to it`);
        }
      }
    } else if (sk.startsWith('API#')) {
      for (const revision of (item.revisions as number[]) ?? []) {
        if (!has(pk, `APIREV#${String(item.name)}#${String(revision).padStart(6, '0')}`)) problems.push(`${where}: lists revision ${revision}, which is not stored`);
      }
    } else if (sk.startsWith('KVMENTRY#')) {
      const [, scope, map] = sk.split('#');
      if (!has(pk, `KVM#${scope}#${map}`)) problems.push(`${where}: entry without its key value map`);
    } else if (sk.endsWith('#LEASE')) {
      if (typeof item.leaseUntil === 'number' && item.leaseUntil > Date.now()) problems.push(`${where}: a refresh lease is still held`);
    } else if (sk === 'LOCK#jwt-keys') {
      problems.push(`${where}: the signing-key lock is still held`);
    }
  }
  return problems;
}
