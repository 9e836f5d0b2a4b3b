// The management API's bundle import (`POST .../apis?action=import&name=..`)
// and export (`GET .../apis/{api}/revisions/{rev}?format=bundle`). The proxy
// routes dispatch here; this module turns bytes into a revision and back.
import { badRequest, HttpError, payloadTooLarge, unprocessable, unsupportedMediaType } from '../http/errors.js';
import { mediaType, type HttpRequest } from '../http/request.js';
import type { HttpResponse } from '../http/response.js';
import { describeError, logger } from '../log.js';
import type { Runtime } from '../runtime.js';
import { createRevision, decodeModel, referenceProblems, storable, type RevisionItem } from '../gateway/stores/apis.js';
import type { ProxyModel, SharedFlowModel } from '../gateway/engine/model.js';
import { createSharedFlowRevision, decodeSharedFlow, encodeSharedFlow, type SharedFlowRevisionItem } from '../gateway/stores/shared-flows.js';
import { modelToBundle, sharedFlowToBundle } from './export.js';
import { bundleToModel, sharedFlowBundleToModel, type ImportProblem } from './import.js';
import { modelToSapBundle } from './sap.js';
import { multipartField } from './multipart.js';
import { BUNDLE_LIMITS, readZip, ZipError } from './zip.js';

const ZIP_TYPES = new Set(['application/octet-stream', 'application/zip', 'application/x-zip-compressed', 'application/x-zip']);

function bundleBytes(request: HttpRequest): Buffer {
  if (request.body.length > BUNDLE_LIMITS.maxZipBytes) throw payloadTooLarge(`Bundle exceeds ${BUNDLE_LIMITS.maxZipBytes} bytes`);
  const type = mediaType(request);
  let bytes: Buffer | undefined;
  if (ZIP_TYPES.has(type)) bytes = request.body;
  else if (type === 'multipart/form-data') {
    bytes = multipartField(request, 'file');
    if (!bytes) throw badRequest('multipart body has no "file" field', 'missing_file');
  } else {
    throw unsupportedMediaType('Content-Type must be application/octet-stream, application/zip or multipart/form-data (field "file")');
  }
  if (bytes.length === 0) throw badRequest('The bundle is empty; send the zip as the body', 'empty_bundle');
  return bytes;
}

function summarizeProblems(problems: ImportProblem[]): string {
  const shown = problems.slice(0, 5).map((problem) => `${problem.path}${problem.line ? ` (line ${problem.line})` : ''}: ${problem.message}`);
  const more = problems.length > shown.length ? `; and ${problems.length - shown.length} more` : '';
  return `Bundle has ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${shown.join('; ')}${more}`;
}

export interface ImportedBundle {
  model: ProxyModel;
  /** Absent when only validating. */
  revision?: RevisionItem;
}

/** A shared flow revision is one table item too. */
const MAX_STORED_SHARED_FLOW_BYTES = 350 * 1024;

/** The zip's files, or the refusal of a zip that cannot be read (limits, corruption, a hostile file). */
function readBundleFiles(bytes: Buffer): Map<string, Uint8Array> {
  try {
    return readZip(bytes);
  } catch (error) {
    if (error instanceof ZipError) {
      const code = error.status === 413 ? 'payload_too_large' : error.status === 400 ? 'malformed_bundle' : 'validation_failed';
      throw new HttpError(error.status, code, error.message, error.entry ? { fields: [{ path: error.entry, message: error.message }] } : {});
    }
    logger.warn('bundle could not be read', { error: describeError(error) });
    throw badRequest('The bundle could not be read', 'malformed_bundle');
  }
}

/** Whatever a hostile file does to a parser, the answer is a refusal, not a crash. */
function readSafely<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    logger.warn('bundle could not be read', { error: describeError(error) });
    throw badRequest('The bundle could not be read', 'malformed_bundle');
  }
}

/**
 * Reads, checks and (with `store`) stores an uploaded bundle (Apigee's
 * `apiproxy/` or SAP's `APIProxy/` layout) as a new revision. The answer lists
 * every problem at once: the bundle's own, and what needs the store (API
 * providers that do not exist, outbound addresses not allowed).
 */
export async function importBundle(rt: Runtime, organization: string, request: HttpRequest, options: { store: boolean }): Promise<ImportedBundle> {
  const bytes = bundleBytes(request);
  const name = request.query.get('name') ?? undefined;
  const allowUnsupported = request.query.get('allowUnsupported') === 'true';
  const files = readBundleFiles(bytes);
  const result = readSafely(() => bundleToModel(files, { ...(name === undefined ? {} : { name }), allowUnsupported }));
  const references = result.candidate ? (await referenceProblems(rt, organization, result.candidate)).map(result.locate!) : [];
  const problems = [...result.problems, ...references];
  if (!result.model || problems.length > 0) throw unprocessable(summarizeProblems(problems), problems);
  if (!options.store) {
    storable(result.model);
    return { model: result.model };
  }
  const revision = await createRevision(rt, organization, result.model, 'bundle');
  return { model: result.model, revision };
}

/** Reads, checks and (unless `validate=true`) stores an uploaded shared flow bundle (`sharedflowbundle/`) as a new revision. */
export async function importSharedFlowBundle(rt: Runtime, organization: string, request: HttpRequest): Promise<{ model: SharedFlowModel; revision?: SharedFlowRevisionItem }> {
  const files = readBundleFiles(bundleBytes(request));
  const name = request.query.get('name') ?? undefined;
  const result = readSafely(() => sharedFlowBundleToModel(files, { ...(name === undefined ? {} : { name }) }));
  if (!result.model) throw unprocessable(summarizeProblems(result.problems), result.problems);
  if (encodeSharedFlow(result.model).length > MAX_STORED_SHARED_FLOW_BYTES) {
    throw payloadTooLarge(`The bundle is too large to store as one revision (over ${MAX_STORED_SHARED_FLOW_BYTES} bytes compressed)`);
  }
  if (request.query.get('validate') === 'true') return { model: result.model };
  return { model: result.model, revision: await createSharedFlowRevision(rt, organization, result.model, 'bundle') };
}

function zipResponse(zip: Buffer, filename: string): HttpResponse {
  return { status: 200, headers: { 'content-type': 'application/zip', 'content-disposition': `attachment; filename="${filename}"`, 'cache-control': 'no-store' }, body: zip };
}

/** The revision as a bundle zip: Apigee's `apiproxy/` layout, or SAP API Management's `APIProxy/` with `layout=sap`. */
export function bundleResponse(item: RevisionItem, layout: 'apigee' | 'sap' = 'apigee'): HttpResponse {
  const model = decodeModel(item.model);
  const zip = layout === 'sap' ? modelToSapBundle(model) : modelToBundle(model, item.revision);
  return zipResponse(zip, `${item.api}_rev${item.revision}${layout === 'sap' ? '_sap' : ''}.zip`);
}

/** A shared flow revision as a `sharedflowbundle/` zip. */
export function sharedFlowBundleResponse(item: SharedFlowRevisionItem): HttpResponse {
  return zipResponse(sharedFlowToBundle(decodeSharedFlow(item.model), item.revision), `${item.name}_rev${item.revision}.zip`);
}
