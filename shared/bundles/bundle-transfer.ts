// The management API's bundle import (`POST .../apis?action=import&name=..`)
// and export (`GET .../apis/{api}/revisions/{rev}?format=bundle`). The proxy
// routes dispatch here; this module turns bytes into a revision and back.
import { badRequest, HttpError, payloadTooLarge, unprocessable, unsupportedMediaType } from '../http/errors.js';
import { mediaType, type HttpRequest } from '../http/request.js';
import type { HttpResponse } from '../http/response.js';
import { describeError, logger } from '../log.js';
import type { Runtime } from '../runtime.js';
import { createRevision, decodeModel, storable, type RevisionItem } from '../gateway/stores/apis.js';
import type { ProxyModel } from '../gateway/engine/model.js';
import { modelToBundle } from './export.js';
import { bundleToModel, type ImportProblem } from './import.js';
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

/** Reads, checks and (with `store`) stores an uploaded bundle as a new revision. */
export async function importBundle(rt: Runtime, organization: string, request: HttpRequest, options: { store: boolean }): Promise<ImportedBundle> {
  const bytes = bundleBytes(request);
  const name = request.query.get('name') ?? undefined;
  const allowUnsupported = request.query.get('allowUnsupported') === 'true';
  let files: Map<string, Uint8Array>;
  let result;
  try {
    files = readZip(bytes);
    result = bundleToModel(files, { ...(name === undefined ? {} : { name }), allowUnsupported });
  } catch (error) {
    if (error instanceof ZipError) {
      const code = error.status === 413 ? 'payload_too_large' : error.status === 400 ? 'malformed_bundle' : 'validation_failed';
      throw new HttpError(error.status, code, error.message, error.entry ? { fields: [{ path: error.entry, message: error.message }] } : {});
    }
    // Whatever a hostile file does to a parser, the answer is a refusal, not a crash.
    logger.warn('bundle could not be read', { error: describeError(error) });
    throw badRequest('The bundle could not be read', 'malformed_bundle');
  }
  if (!result.model) throw unprocessable(summarizeProblems(result.problems), result.problems);
  if (!options.store) {
    storable(result.model);
    return { model: result.model };
  }
  const revision = await createRevision(rt, organization, result.model, 'bundle');
  return { model: result.model, revision };
}

/** The revision as an Apigee bundle zip. */
export function bundleResponse(item: RevisionItem): HttpResponse {
  const zip = modelToBundle(decodeModel(item.model), item.revision);
  return {
    status: 200,
    headers: {
      'content-type': 'application/zip',
      'content-disposition': `attachment; filename="${item.api}_rev${item.revision}.zip"`,
      'cache-control': 'no-store',
    },
    body: zip,
  };
}
