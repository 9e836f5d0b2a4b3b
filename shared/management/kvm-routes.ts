// Key value maps on Apigee Edge paths, at organization, environment and API
// proxy scope, plus SAP API Management's KeyMapEntries payload. Values of
// encrypted maps are never returned: they read back as `*****`.
import * as z from 'zod';
import type { PlatformRouter, Principal } from '../auth/principal.js';
import { booleanLike } from '../http/apigee-values.js';
import { jsonBody } from '../http/body.js';
import { badRequest, unprocessable } from '../http/errors.js';
import type { HttpRequest } from '../http/request.js';
import { created, ok } from '../http/response.js';
import type { Runtime } from '../runtime.js';
import { assertEnvironment } from '../gateway/stores/deployments.js';
import {
  createMap,
  deleteEntry,
  deleteMap,
  findMap,
  getEntry,
  listEntries,
  listMaps,
  putEntry,
  visibleValue,
  type KvmItem,
  type KvmScope,
} from '../gateway/stores/kvm.js';

const MAP_NAME = /^[A-Za-z0-9._-]{1,255}$/;
// Any printable text up to 2 KB (control characters would corrupt logs and exports).
const KEY_NAME = /^\P{Cc}{1,2048}$/u;

const EntrySchema = z.lazy(() => z.object({ name: z.string().regex(KEY_NAME, 'must be 1-2048 printable characters'), value: z.string().max(10_000) }));
const MapSchema = z.lazy(() => z.object({
  name: z.string().regex(MAP_NAME, 'must be 1-255 letters, digits, . _ -'),
  /** `true` or `"true"`, as Apigee's clients send it. */
  encrypted: booleanLike.default(false),
  entry: z.array(EntrySchema).max(1000).default([]),
}));

/** Apigee's whole-map update: the map's entries to write (others stay); `name` and `encrypted`, if given, must be the map's. */
const MapUpdateSchema = z.lazy(() => z.object({
  name: MapSchema.unwrap().shape.name.optional(),
  encrypted: booleanLike.optional(),
  entry: z.array(EntrySchema).max(1000).default([]),
}));

const EntryUpdateSchema = z.lazy(() => EntrySchema.unwrap().partial({ name: true }));

const ORG = '/v1/organizations/:org';

const scopes: { prefix: string; scope: (params: Record<string, string>) => KvmScope; label: string; id: string }[] = [
  { prefix: `${ORG}/keyvaluemaps`, scope: () => ({ kind: 'organization' }), label: 'organization', id: 'Organization' },
  { prefix: `${ORG}/environments/:env/keyvaluemaps`, scope: (p) => ({ kind: 'environment', environment: p.env! }), label: 'environment', id: 'Environment' },
  { prefix: `${ORG}/apis/:api/keyvaluemaps`, scope: (p) => ({ kind: 'apiproxy', api: p.api! }), label: 'API proxy', id: 'ApiProxy' },
];

async function context(rt: Runtime, request: HttpRequest, { organization }: Principal, scopeOf: (params: Record<string, string>) => KvmScope) {
  const scope = scopeOf(request.params);
  if (scope.kind === 'environment') await assertEnvironment(rt, organization, scope.environment);
  return { organization, scope };
}

async function mapView(rt: Runtime, org: string, scope: KvmScope, kvm: KvmItem) {
  const { entries } = await listEntries(rt, org, scope, kvm.name, { limit: 1000 });
  return { name: kvm.name, encrypted: kvm.encrypted, entry: entries.map((entry) => ({ name: entry.name, value: visibleValue(kvm, entry) })) };
}

export function registerKvmRoutes(router: PlatformRouter): void {
  for (const { prefix, scope: scopeOf, label, id } of scopes) {
    const at = ` (${label} scope)`;
    router.get(
      prefix,
      { operationId: `list${id}KeyValueMaps`, summary: `List key value maps${at}`, query: { expand: { description: '`true` for the maps with their entries instead of names.', enum: ['true', 'false'] } } },
      async (request, rt, principal) => {
        const { organization, scope } = await context(rt, request, principal, scopeOf);
        const maps = await listMaps(rt, organization, scope);
        if (request.query.get('expand') !== 'true') return ok(maps.map((kvm) => kvm.name));
        return ok(await Promise.all(maps.map((kvm) => mapView(rt, organization, scope, kvm))));
      },
    );

    router.post(prefix, { operationId: `create${id}KeyValueMap`, summary: `Create a key value map${at}`, description: 'With `encrypted: true` values are encrypted at rest and read back as `*****`.', body: MapSchema, responses: { 201: 'The map.' } }, async (request, rt, principal) => {
      const { organization, scope } = await context(rt, request, principal, scopeOf);
      const input = jsonBody(request, MapSchema);
      const kvm = await createMap(rt, organization, scope, input.name, input.encrypted);
      for (const entry of input.entry) await putEntry(rt, organization, scope, input.name, entry.name, entry.value, 'upsert');
      return created(await mapView(rt, organization, scope, kvm));
    });

    router.get(`${prefix}/:map`, { operationId: `get${id}KeyValueMap`, summary: `Get a key value map with its entries${at}` }, async (request, rt, principal) => {
      const { organization, scope } = await context(rt, request, principal, scopeOf);
      const { kvm } = await listEntries(rt, organization, scope, request.params.map!, { limit: 1 });
      return ok(await mapView(rt, organization, scope, kvm));
    });

    const updateMapDoc = {
      summary: `Update a key value map's entries${at}`,
      description: 'Apigee\'s whole-map update: each entry of `entry` is created or replaced; entries not named stay. `name` and `encrypted` may be given but not changed.',
      body: MapUpdateSchema,
    };
    const updateMap = async (request: HttpRequest, rt: Runtime, principal: Principal) => {
      const { organization, scope } = await context(rt, request, principal, scopeOf);
      const input = jsonBody(request, MapUpdateSchema);
      const { kvm } = await listEntries(rt, organization, scope, request.params.map!, { limit: 1 });
      if (input.name !== undefined && input.name !== kvm.name) throw unprocessable('The name in the body differs from the path', [{ path: 'name', message: `must be ${kvm.name}` }]);
      if (input.encrypted !== undefined && input.encrypted !== kvm.encrypted) {
        throw unprocessable('A map\'s encryption is set when it is created', [{ path: 'encrypted', message: `must be ${String(kvm.encrypted)}` }]);
      }
      for (const entry of input.entry) await putEntry(rt, organization, scope, kvm.name, entry.name, entry.value, 'upsert');
      return ok(await mapView(rt, organization, scope, kvm));
    };
    router.post(`${prefix}/:map`, { ...updateMapDoc, operationId: `update${id}KeyValueMap` }, updateMap);
    router.put(`${prefix}/:map`, { ...updateMapDoc, operationId: `replace${id}KeyValueMap` }, updateMap);

    router.get(
      `${prefix}/:map/keys`,
      { operationId: `list${id}KeyValueMapKeys`, summary: `List the keys of a key value map${at}`, query: { count: { description: 'Keys per page, 1-1000 (default 100).' }, startkey: { description: 'Start at this key (inclusive).' } } },
      async (request, rt, principal) => {
        const { organization, scope } = await context(rt, request, principal, scopeOf);
        const count = Math.min(Math.max(Number(request.query.get('count') ?? 100) || 100, 1), 1000);
        const startKey = request.query.get('startkey') ?? request.query.get('startKey');
        const names: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await listEntries(rt, organization, scope, request.params.map!, { limit: 1000, ...(cursor ? { cursor } : {}) });
          for (const entry of page.entries) if (startKey === null || entry.name >= startKey) names.push(entry.name);
          cursor = page.next;
        } while (cursor && names.length < count);
        return ok(names.slice(0, count));
      },
    );

    router.delete(`${prefix}/:map`, { operationId: `delete${id}KeyValueMap`, summary: `Delete a key value map${at}` }, async (request, rt, principal) => {
      const { organization, scope } = await context(rt, request, principal, scopeOf);
      await deleteMap(rt, organization, scope, request.params.map!);
      return ok({ name: request.params.map });
    });

    router.get(`${prefix}/:map/entries`, { operationId: `list${id}KeyValueMapEntries`, summary: `List entries${at}`, query: { pageSize: { description: 'Entries per page, 1-1000 (default 100).' }, pageToken: { description: 'The `nextPageToken` of the previous page.' } } }, async (request, rt, principal) => {
      const { organization, scope } = await context(rt, request, principal, scopeOf);
      const pageSize = Math.min(Math.max(Number(request.query.get('pageSize') ?? 100) || 100, 1), 1000);
      const page = await listEntries(rt, organization, scope, request.params.map!, {
        limit: pageSize,
        cursor: request.query.get('pageToken') ?? undefined,
      });
      return ok({
        keyValueEntries: page.entries.map((entry) => ({ name: entry.name, value: visibleValue(page.kvm, entry) })),
        nextPageToken: page.next ?? '',
      });
    });

    router.post(`${prefix}/:map/entries`, { operationId: `create${id}KeyValueMapEntry`, summary: `Create an entry${at}`, description: '409 if the entry exists.', body: EntrySchema, responses: { 201: 'The entry.' } }, async (request, rt, principal) => {
      const { organization, scope } = await context(rt, request, principal, scopeOf);
      const input = jsonBody(request, EntrySchema);
      const entry = await putEntry(rt, organization, scope, request.params.map!, input.name, input.value, 'create');
      const kvm = (await findMap(rt, organization, scope, request.params.map!))!;
      return created({ name: entry.name, value: visibleValue(kvm, entry) });
    });

    router.get(`${prefix}/:map/entries/:key`, { operationId: `get${id}KeyValueMapEntry`, summary: `Get an entry${at}` }, async (request, rt, principal) => {
      const { organization, scope } = await context(rt, request, principal, scopeOf);
      const { kvm, entry } = await getEntry(rt, organization, scope, request.params.map!, request.params.key!);
      return ok({ name: entry.name, value: visibleValue(kvm, entry) });
    });

    const updateDoc = { summary: `Update an entry${at}`, description: '404 if the entry does not exist.', body: EntryUpdateSchema };
    const update = async (request: HttpRequest, rt: Runtime, principal: Principal) => {
      const { organization, scope } = await context(rt, request, principal, scopeOf);
      const input = jsonBody(request, EntryUpdateSchema);
      if (input.name !== undefined && input.name !== request.params.key) throw badRequest('Entry name in the body differs from the path');
      const entry = await putEntry(rt, organization, scope, request.params.map!, request.params.key!, input.value, 'update');
      const kvm = (await findMap(rt, organization, scope, request.params.map!))!;
      return ok({ name: entry.name, value: visibleValue(kvm, entry) });
    };
    router.post(`${prefix}/:map/entries/:key`, { ...updateDoc, operationId: `update${id}KeyValueMapEntry` }, update);
    router.put(`${prefix}/:map/entries/:key`, { ...updateDoc, operationId: `replace${id}KeyValueMapEntry` }, update);

    router.delete(`${prefix}/:map/entries/:key`, { operationId: `delete${id}KeyValueMapEntry`, summary: `Delete an entry${at}` }, async (request, rt, principal) => {
      const { organization, scope } = await context(rt, request, principal, scopeOf);
      const { kvm } = await getEntry(rt, organization, scope, request.params.map!, request.params.key!);
      const entry = await deleteEntry(rt, organization, scope, request.params.map!, request.params.key!);
      return ok({ name: entry.name, value: visibleValue(kvm, entry) });
    });
  }

  // SAP API Management: one call creates the map (if needed) and writes its entries.
  const SapValue = z.object({
    name: z.string().regex(KEY_NAME),
    value: z.string().max(10_000),
    map_name: z.string().optional(),
    mapName: z.string().optional(),
  });
  const SapPayload = z
    .object({
      name: z.string().regex(MAP_NAME),
      scope: z.enum(['APIPROXY', 'ENV', 'ENVIRONMENT', 'ORG', 'ORGANIZATION']).default('ENV'),
      scopeId: z.string().min(1).optional(),
      isEncrypted: z.union([z.boolean(), z.enum(['true', 'false'])]).default(false),
      keyMapEntryValues: z.array(SapValue).optional(),
      genericKeyMapEntryValues: z.array(SapValue).optional(),
    })
    .refine((p) => p.scope.startsWith('ORG') || p.scopeId, { message: 'scopeId is required for APIPROXY and ENV scope', path: ['scopeId'] });

  const SAP_DOC = {
    operationId: 'createSapKeyMapEntries',
    summary: 'Create a key value map and its entries (SAP API Management payload)',
    description: 'Creates the map if needed and writes every entry (`keyMapEntryValues` and `genericKeyMapEntryValues`).',
    body: SapPayload,
    responses: { 201: 'The map with its entries (encrypted values masked).' },
  };
  router.post('/apiportal/api/1.0/Management.svc/KeyMapEntries', SAP_DOC, async (request, rt, { organization }) => {
    const input = jsonBody(request, SapPayload);
    const values = [...(input.keyMapEntryValues ?? []), ...(input.genericKeyMapEntryValues ?? [])];
    values.forEach((value, i) => {
      const named = value.map_name ?? value.mapName;
      if (named !== undefined && named !== input.name) {
        throw unprocessable(`Entry ${value.name} names map ${named}, not ${input.name}`, [
          { path: `keyMapEntryValues.${i}.map_name`, message: `must be ${input.name}` },
        ]);
      }
    });
    const scope: KvmScope =
      input.scope === 'APIPROXY'
        ? { kind: 'apiproxy', api: input.scopeId! }
        : input.scope.startsWith('ENV')
          ? { kind: 'environment', environment: input.scopeId! }
          : { kind: 'organization' };
    if (scope.kind === 'environment') await assertEnvironment(rt, organization, scope.environment);
    const encrypted = input.isEncrypted === true || input.isEncrypted === 'true';
    let kvm = await findMap(rt, organization, scope, input.name);
    if (!kvm) kvm = await createMap(rt, organization, scope, input.name, encrypted);
    for (const value of values) await putEntry(rt, organization, scope, input.name, value.name, value.value, 'upsert');
    const view = await mapView(rt, organization, scope, kvm);
    return created({
      name: view.name,
      scope: input.scope,
      scopeId: input.scopeId,
      isEncrypted: view.encrypted,
      keyMapEntryValues: view.entry.map((entry) => ({ name: entry.name, map_name: view.name, value: entry.value })),
    });
  });
}
