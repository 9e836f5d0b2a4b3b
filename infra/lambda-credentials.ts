// Stands in for @aws-sdk/credential-provider-node in the Lambda bundles.
// Lambda hands every function its role's credentials in environment
// variables; the SDK's full provider chain (SSO, INI files, web identity,
// STS, IMDS) never runs there, yet weighs about 90 KB of bundle that V8 must
// compile on every cold start. Only the bundles use this (infra/bundling.ts);
// the local runtime and tests use the SDK as published.
interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export const defaultProvider = () => async (): Promise<Credentials> => {
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new Error('AWS credentials are not in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)');
  }
  const sessionToken = process.env.AWS_SESSION_TOKEN;
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
};
