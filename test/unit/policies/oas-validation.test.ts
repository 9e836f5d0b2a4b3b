// OASValidation against an OpenAPI 3 document in the bundle: paths,
// methods, parameters, unknown parameters, JSON bodies with $refs and
// nullable, and a pattern that would backtrack stays linear.
import { describe, expect, it } from 'vitest';
import { oasValidation } from '../../../shared/gateway/policies/oas-validation.js';
import { exchangeFor, runPolicy, xmlRoundTrip } from '../../support/policy-context.js';

const SPEC = `openapi: 3.0.3
info: { title: Pets, version: '1' }
servers: [{ url: 'https://api.example.com/v1' }]
paths:
  /pets:
    get:
      parameters:
        - { name: limit, in: query, schema: { type: integer, maximum: 100 } }
      responses: { '200': { description: ok } }
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema: { $ref: '#/components/schemas/Pet' }
      responses: { '201': { description: created } }
  /pets/{petId}:
    parameters:
      - { name: petId, in: path, required: true, schema: { type: string, pattern: '^(a+)+$' } }
    get:
      parameters:
        - { name: x-trace, in: header, required: true, schema: { type: string } }
      responses: { '200': { description: ok } }
components:
  schemas:
    Pet:
      type: object
      required: [name]
      properties:
        name: { type: string, minLength: 1 }
        tag: { type: string, nullable: true }
`;

const run = (request: Parameters<typeof exchangeFor>[0], config: object = {}) =>
  runPolicy(oasValidation, { oasResource: 'oas://pets.yaml', ...config }, { exchange: exchangeFor(request, { basePath: '/orders' }), resources: { 'oas/pets.yaml': SPEC } });

describe('OASValidation', () => {
  it('reads the resource and options', () => {
    expect(xmlRoundTrip(oasValidation, '<OASResource>oas://pets.yaml</OASResource><Options><ValidateMessageBody>false</ValidateMessageBody><AllowUnspecifiedParameters><Header>true</Header><Query>false</Query><Cookie>true</Cookie></AllowUnspecifiedParameters></Options><Source>request</Source>')).toEqual({
      oasResource: 'oas://pets.yaml',
      source: 'request',
      validateMessageBody: false,
      allowUnspecified: { header: true, query: false, cookie: true },
    });
  });

  it('accepts what the document describes', async () => {
    expect((await run({ path: '/orders/pets', query: { limit: '10' } })).fault).toBeUndefined();
    expect((await run({ verb: 'POST', path: '/orders/pets', headers: { 'content-type': 'application/json' }, body: '{"name":"Rex","tag":null}' })).fault).toBeUndefined();
    expect((await run({ path: '/orders/pets/aaa', headers: { 'x-trace': '1' } })).fault).toBeUndefined();
  });

  it("refuses what it does not, with Apigee's fault", async () => {
    const reasons = await Promise.all(
      [
        { path: '/orders/cats' },
        { verb: 'DELETE', path: '/orders/pets' },
        { path: '/orders/pets', query: { limit: '500' } },
        { path: '/orders/pets', query: { limit: 'many' } },
        { verb: 'POST', path: '/orders/pets', headers: { 'content-type': 'application/json' }, body: '{"tag":"x"}' },
        { verb: 'POST', path: '/orders/pets' },
        { path: '/orders/pets/aaa' },
      ].map(async (request) => (await run(request)).fault),
    );
    for (const fault of reasons) expect(fault).toMatchObject({ status: 400, errorCode: 'steps.oasvalidation.Failed' });
    expect(reasons.map((fault) => /reason: "(.*)"$/.exec(fault!.message)![1])).toEqual([
      'Path /cats is not in the OpenAPI document',
      'Method DELETE is not allowed for /pets',
      'Request parameter limit (query) is invalid: must be <= 100',
      'Request parameter limit (query) is invalid: must be integer',
      "The request body is invalid: (root) must have required property 'name'",
      'The request body is required',
      'Request parameter x-trace (header) is required',
    ]);
    expect((await run({ path: '/orders/pets', query: { other: '1' } }, { allowUnspecified: { query: false } })).fault?.message).toContain('Query parameter other is not allowed');
  });

  it('matches a backtracking pattern in linear time, and refuses a missing document at deployment', async () => {
    expect((await run({ path: `/orders/pets/${'a'.repeat(40)}b`, headers: { 'x-trace': '1' } })).fault?.message).toContain('petId');
    expect(() => oasValidation.prepare!(oasValidation.schema.parse({ oasResource: 'oas://missing.yaml' }), { resources: new Map() } as never)).toThrow('not in the bundle');
  });
});
