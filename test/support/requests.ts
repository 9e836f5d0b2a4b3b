// An HttpRequest as the Lambda adapter builds it, for specs that call handlers or helpers directly.
import type { HttpRequest } from '../../shared/http/request.js';

export function testRequest(method: string, path: string, extra: Partial<HttpRequest> = {}): HttpRequest {
  return {
    method,
    path,
    params: {},
    query: new URLSearchParams(),
    headers: {},
    multiHeaders: {},
    body: Buffer.alloc(0),
    requestId: 'r',
    sourceIp: '127.0.0.1',
    receivedAt: 0,
    ...extra,
  };
}
