// The connectors API's wire rules in isolation: Open Connectors' error shape,
// the headers every answer carries, and which paths are platform paths.
import { describe, expect, it } from 'vitest';
import { connectorErrors, connectorHeaders, EXPOSED_HEADERS, isConnectorsPath, listHeaders, refuseUnknownPlatformPath } from '../../shared/connectors/http.js';
import { HttpError, unprocessable } from '../../shared/http/errors.js';
import { errorResponse } from '../../shared/http/lambda.js';
import type { HttpRequest } from '../../shared/http/request.js';
import { testRequest } from '../support/requests.js';

const request = (path: string): HttpRequest => testRequest('GET', path, { requestId: 'req-1' });

describe('Open Connectors error shape', () => {
  it('answers requestId, message and code, with providerMessage and fields when there are some', () => {
    const vendor = errorResponse(new HttpError(400, 'vendor_rejected_code', 'The vendor refused the code', { providerMessage: 'invalid_grant' }), connectorErrors, 'req-1');
    expect(vendor.status).toBe(400);
    expect(JSON.parse(String(vendor.body))).toEqual({ requestId: 'req-1', message: 'The vendor refused the code', code: 'vendor_rejected_code', providerMessage: 'invalid_grant' });
    const invalid = errorResponse(unprocessable('Instance is invalid', [{ path: 'name', message: 'required' }]), connectorErrors, 'req-2');
    expect(JSON.parse(String(invalid.body))).toEqual({ requestId: 'req-2', message: 'Instance is invalid', code: 'validation_failed', fields: [{ path: 'name', message: 'required' }] });
    const internal = errorResponse(new Error('boom at /srv/x.ts:1:2'), connectorErrors, 'req-3');
    expect(JSON.parse(String(internal.body))).toEqual({ requestId: 'req-3', message: 'Internal error', code: 'internal_error' });
  });
});

describe('connectors headers and paths', () => {
  it('sends CORS, exposed headers and the request id on every answer; counts on lists', () => {
    expect(connectorHeaders(request('/elements/api-v2/elements'))).toEqual({
      'access-control-allow-origin': '*',
      'access-control-expose-headers': EXPOSED_HEADERS,
      'elements-request-id': 'req-1',
    });
    expect(listHeaders(2, 'next-token', 9)).toEqual({ 'elements-returned-count': '2', 'elements-total-count': '9', 'elements-next-page-token': 'next-token' });
    expect(listHeaders(0)).toEqual({ 'elements-returned-count': '0' });
    expect(isConnectorsPath('/elements/api-v2')).toBe(true);
    expect(isConnectorsPath('/elements/api-v2x')).toBe(false);
    expect(isConnectorsPath('/v1/organizations/default')).toBe(false);
  });

  it.each([
    ['elements/salesforce/bogus', false, true],
    ['instances/1/bogus', true, true],
    ['docs/crm', true, true],
    ['hubs/crm', false, true],
    ['hubs/crm/elements', true, true],
    ['accounts', false, true],
    ['users/7', false, true],
    ['accounts', true, false],
    ['hubs/crm/accounts', false, false],
    ['contacts/7', false, false],
    ['objects/contacts/metadata', true, false],
  ])('%s with an Element token: %s -> platform 404: %s', (rest, token, refused) => {
    const check = () => refuseUnknownPlatformPath(request(`/elements/api-v2/${rest}`), rest, token);
    if (refused) expect(check).toThrow(expect.objectContaining({ status: 404, code: 'not_found' }));
    else expect(check).not.toThrow();
  });
});
