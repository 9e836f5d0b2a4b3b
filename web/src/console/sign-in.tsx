import { api, errorOf } from '../lib/api.js';
import { platformSession, signIn, userSession, type Session } from '../lib/session.js';
import { ErrorAlert, Field, FormActions, Notice, useForm } from '../lib/ui.js';

const defaultOrganization = document.documentElement.dataset.organization ?? 'default';

/** Sign-in as a management user (email and password) or with the platform credentials. */
export function SignIn({ reason }: { reason?: string | undefined }) {
  const form = useForm({ method: 'user', organization: defaultOrganization, email: '', password: '', userSecret: '', organizationSecret: '' });
  const user = form.values.method === 'user';
  const save = form.submit(async (values) => {
    const organization = values.organization.trim();
    const session = user
      ? await userSession(organization, values.email, values.password).catch(async (failure: unknown) => {
          throw failure instanceof Response ? await errorOf(failure) : failure;
        })
      : platformSession(organization, values.userSecret, values.organizationSecret);
    // The organization's own record: wrong credentials are 401, another organization 403.
    const auth = { authorization: session.authorization };
    await api('GET', `/v1/organizations/${encodeURIComponent(organization)}`, { auth });
    const me = await api<{ role: Session['role'] }>('GET', `/v1/organizations/${encodeURIComponent(organization)}/me`, { auth });
    signIn({ ...session, ...(me.role ? { role: me.role } : {}) });
  });
  return (
    <main id="main" class="sign-in">
      <h1>Sign in to Tollgate</h1>
      {reason ? <Notice>{reason}</Notice> : null}
      <form onSubmit={save} noValidate>
        <fieldset>
          <legend>Sign in with</legend>
          <div class="radios">
            <label>
              <input type="radio" name="method" value="user" checked={user} onChange={() => form.set('method', 'user')} /> Management user
            </label>
            <label>
              <input type="radio" name="method" value="platform" checked={!user} onChange={() => form.set('method', 'platform')} /> Platform credentials
            </label>
          </div>
        </fieldset>
        <Field label="Organization" path="organization" error={form.error} required autocomplete="organization" {...form.bind('organization')} />
        {user ? (
          <>
            <Field label="Email" path="email" type="email" error={form.error} required autocomplete="username" {...form.bind('email')} />
            <Field label="Password" path="password" type="password" error={form.error} required autocomplete="current-password" hint="npm start prints where the first user's password is." {...form.bind('password')} />
          </>
        ) : (
          <>
            <Field label="User secret" path="userSecret" type="password" error={form.error} required autocomplete="off" {...form.bind('userSecret')} />
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
          </>
        )}
        <ErrorAlert error={form.error} claimed={['organization', 'email', 'password', 'userSecret', 'organizationSecret']} />
        <FormActions submit="Sign in" busy={form.busy} />
      </form>
    </main>
  );
}
