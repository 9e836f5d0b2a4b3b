// Admin → Users: the organization's management users with their roles (one
// role each, as on Apigee Edge), a user created with a password and a role,
// a role changed, a user removed from the organization. Only orgadmins see
// the write controls. A password is typed once into a new-password field,
// sent to the API and never shown or kept.
import { useState } from 'preact/hooks';
import { api, enc, orgPath } from '../lib/api.js';
import { canWrite, currentSession, type Session } from '../lib/session.js';
import { ConfirmButton, Dialog, EmptyRow, ErrorAlert, Field, FormActions, LoadState, Notice, PageHeader, Table, useForm, useLoad } from '../lib/ui.js';

type Role = NonNullable<Session['role']>;

interface Member {
  emailId: string;
  role: Role;
}

const ROLES: [Role, string][] = [
  ['orgadmin', 'Organization administrator'],
  ['readonly', 'Read-only'],
  ['connectoruser', 'Connector user'],
];
const roleLabel = (role: Role) => ROLES.find(([value]) => value === role)?.[1] ?? role;

export function UsersPage() {
  const members = useLoad(() => api<Member[]>('GET', orgPath('/users')));
  const writable = canWrite();
  const [creating, setCreating] = useState(false);
  const [changing, setChanging] = useState<Member>();
  const [notice, setNotice] = useState<string>();
  const done = (text: string) => {
    setCreating(false);
    setChanging(undefined);
    setNotice(text);
    members.reload();
  };
  return (
    <>
      <PageHeader title="Users">
        {writable ? (
          <button type="button" class="primary" onClick={() => setCreating(true)}>
            Create user
          </button>
        ) : null}
      </PageHeader>
      <p class="hint">Management users of organization {currentSession()?.organization}: orgadmins change anything, read-only users only read, connector users call the connectors API.</p>
      {notice ? <Notice kind="success">{notice}</Notice> : null}
      <LoadState load={members} />
      {members.data ? (
        <Table caption="Users" columns={['Email', 'Role', ...(writable ? ['Actions'] : [])]}>
          {members.data.map((member) => (
            <tr key={member.emailId}>
              <td>{member.emailId}</td>
              <td>{roleLabel(member.role)}</td>
              {writable ? (
                <td>
                  <button type="button" aria-label={`Change role of ${member.emailId}`} onClick={() => setChanging(member)}>
                    Change role
                  </button>
                  <ConfirmButton
                    label="Remove"
                    ariaLabel={`Remove ${member.emailId}`}
                    title={`Remove ${member.emailId} from the organization?`}
                    message="The user's calls to this organization are refused at once; a user left in no organization is deleted."
                    confirm="Remove"
                    onConfirm={async () => {
                      await api('DELETE', orgPath(`/users/${enc(member.emailId)}`));
                      done(`${member.emailId} removed.`);
                    }}
                  />
                </td>
              ) : null}
            </tr>
          ))}
          {members.data.length === 0 ? <EmptyRow columns={writable ? 3 : 2}>No users yet.</EmptyRow> : null}
        </Table>
      ) : null}
      {creating ? <CreateUser onClose={() => setCreating(false)} onDone={(member) => done(`${member.emailId} created as ${roleLabel(member.role)}.`)} /> : null}
      {changing ? <ChangeRole member={changing} onClose={() => setChanging(undefined)} onDone={(role) => done(`${changing.emailId} is now ${roleLabel(role)}.`)} /> : null}
    </>
  );
}

function CreateUser({ onClose, onDone }: { onClose: () => void; onDone: (member: Member) => void }) {
  const form = useForm({ email: '', firstName: '', lastName: '', password: '', role: 'readonly' as Role });
  const save = form.submit(async (values) => {
    const firstName = values.firstName.trim();
    const lastName = values.lastName.trim();
    await api('POST', orgPath('/users'), { json: { email: values.email.trim(), password: values.password, role: values.role, ...(firstName ? { firstName } : {}), ...(lastName ? { lastName } : {}) } });
    onDone({ emailId: values.email.trim(), role: values.role });
  });
  return (
    <Dialog title="New user" onClose={onClose}>
      <form onSubmit={save} noValidate>
        <Field label="Email" path="email" type="email" error={form.error} required autocomplete="off" {...form.bind('email')} />
        <Field label="First name" path="firstName" error={form.error} autocomplete="off" {...form.bind('firstName')} />
        <Field label="Last name" path="lastName" error={form.error} autocomplete="off" {...form.bind('lastName')} />
        <Field label="Password" path="password" type="password" error={form.error} required autocomplete="new-password" hint="At least 12 characters; the user signs in with it." {...form.bind('password')} />
        <Field label="Role" path="role" error={form.error} options={ROLES} {...form.bind('role')} />
        <ErrorAlert error={form.error} claimed={['email', 'firstName', 'lastName', 'password', 'role']} />
        <FormActions submit="Create user" busy={form.busy} onCancel={onClose} />
      </form>
    </Dialog>
  );
}

function ChangeRole({ member, onClose, onDone }: { member: Member; onClose: () => void; onDone: (role: Role) => void }) {
  const form = useForm({ role: member.role });
  const save = form.submit(async ({ role }) => {
    // A user has one role per organization: giving it another replaces the one it had.
    await api('POST', orgPath(`/userroles/${enc(role)}/users?id=${enc(member.emailId)}`));
    onDone(role);
  });
  return (
    <Dialog title={`Change role of ${member.emailId}`} onClose={onClose}>
      <form onSubmit={save} noValidate>
        <Field label="Role" path="role" error={form.error} options={ROLES} {...form.bind('role')} />
        <ErrorAlert error={form.error} claimed={['role']} />
        <FormActions submit="Save" busy={form.busy} onCancel={onClose} />
      </form>
    </Dialog>
  );
}
