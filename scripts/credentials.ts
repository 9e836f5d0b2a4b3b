// `npm run credentials`: prints the local organization's platform Authorization
// header, read from the local secret store (local mode only).
import { localCredentials } from './local-credentials.js';

try {
  const { user, organization } = localCredentials();
  process.stdout.write(`Authorization: User ${user}, Organization ${organization}\n`);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}
