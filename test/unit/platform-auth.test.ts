import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePlatformAuthorization } from '../../shared/auth/platform.js';

describe('parsePlatformAuthorization', () => {
  it.each([
    ['User u1, Organization o1', { user: 'u1', organization: 'o1' }],
    ['Organization o1, User u1', { user: 'u1', organization: 'o1' }],
    ['  User   u1 ,Organization\to1  ', { user: 'u1', organization: 'o1' }],
    ['User u1, Organization o1, Element e1', { user: 'u1', organization: 'o1', element: 'e1' }],
    ['Element e1, Organization o1, User u1', { user: 'u1', organization: 'o1', element: 'e1' }],
    ['user u1, organization o1', { user: 'u1', organization: 'o1' }],
    ['User a/b+c=, Organization x=', { user: 'a/b+c=', organization: 'x=' }],
  ])('accepts %j', (header, expected) => {
    expect(parsePlatformAuthorization(header)).toEqual(expected);
  });

  it.each([
    undefined,
    '',
    'Bearer abc',
    'User u1',
    'Organization o1',
    'User u1, Organization',
    'User u1, Organization o1, Organization o2',
    'User u1, Organization o1, Element',
    'User u1 Organization o1',
    'User u1, Organization o1, Extra x',
    'User u1 x, Organization o1',
    'User u1,, Organization o1',
    'User u1, Organization o1,',
    `User ${'x'.repeat(5000)}, Organization o`,
  ])('refuses %j', (header) => {
    expect(parsePlatformAuthorization(header)).toBeUndefined();
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (header) => {
        const parsed = parsePlatformAuthorization(header);
        if (parsed) {
          expect(parsed.user).not.toMatch(/[\s,]/);
          expect(parsed.organization).not.toMatch(/[\s,]/);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
