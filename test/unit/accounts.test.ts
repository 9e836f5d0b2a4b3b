// Specs of the account users' pieces that need no server: Open Connectors'
// default password policy, the `where` clauses the user and account lists
// take, and the Open Connectors roles a user shows for its Tollgate role.
import { describe, expect, it } from 'vitest';
import { connectorRoleKeys, passwordProblems, type AccountUserItem } from '../../shared/auth/accounts.js';
import { parseEqualities } from '../../shared/connectors/account-routes.js';

const user = { firstName: 'Ada', lastName: 'Lovelace', email: 'countess@example.com' };

describe('Open Connectors\' default password policy', () => {
  it('takes a password of 8 or more characters with upper and lower case, a digit and a symbol', () => {
    expect(passwordProblems('Engines-1843!', user)).toEqual([]);
    expect(passwordProblems('IAmGood1!', user)).toEqual([]);
  });

  it('names every rule a password breaks', () => {
    expect(passwordProblems('short', user)).toEqual([
      'must be at least 8 characters long',
      'must contain at least 1 numeric character',
      'must contain at least 1 uppercase character',
      'must contain at least 1 special character',
    ]);
    expect(passwordProblems('ADA-LOVELACE-1', user)).toEqual(['must contain at least 1 lowercase character', 'must not contain the first name', 'must not contain the last name']);
    expect(passwordProblems('Countess-99', user)).toEqual(['must not contain the username']);
    expect(passwordProblems(`Aa1!${'x'.repeat(1100)}`, user)).toContain('must be at most 1024 characters long');
  });

  it('ignores names too short to mean anything', () => {
    expect(passwordProblems('Al-Rigel-42', { firstName: 'Al', lastName: 'B', email: 'a@example.com' })).toEqual([]);
  });
});

describe('where clauses of the user and account lists', () => {
  it('reads field = \'value\' clauses joined by AND, quotes doubled inside values', () => {
    expect(parseEqualities("firstName='churros'")).toEqual([['firstName', 'churros']]);
    expect(parseEqualities("name = 'O''Brien' and active=true")).toEqual([['name', "O'Brien"], ['active', 'true']]);
    expect(parseEqualities("  email='a@b.example'   AND id = 7 ")).toEqual([['email', 'a@b.example'], ['id', '7']]);
  });

  it('refuses anything else with 400', () => {
    for (const where of ['', 'name', "name LIKE 'x'", "name='x' OR id=1", "name='unterminated", "='x'", "name='x' and", 'a'.repeat(1001)]) {
      expect(() => parseEqualities(where), where).toThrow(expect.objectContaining({ status: 400, code: 'unsupported_where' }));
    }
  });
});

describe('Open Connectors roles of an account user', () => {
  const item = (accountId: number, accountAdmin: boolean) => ({ accountId, accountAdmin }) as AccountUserItem;
  it('shows org-admin for orgadmin, admin for an account administrator, and the account\'s own role', () => {
    expect(connectorRoleKeys(item(1, true), 'orgadmin', 1)).toEqual(['org-admin', 'admin', 'org']);
    expect(connectorRoleKeys(item(1, false), 'connectoruser', 1)).toEqual(['org']);
    expect(connectorRoleKeys(item(5, true), 'connectoruser', 1)).toEqual(['admin', 'user']);
    expect(connectorRoleKeys(item(5, false), 'readonly', 1)).toEqual(['user']);
  });
});
