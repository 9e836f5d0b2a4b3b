// The one field of a `multipart/form-data` body that matters for an upload,
// found without buffering copies of the rest.
import { badRequest } from '../http/errors.js';
import type { HttpRequest } from '../http/request.js';

/** The content of the form field `field`, or undefined if the body has no such field. */
export function multipartField(request: Pick<HttpRequest, 'headers' | 'body'>, field: string): Buffer | undefined {
  const type = request.headers['content-type'] ?? '';
  const boundary = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(type);
  if (!boundary) throw badRequest('multipart/form-data needs a boundary parameter', 'malformed_multipart');
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`, 'latin1');
  const next = Buffer.concat([Buffer.from('\r\n'), delimiter]);
  const body = request.body;
  let position = body.indexOf(delimiter);
  if (position === -1) throw badRequest('multipart body has no parts', 'malformed_multipart');
  for (;;) {
    position += delimiter.length;
    if (body[position] === 0x2d && body[position + 1] === 0x2d) return undefined; // closing delimiter
    if (body[position] !== 0x0d || body[position + 1] !== 0x0a) throw badRequest('multipart body is malformed', 'malformed_multipart');
    const headersEnd = body.indexOf('\r\n\r\n', position + 2);
    if (headersEnd === -1 || headersEnd - position > 16 * 1024) throw badRequest('multipart part headers are malformed', 'malformed_multipart');
    const headers = body.subarray(position + 2, headersEnd).toString('latin1');
    const contentStart = headersEnd + 4;
    const end = body.indexOf(next, contentStart);
    if (end === -1) throw badRequest('multipart part is not terminated', 'malformed_multipart');
    const disposition = /^content-disposition:[^\r\n]*?;\s*name="([^"]*)"/im.exec(headers);
    if (disposition?.[1] === field) return body.subarray(contentStart, end);
    position = end + 2;
  }
}
