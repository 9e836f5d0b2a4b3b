// The local organization's platform credentials, read from the local secret
// store under DATA_DIR (local mode only): for npm run credentials and npm run demo.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { orgSecretNames } from '../shared/auth/organizations.js';

export function localCredentials(dataDir = process.env.DATA_DIR || './.data', org = process.env.TOLLGATE_ORG || 'default'): { user: string; organization: string } {
  const file = join(resolve(dataDir), 'secrets.json');
  if (!existsSync(file)) throw new Error(`No local secret store at ${file}; run npm start once first.`);
  const secrets = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  const names = orgSecretNames(org);
  const user = secrets[names.user];
  const organization = secrets[names.organization];
  if (!user || !organization) throw new Error(`Organization "${org}" has no credentials in ${file}.`);
  return { user, organization };
}
