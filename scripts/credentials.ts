// `npm run credentials`: prints the local organization's platform Authorization
// header, read from the local secret store (local mode only).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { orgSecretNames } from '../shared/auth/organizations.js';

const dataDir = resolve(process.env.DATA_DIR || './.data');
const org = process.env.TOLLGATE_ORG || 'default';
const file = join(dataDir, 'secrets.json');
if (!existsSync(file)) {
  process.stderr.write(`No local secret store at ${file}; run npm start once first.\n`);
  process.exit(1);
}
const secrets = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
const names = orgSecretNames(org);
const user = secrets[names.user];
const organization = secrets[names.organization];
if (!user || !organization) {
  process.stderr.write(`Organization "${org}" has no credentials in ${file}.\n`);
  process.exit(1);
}
process.stdout.write(`Authorization: User ${user}, Organization ${organization}\n`);
