// Open Connectors' transformation scripts. After a transformation's field
// mappings, its script gets each record as Open Connectors documents it:
//
//   function (originalObject, transformedObject, fromVendor, done) { ... }
//
// in strict mode, with the CE helper library, and the object it passes to
// `done` (the v2 engine's way) or returns (the v1 engine's, `isLegacy`) is
// the record from then on; `transformedObject` is, as the script left it,
// when it gives nothing that is an object. `originalObject` is the
// record before this transformation's mappings (the vendor's on a response,
// the caller's on a request body); `fromVendor` says which way it goes.
//
// The script runs in the sandbox (script-run.ts), once per call and
// transformation for every record of the page. As Open Connectors does, a
// script that fails leaves the mapped records as they were, so that a broken
// script at one level does not break every call beneath it; the failure is
// logged.
import { logger } from '../../log.js';
import { isJsonObject, runConnectorScript } from '../script-run.js';

type Json = Record<string, unknown>;

/** CPU milliseconds one run (every record of a page) may use. */
export const SCRIPT_TIME_LIMIT_MS = 1000;

export interface ScriptedRecord {
  original: unknown;
  transformed: Json;
}

// On one line, so that the script's line numbers in errors are its own.
const PRELUDE =
  "'use strict'; const __input = JSON.parse(context.getVariable('script.input')); const __script = function (originalObject, transformedObject, fromVendor, done) { ";
const EPILOGUE = `
};
const __records = []; let __failure = null;
for (const __item of __input.items) {
  let __value, __called = false;
  const __done = (value) => { if (!__called) { __called = true; __value = value; } };
  try { const __returned = __script(__item.original, __item.transformed, __input.fromVendor, __done); if (!__called) __value = __returned; __records.push(__value !== null && typeof __value === 'object' && !Array.isArray(__value) ? __value : __item.transformed); }
  catch (error) { __records.push(null); if (__failure === null) __failure = String(error && error.message !== undefined ? error.message : error); }
}
context.setVariable('script.output', JSON.stringify({ records: __records, failure: __failure }));`;

/**
 * The records after the script: each the object it passed to `done` or
 * returned, else `transformedObject` as the script left it; the mapped one
 * where the script failed. `where` names the transformation in the log line
 * of a failure.
 */
export async function runTransformationScript(body: string, items: ScriptedRecord[], fromVendor: boolean, where: { organization: string; element: string; object: string }): Promise<Json[]> {
  if (items.length === 0) return [];
  const run = await runConnectorScript(`transformation-${where.object}.js`, `${PRELUDE}${body}${EPILOGUE}`, { items, fromVendor }, SCRIPT_TIME_LIMIT_MS);
  const mapped = items.map((item) => item.transformed);
  const failed = (message: string) => {
    logger.warn('transformation script failed; the mapped records are returned', { ...where, direction: fromVendor ? 'fromVendor' : 'toVendor', error: message.slice(0, 300) });
    return mapped;
  };
  if (!run.ok) return failed(run.message);
  const output = run.output as { records?: unknown[]; failure?: string | null } | null;
  if (!Array.isArray(output?.records) || output.records.length !== items.length) return failed('the script did not finish');
  if (typeof output.failure === 'string') failed(output.failure);
  return output.records.map((record, index) => (isJsonObject(record) ? record : mapped[index]!));
}
