// Management of the token service's signing keys:
//   GET  /v1/organizations/{org}/oauth/keys               the keys and their state
//   POST /v1/organizations/{org}/oauth/keys?action=rotate a new active key
// The keys belong to the whole deployment (one issuer), so only the
// deployment's own organization (TOLLGATE_ORG) may rotate them.
import type { PlatformRouter } from '../auth/principal.js';
import { badRequest, forbidden } from '../http/errors.js';
import { ok } from '../http/response.js';
import { signingKeys } from './keys.js';

const ROTATE_DOC = {
  operationId: 'rotateSigningKey',
  summary: 'Rotate the signing key',
  description: 'Only the deployment\'s own organization may rotate (403 otherwise); older keys stay verifiable until their tokens expire.',
  query: { action: { description: 'Must be `rotate`.', required: true, enum: ['rotate'] } },
} as const;

export function registerSigningKeyRoutes(router: PlatformRouter): void {
  router.get('/v1/organizations/:org/oauth/keys', { operationId: 'listSigningKeys', summary: 'List the token signing keys and their state' }, async (request, rt) => {
    return ok({ keys: await signingKeys(rt).describe() }, { 'cache-control': 'no-store' });
  });
  router.post('/v1/organizations/:org/oauth/keys', ROTATE_DOC, async (request, rt, { organization }) => {
    if (request.query.get('action') !== 'rotate') throw badRequest('action=rotate is required', 'invalid_action');
    if (organization !== rt.config.defaultOrganization) {
      throw forbidden(`Signing keys are shared by the whole deployment; only organization ${rt.config.defaultOrganization} may rotate them`);
    }
    return ok({ keys: await signingKeys(rt).rotate() }, { 'cache-control': 'no-store' });
  });
}
