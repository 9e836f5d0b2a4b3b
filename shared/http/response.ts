// What handlers return: status, headers and a string or binary body. The Lambda
// adapter turns it into an API Gateway proxy result.
import type { APIGatewayProxyResult } from 'aws-lambda';

export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  /** Headers that repeat (set-cookie, link ...). */
  multiHeaders?: Record<string, string[]>;
  body?: string | Buffer;
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(value),
  };
}

export const ok = (value: unknown, headers?: Record<string, string>) => json(200, value, headers);
export const created = (value: unknown, headers?: Record<string, string>) => json(201, value, headers);
export const noContent = (): HttpResponse => ({ status: 204 });

export function redirect(location: string, status = 302): HttpResponse {
  return { status, headers: { location, 'cache-control': 'no-store' } };
}

export function toProxyResult(response: HttpResponse): APIGatewayProxyResult {
  const { body } = response;
  const isBinary = Buffer.isBuffer(body);
  const result: APIGatewayProxyResult = {
    statusCode: response.status,
    headers: { ...response.headers },
    body: body === undefined ? '' : isBinary ? body.toString('base64') : body,
    isBase64Encoded: isBinary,
  };
  if (response.multiHeaders && Object.keys(response.multiHeaders).length > 0) {
    result.multiValueHeaders = response.multiHeaders;
  }
  return result;
}
