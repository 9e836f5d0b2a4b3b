// The policy editor: each endpoint's flows (PreFlow, conditional Flows,
// PostFlow, FaultRules, DefaultFaultRule) with their steps, a palette that
// adds a policy from its Apigee XML template and attaches it to a flow, and
// the XML of every policy and endpoint in CodeMirror. Check asks the server to
// validate the bundle (`?action=validate`); its problems land on
// their file and line. Read-only callers (`writable` false) see the flows
// and the XML in read-only editors, with nothing to add, move, check or save.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, type FieldProblem } from '../lib/api.js';
import { asApiError, ErrorAlert, Field, FormActions, Notice, useForm } from '../lib/ui.js';
import type { Bundle, FlowRef, FlowView } from './bundle.js';
import { POLICY_TEMPLATES, policyXml } from './policy-templates.js';
import { importBundle } from './proxies.js';
import type { XmlEditor } from './xml-editor.js';

const ROOT = 'apiproxy/';

interface Props {
  bundle: Bundle;
  version: number;
  proxy: string;
  onChange: () => void;
  onSave: () => void;
  /** False for a read-only caller: the flows and XML are shown, not edited. */
  writable: boolean;
}

const refKey = (file: string, ref: FlowRef) => `${file}|${JSON.stringify(ref)}`;

export function FlowEditor({ bundle, version, proxy, onChange, onSave, writable }: Props) {
  const endpoints = useMemo(() => bundle.endpoints(), [bundle, version]);
  const policies = useMemo(() => bundle.policies(), [bundle, version]);
  const [selected, setSelected] = useState<string>(refKey(endpoints[0]?.file ?? '', { kind: 'PreFlow', phase: 'Request' }));
  const [editing, setEditing] = useState<string>();
  const [problems, setProblems] = useState<FieldProblem[]>([]);
  const [checkError, setCheckError] = useState<ApiError>();
  const [checked, setChecked] = useState(false);
  const [error, setError] = useState<ApiError>();

  const attachTargets = endpoints.flatMap((endpoint) => endpoint.flows.map((flow) => ({ key: refKey(endpoint.file, flow.ref), file: endpoint.file, flow, endpoint: endpoint.name, kind: endpoint.kind })));
  const target = attachTargets.find((t) => t.key === selected) ?? attachTargets[0];

  const edit = (change: () => void) => {
    setError(undefined);
    try {
      change();
      onChange();
    } catch (caught) {
      setError(asApiError(caught));
    }
  };

  const check = async () => {
    setCheckError(undefined);
    setChecked(false);
    try {
      await importBundle(proxy, bundle.toZip(), true);
      setProblems([]);
      setChecked(true);
    } catch (caught) {
      const failure = asApiError(caught);
      setProblems(failure.fields);
      setCheckError(failure);
    }
  };

  return (
    <div class="flow-editor">
      <section aria-labelledby="flows-heading" class="flows">
        <h2 id="flows-heading">Flows</h2>
        {endpoints.map((endpoint) => (
          <div key={endpoint.file} class="endpoint">
            <h3>
              {endpoint.kind === 'proxy' ? 'ProxyEndpoint' : 'TargetEndpoint'} {endpoint.name}{' '}
              <button type="button" class="link" onClick={() => setEditing(endpoint.file)}>
                {writable ? 'Edit XML' : 'View XML'}
              </button>
            </h3>
            <ul class="flow-list">
              {endpoint.flows.map((flow) => (
                <FlowItem
                  key={refKey(endpoint.file, flow.ref)}
                  flow={flow}
                  writable={writable}
                  selected={target?.key === refKey(endpoint.file, flow.ref)}
                  onSelect={() => setSelected(refKey(endpoint.file, flow.ref))}
                  onRemoveStep={(index) => edit(() => bundle.removeStep(endpoint.file, flow.ref, index))}
                  onMove={(index, by) => edit(() => bundle.moveStep(endpoint.file, flow.ref, index, by))}
                  onEditPolicy={(name) => setEditing(`${ROOT}policies/${name}.xml`)}
                />
              ))}
            </ul>
            {writable ? <AddFlow onAdd={(name, condition, kind) => edit(() => (kind === 'Flow' ? bundle.addFlow(endpoint.file, name, condition) : bundle.addFaultRule(endpoint.file, name, condition, kind === 'DefaultFaultRule')))} /> : null}
          </div>
        ))}
      </section>
      <section aria-labelledby="palette-heading" class="palette">
        <h2 id="palette-heading">Policies</h2>
        {writable ? (
          <>
            <Palette
              targetLabel={target ? `${target.kind === 'proxy' ? 'ProxyEndpoint' : 'TargetEndpoint'} ${target.endpoint}: ${target.flow.label}` : ''}
              existing={policies.map((p) => p.name)}
              onAdd={(type, name) =>
                edit(() => {
                  const template = POLICY_TEMPLATES.find((t) => t.type === type)!;
                  bundle.addPolicy(name, policyXml(template, name));
                  if (target) bundle.addStep(target.file, target.flow.ref, name);
                  setEditing(`${ROOT}policies/${name}.xml`);
                })
              }
            />
            {target && policies.length ? (
              <AttachExisting policies={policies.map((p) => p.name)} targetLabel={target.flow.label} onAttach={(name) => edit(() => bundle.addStep(target.file, target.flow.ref, name))} />
            ) : null}
          </>
        ) : null}
        <h3>Policy files</h3>
        <ul class="plain">
          {policies.map((policy) => (
            <li key={policy.file}>
              <button type="button" class="link" aria-current={editing === policy.file} onClick={() => setEditing(policy.file)}>
                {policy.name}
              </button>{' '}
              <span class="muted">{policy.type}</span>
            </li>
          ))}
        </ul>
        <ErrorAlert error={error} />
      </section>
      <section aria-labelledby="xml-heading" class="xml">
        <h2 id="xml-heading">{editing ? editing.slice(ROOT.length) : 'XML'}</h2>
        {editing ? (
          <XmlPane
            key={`${editing}#${version === 0 ? 0 : ''}`}
            bundle={bundle}
            file={editing}
            readOnly={!writable}
            problems={problems.filter((p) => p.file && ROOT + p.file === editing)}
            onChange={(text) => {
              bundle.setText(editing, text);
              setChecked(false);
              onChange();
            }}
          />
        ) : (
          <p>Choose a policy or an endpoint to {writable ? 'edit' : 'read'} its XML.</p>
        )}
        {writable ? (
          <div class="actions">
            <button type="button" onClick={check}>
              Check
            </button>
            <button type="button" class="primary" onClick={onSave}>
              Save
            </button>
          </div>
        ) : null}
        {checked ? <Notice kind="success">The bundle is valid.</Notice> : null}
        {/* Problems with a file and line are shown in that file's editor; the summary names them all. */}
        <ErrorAlert error={checkError} claimed={problems.filter((p) => p.file).map((p) => p.path)} />
      </section>
    </div>
  );
}

function FlowItem(props: { flow: FlowView; writable: boolean; selected: boolean; onSelect: () => void; onRemoveStep: (index: number) => void; onMove: (index: number, by: -1 | 1) => void; onEditPolicy: (name: string) => void }) {
  const { flow } = props;
  return (
    <li class={props.selected ? 'selected' : ''}>
      <button type="button" class="flow-name" aria-pressed={props.selected} onClick={props.onSelect}>
        {flow.label}
      </button>
      {flow.condition ? <code class="condition">{flow.condition}</code> : null}
      {flow.steps.length ? (
        <ol class="steps" aria-label={`Steps of ${flow.label}`}>
          {flow.steps.map((step, index) => (
            <li key={`${step.policy}-${index}`}>
              <button type="button" class="link" onClick={() => props.onEditPolicy(step.policy)}>
                {step.policy}
              </button>
              {step.condition ? <code class="condition">{step.condition}</code> : null}
              {props.writable ? (
                <span class="step-actions">
                  <button type="button" class="icon" aria-label={`Move ${step.policy} up`} disabled={index === 0} onClick={() => props.onMove(index, -1)}>
                    ↑
                  </button>
                  <button type="button" class="icon" aria-label={`Move ${step.policy} down`} disabled={index === flow.steps.length - 1} onClick={() => props.onMove(index, 1)}>
                    ↓
                  </button>
                  <button type="button" class="icon" aria-label={`Remove ${step.policy} from ${flow.label}`} onClick={() => props.onRemoveStep(index)}>
                    ×
                  </button>
                </span>
              ) : null}
            </li>
          ))}
        </ol>
      ) : null}
    </li>
  );
}

function AddFlow({ onAdd }: { onAdd: (name: string, condition: string, kind: 'Flow' | 'FaultRule' | 'DefaultFaultRule') => void }) {
  const [open, setOpen] = useState(false);
  const form = useForm({ kind: 'Flow', name: '', condition: '' });
  const add = form.submit(async (values) => {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(values.name.trim())) {
      throw new ApiError(422, 'validation_failed', 'Check the flow', [{ path: 'name', message: 'must start with a letter or digit and contain only letters, digits, . _ -' }]);
    }
    onAdd(values.name.trim(), values.condition, values.kind as 'Flow');
    form.set('name', '');
    form.set('condition', '');
    setOpen(false);
  });
  if (!open) {
    return (
      <button type="button" onClick={() => setOpen(true)}>
        Add flow
      </button>
    );
  }
  return (
    <form class="card" onSubmit={add} noValidate aria-label="Add flow">
      <Field label="Kind" path="kind" options={[['Flow', 'Conditional flow'], ['FaultRule', 'Fault rule'], ['DefaultFaultRule', 'Default fault rule']]} {...form.bind('kind')} />
      <Field label="Flow name" path="name" error={form.error} required {...form.bind('name')} />
      <Field label="Condition" path="condition" error={form.error} multiline placeholder='(proxy.pathsuffix MatchesPath "/orders") and (request.verb = "GET")' {...form.bind('condition')} />
      <FormActions submit="Add" onCancel={() => setOpen(false)} />
    </form>
  );
}

function Palette({ targetLabel, existing, onAdd }: { targetLabel: string; existing: string[]; onAdd: (type: string, name: string) => void }) {
  const form = useForm({ type: POLICY_TEMPLATES[0]!.type, name: '' });
  const suggested = (type: string) => {
    for (let n = 1; ; n++) if (!existing.includes(`${type}-${n}`)) return `${type}-${n}`;
  };
  const add = form.submit(async (values) => {
    const name = values.name.trim() || suggested(values.type);
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new ApiError(422, 'validation_failed', 'Check the policy name', [{ path: 'name', message: 'must start with a letter or digit and contain only letters, digits, . _ -' }]);
    if (existing.includes(name)) throw new ApiError(409, 'conflict', 'Check the policy name', [{ path: 'name', message: `a policy named ${name} exists already` }]);
    onAdd(values.type, name);
    form.set('name', '');
  });
  const groups = [...new Set(POLICY_TEMPLATES.map((t) => t.category))];
  return (
    <form class="card" onSubmit={add} noValidate aria-label="Add policy">
      <div class="field">
        <label for="policy-type">Policy type</label>
        <select id="policy-type" value={form.values.type} onChange={(event) => form.set('type', event.currentTarget.value)}>
          {groups.map((group) => (
            <optgroup label={group} key={group}>
              {POLICY_TEMPLATES.filter((t) => t.category === group).map((t) => (
                <option key={t.type} value={t.type}>
                  {t.label}
                </option>
              ))}
            </optgroup>
          ))}
        </select>
      </div>
      <Field label="Policy name" path="name" error={form.error} placeholder={suggested(form.values.type)} {...form.bind('name')} />
      <p class="hint">Attached to {targetLabel || 'no flow'} (choose a flow on the left).</p>
      <ErrorAlert error={form.error} claimed={['name']} />
      <FormActions submit="Add policy" />
    </form>
  );
}

function AttachExisting({ policies, targetLabel, onAttach }: { policies: string[]; targetLabel: string; onAttach: (name: string) => void }) {
  const [name, setName] = useState(policies[0] ?? '');
  return (
    <div class="attach">
      <label for="attach-policy">Attach existing policy to {targetLabel}</label>
      <select id="attach-policy" value={name} onChange={(event) => setName(event.currentTarget.value)}>
        {policies.map((p) => (
          <option key={p}>{p}</option>
        ))}
      </select>
      <button type="button" onClick={() => name && onAttach(name)}>
        Attach
      </button>
    </div>
  );
}

function XmlPane({ bundle, file, readOnly, problems, onChange }: { bundle: Bundle; file: string; readOnly: boolean; problems: FieldProblem[]; onChange: (text: string) => void }) {
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<XmlEditor | undefined>(undefined);
  const [loadError, setLoadError] = useState<string>();
  useEffect(() => {
    let live = true;
    import('./xml-editor.js').then(
      ({ createXmlEditor }) => {
        if (!live || !host.current) return;
        editor.current = createXmlEditor(host.current, bundle.text(file), `XML of ${file.slice(ROOT.length)}`, onChange, readOnly);
        editor.current.showProblems(problems);
      },
      () => setLoadError('The XML editor could not be loaded.'),
    );
    return () => {
      live = false;
      editor.current?.destroy();
      editor.current = undefined;
    };
  }, [file]);
  useEffect(() => editor.current?.showProblems(problems), [problems]);
  return (
    <>
      {loadError ? <Notice kind="error">{loadError}</Notice> : null}
      <div ref={host} class="xml-editor" data-file={file} />
      {problems.length ? (
        <ul class="problems" aria-label="Problems in this file">
          {problems.map((p, i) => (
            <li key={i}>
              {p.line ? `Line ${p.line}: ` : ''}
              {p.message}
            </li>
          ))}
        </ul>
      ) : null}
    </>
  );
}

