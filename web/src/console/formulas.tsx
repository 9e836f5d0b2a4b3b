// Connectors → Formulas (Open Connectors' workflow engine, docs/formulas.md):
// the list (trigger, steps, instances), a formula created or edited as its
// JSON in the code editor (the API's 422 names each bad field), a formula's
// page (variables, trigger, steps with onSuccess / onFailure) with its
// formula instances, created from the organization's connector instances and
// values. Executions are in formula-executions.tsx. Read-only callers see no
// write controls.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../lib/api.js';
import { navigate } from '../lib/router.js';
import { canWrite } from '../lib/session.js';
import { ConfirmButton, Dialog, EmptyRow, ErrorAlert, Field, FormActions, LoadState, Notice, PageHeader, Table, useForm, useLoad } from '../lib/ui.js';
import { BASE } from './base.js';
import type { CodeEditor } from './code-editor.js';
import { withPlatformCredentials, type Instance } from './connectors.js';

export const FORMULAS = '/elements/api-v2/formulas';
export const formulaHref = (id: number) => `${BASE}/connectors/formulas/${id}`;

interface Variable {
  id?: number;
  key: string;
  name?: string;
  type: 'elementInstance' | 'value';
  description?: string;
  required: boolean;
}

/** A step or a trigger: what runs, with what, and what follows it. */
interface Part {
  id?: number;
  name?: string;
  type: string;
  description?: string;
  properties: Record<string, unknown>;
  onSuccess: string[];
  onFailure: string[];
}

export interface Formula {
  id: number;
  name: string;
  description: string;
  active: boolean;
  singleThreaded: boolean;
  configuration: Variable[];
  triggers: Part[];
  steps: Part[];
}

export interface FormulaInstance {
  id: number;
  name: string;
  active: boolean;
  formula: { id: number; name?: string };
  configuration: Record<string, unknown>;
  nextRunDate?: string;
  createdDate: string;
}

/** What a new formula starts from: a manual trigger and one script step. */
const TEMPLATE = {
  name: 'new formula',
  description: '',
  configuration: [],
  triggers: [{ type: 'manual', onSuccess: ['hello'] }],
  steps: [{ name: 'hello', type: 'script', properties: { body: "done({ greeting: 'Hello ' + (trigger.args.name || 'world') });" } }],
};

export const json = (value: unknown) => JSON.stringify(value, null, 2);

/** The JSON a formula is edited as: what PUT takes, without ids and dates. */
function editable(formula: Formula): string {
  const { name, description, active, singleThreaded } = formula;
  const strip = <T extends { id?: number }>({ id: _id, ...rest }: T) => rest;
  return json({ name, description, active, singleThreaded, configuration: formula.configuration.map(strip), triggers: formula.triggers.map(strip), steps: formula.steps.map(strip) });
}

function FormulasList() {
  const formulas = useLoad(() => api<Formula[]>('GET', FORMULAS));
  const instances = useLoad(() => api<FormulaInstance[]>('GET', `${FORMULAS}/instances`));
  const count = (id: number) => (instances.data ?? []).filter((instance) => instance.formula.id === id).length;
  return (
    <>
      <PageHeader title="Formulas">
        {canWrite() ? (
          <a class="button primary" href={`${BASE}/connectors/formulas/new`}>
            Create formula
          </a>
        ) : null}
      </PageHeader>
      <LoadState load={formulas} />
      <ErrorAlert error={instances.error} />
      {formulas.data ? (
        <Table caption="Formulas" columns={['Name', 'Trigger', 'Steps', 'Instances']}>
          {formulas.data.map((formula) => (
            <tr key={formula.id}>
              <td>
                <a href={formulaHref(formula.id)}>{formula.name}</a>
              </td>
              <td>{formula.triggers[0]?.type ?? 'none'}</td>
              <td>{formula.steps.length}</td>
              <td>{instances.data ? count(formula.id) : ''}</td>
            </tr>
          ))}
          {formulas.data.length === 0 ? <EmptyRow columns={4}>No formulas yet.</EmptyRow> : null}
        </Table>
      ) : null}
    </>
  );
}

/** The code editor on a formula's JSON, loaded when first shown. */
function JsonPane({ text, label, onChange }: { text: string; label: string; onChange: (text: string) => void }) {
  const host = useRef<HTMLDivElement>(null);
  const [loadError, setLoadError] = useState<string>();
  useEffect(() => {
    let live = true;
    let editor: CodeEditor | undefined;
    import('./json-editor.js').then(
      ({ createJsonEditor }) => {
        if (live && host.current) editor = createJsonEditor(host.current, text, label, onChange);
      },
      () => setLoadError('The JSON editor could not be loaded.'),
    );
    return () => {
      live = false;
      editor?.destroy();
    };
  }, []);
  return (
    <>
      {loadError ? <Notice kind="error">{loadError}</Notice> : null}
      <div ref={host} class="xml-editor" />
    </>
  );
}

/** Creates a formula (no `formula`) or replaces one from its JSON. */
function FormulaEditor({ formula }: { formula?: Formula }) {
  const text = useRef(formula ? editable(formula) : json(TEMPLATE));
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const save = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    let body: unknown;
    try {
      body = JSON.parse(text.current);
    } catch (caught) {
      setError(new ApiError(0, 'invalid_json', `The formula is not valid JSON: ${caught instanceof Error ? caught.message : String(caught)}`));
      return;
    }
    setBusy(true);
    try {
      const saved = formula ? await api<Formula>('PUT', `${FORMULAS}/${formula.id}`, { json: body }) : await api<Formula>('POST', FORMULAS, { json: body });
      navigate(formulaHref(saved.id));
    } catch (caught) {
      setError(caught instanceof ApiError ? caught : new ApiError(0, 'client_error', String(caught)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={save} noValidate aria-label={formula ? `Edit formula ${formula.name}` : 'New formula'}>
      <p class="hint">
        Variables (<code>configuration</code>), one trigger and the steps, as the formulas API takes them; references such as <code>{'${steps.name.response.body}'}</code> and{' '}
        <code>{'${config.key}'}</code> are resolved when a step runs.
      </p>
      <JsonPane text={text.current} label="Formula JSON" onChange={(next) => (text.current = next)} />
      <ErrorAlert error={error} />
      <FormActions submit={formula ? 'Save' : 'Create'} busy={busy} onCancel={() => navigate(formula ? formulaHref(formula.id) : `${BASE}/connectors/formulas`)} />
    </form>
  );
}

function NewFormula() {
  return (
    <>
      <PageHeader title="New formula" />
      <FormulaEditor />
    </>
  );
}

function EditFormula({ params }: { params: Record<string, string> }) {
  const formula = useLoad(() => api<Formula>('GET', `${FORMULAS}/${params.id}`), [params.id]);
  return (
    <>
      <PageHeader title={formula.data ? `Edit formula ${formula.data.name}` : 'Edit formula'} />
      <LoadState load={formula} />
      {formula.data ? <FormulaEditor formula={formula.data} /> : null}
    </>
  );
}

const Successors = ({ names }: { names: string[] }) => (names.length ? <>{names.join(', ')}</> : <span class="muted">none</span>);

function FormulaView({ params }: { params: Record<string, string> }) {
  const formula = useLoad(() => api<Formula>('GET', `${FORMULAS}/${params.id}`), [params.id]);
  const writable = canWrite();
  if (!formula.data) return <LoadState load={formula} />;
  const f = formula.data;
  const trigger = f.triggers[0];
  return (
    <>
      <PageHeader title={`Formula ${f.name}`}>
        {writable ? (
          <>
            <a class="button" href={`${formulaHref(f.id)}/edit`}>
              Edit
            </a>
            <ConfirmButton
              label="Delete"
              title={`Delete formula ${f.name}?`}
              message="The formula is deleted permanently. A formula with instances cannot be deleted: delete its instances first."
              onConfirm={async () => {
                await api('DELETE', `${FORMULAS}/${f.id}`);
                navigate(`${BASE}/connectors/formulas`);
              }}
            />
          </>
        ) : null}
      </PageHeader>
      <dl class="details">
        <dt>ID</dt>
        <dd>{f.id}</dd>
        {f.description ? (
          <>
            <dt>Description</dt>
            <dd>{f.description}</dd>
          </>
        ) : null}
        <dt>Active</dt>
        <dd>{f.active ? 'yes' : 'no'}</dd>
      </dl>
      <section aria-labelledby="configuration-heading">
        <h2 id="configuration-heading">Configuration</h2>
        {f.configuration.length ? (
          <Table caption="Variables" columns={['Key', 'Name', 'Type', 'Required']}>
            {f.configuration.map((variable) => (
              <tr key={variable.key}>
                <td>
                  <code>{variable.key}</code>
                </td>
                <td>{variable.name ?? ''}</td>
                <td>{variable.type}</td>
                <td>{variable.required ? 'yes' : 'no'}</td>
              </tr>
            ))}
          </Table>
        ) : (
          <p class="muted">No variables.</p>
        )}
      </section>
      <section aria-labelledby="trigger-heading">
        <h2 id="trigger-heading">Trigger</h2>
        {trigger ? (
          <dl class="details">
            <dt>Type</dt>
            <dd>{trigger.type}</dd>
            {Object.keys(trigger.properties).length ? (
              <>
                <dt>Properties</dt>
                <dd>
                  <pre class="json">{json(trigger.properties)}</pre>
                </dd>
              </>
            ) : null}
            <dt>Starts</dt>
            <dd>
              <Successors names={trigger.onSuccess} />
            </dd>
          </dl>
        ) : (
          <p class="muted">No trigger: the formula runs only as a sub-formula.</p>
        )}
      </section>
      <section aria-labelledby="steps-heading">
        <h2 id="steps-heading">Steps</h2>
        <Table caption="Steps" columns={['Name', 'Type', 'Properties', 'On success', 'On failure']}>
          {f.steps.map((step) => (
            <tr key={step.name}>
              <td>{step.name}</td>
              <td>{step.type}</td>
              <td>
                <pre class="json">{json(step.properties)}</pre>
              </td>
              <td>
                <Successors names={step.onSuccess} />
              </td>
              <td>
                <Successors names={step.onFailure} />
              </td>
            </tr>
          ))}
        </Table>
      </section>
      <FormulaInstances formula={f} writable={writable} />
    </>
  );
}

function FormulaInstances({ formula, writable }: { formula: Formula; writable: boolean }) {
  const instances = useLoad(() => api<FormulaInstance[]>('GET', `${FORMULAS}/${formula.id}/instances`), [formula.id]);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<FormulaInstance>();
  return (
    <section aria-labelledby="instances-heading">
      <h2 id="instances-heading">Instances</h2>
      {writable ? (
        <button type="button" class="primary" onClick={() => setCreating(true)}>
          Create instance
        </button>
      ) : null}
      {created ? <Notice kind="success">Formula instance {created.id} created.</Notice> : null}
      <LoadState load={instances} />
      {instances.data ? (
        <Table caption={`Instances of ${formula.name}`} columns={['ID', 'Name', 'Configuration', '']}>
          {instances.data.map((instance) => (
            <tr key={instance.id}>
              <td>{instance.id}</td>
              <td>
                <a href={`${formulaHref(formula.id)}/instances/${instance.id}`}>{instance.name}</a>
              </td>
              <td>
                {Object.entries(instance.configuration).map(([key, value]) => (
                  <div key={key}>
                    <code>{key}</code>: {typeof value === 'string' ? value : JSON.stringify(value)}
                  </div>
                ))}
              </td>
              <td>
                {writable ? (
                  <ConfirmButton
                    label="Delete"
                    ariaLabel={`Delete formula instance ${instance.name}`}
                    title={`Delete formula instance ${instance.name}?`}
                    message="Its triggers stop starting executions; the executions it ran stay readable until they expire."
                    onConfirm={async () => {
                      await api('DELETE', `${FORMULAS}/${formula.id}/instances/${instance.id}`);
                      instances.reload();
                    }}
                  />
                ) : null}
              </td>
            </tr>
          ))}
          {instances.data.length === 0 ? <EmptyRow columns={4}>No instances yet.</EmptyRow> : null}
        </Table>
      ) : null}
      {creating ? (
        <InstanceDialog
          formula={formula}
          onClose={() => setCreating(false)}
          onDone={(instance) => {
            setCreating(false);
            setCreated(instance);
            instances.reload();
          }}
        />
      ) : null}
    </section>
  );
}

/** A new formula instance: its name and a value for each variable (a connector instance for `elementInstance` ones). */
function InstanceDialog({ formula, onClose, onDone }: { formula: Formula; onClose: () => void; onDone: (instance: FormulaInstance) => void }) {
  const connectors = useLoad(() => api<Instance[]>('GET', '/elements/api-v2/instances'));
  const form = useForm<Record<string, string>>({ name: '', ...Object.fromEntries(formula.configuration.map((variable) => [variable.key, ''])) });
  const save = form.submit(async (values) => {
    const configuration: Record<string, unknown> = {};
    for (const variable of formula.configuration) {
      const value = values[variable.key]!.trim();
      if (value) configuration[variable.key] = variable.type === 'elementInstance' ? Number(value) : value;
    }
    onDone(await api<FormulaInstance>('POST', `${FORMULAS}/${formula.id}/instances`, { json: { name: values.name!.trim(), configuration } }));
  });
  const choices: [string, string][] = [['', 'Choose a connector instance'], ...(connectors.data ?? []).map((i): [string, string] => [String(i.id), `${i.name} (${i.element.key}, ${i.id})`])];
  const claimed: string[] = ['name', ...formula.configuration.map((variable) => `configuration.${variable.key}`)];
  return (
    <Dialog title={`New instance of ${formula.name}`} onClose={onClose}>
      <form onSubmit={save} noValidate>
        <Field label="Name" path="name" error={form.error} required {...form.bind('name')} />
        {formula.configuration.map((variable) => (
          <Field
            key={variable.key}
            label={variable.name ?? variable.key}
            path={`configuration.${variable.key}`}
            name={variable.key}
            error={form.error}
            required={variable.required}
            hint={variable.type === 'elementInstance' ? `${variable.key}: a connector instance of the organization` : `${variable.key}: a value`}
            {...(variable.type === 'elementInstance' ? { options: choices } : {})}
            {...form.bind(variable.key)}
          />
        ))}
        <ErrorAlert error={form.error ?? connectors.error} claimed={claimed} />
        <FormActions submit="Create instance" busy={form.busy} onCancel={onClose} />
      </form>
    </Dialog>
  );
}

export const FormulasPage = withPlatformCredentials(FormulasList);
export const NewFormulaPage = withPlatformCredentials(NewFormula);
export const EditFormulaPage = withPlatformCredentials(EditFormula);
export const FormulaPage = withPlatformCredentials(FormulaView);
