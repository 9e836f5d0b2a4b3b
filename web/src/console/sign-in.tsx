import { api } from '../lib/api.js';
import { platformSession, signIn } from '../lib/session.js';
import { ErrorAlert, Field, FormActions, Notice, useForm } from '../lib/ui.js';

const defaultOrganization = document.documentElement.dataset.organization ?? 'default';

export function SignIn({ reason }: { reason?: string | undefined }) {
  const form = useForm({ organization: defaultOrganization, userSecret: '', organizationSecret: '' });
  const save = form.submit(async (values) => {
    const session = platformSession(values.organization.trim(), values.userSecret, values.organizationSecret);
    // The organization's own record: a wrong secret is 401, another organization 403.
    await api('GET', `/v1/organizations/${encodeURIComponent(session.organization)}`, { auth: { authorization: session.authorization } });
    signIn(session);
  });
  return (
    <main id="main" class="sign-in">
      <h1>Sign in to Tollgate</h1>
      {reason ? <Notice>{reason}</Notice> : null}
      <form onSubmit={save} noValidate>
        <Field label="Organization" path="organization" error={form.error} required autocomplete="organization" {...form.bind('organization')} />
        <Field label="User secret" path="userSecret" type="password" error={form.error} required autocomplete="current-password" {...form.bind('userSecret')} />
        <Field
          label="Organization secret"
          path="organizationSecret"
          type="password"
          error={form.error}
          required
          autocomplete="off"
          hint="npm run credentials prints both secrets of a local server."
          {...form.bind('organizationSecret')}
        />
        <ErrorAlert error={form.error} claimed={['organization', 'userSecret', 'organizationSecret']} />
        <FormActions submit="Sign in" busy={form.busy} />
      </form>
    </main>
  );
}
