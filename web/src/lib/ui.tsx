// Small shared pieces of the console and the portal: forms whose fields show
// the server's field errors next to them (and keep what was typed), alerts,
// modal dialogs, confirmations, masked secrets, loading states.
import type { ComponentChildren, TargetedEvent } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type FieldProblem } from './api.js';

export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []) {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((previous) => ({ ...previous, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) => live && setState({ error: asApiError(error), loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { ...state, reload: useCallback(() => setTick((n) => n + 1), []) };
}

export function asApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError(0, 'client_error', error instanceof Error ? error.message : String(error));
}

/** Problems that belong to a field: its path, or anything below it. */
export function problemsAt(problems: FieldProblem[], path: string): FieldProblem[] {
  return problems.filter((p) => p.path === path || p.path.startsWith(`${path}.`) || p.path.startsWith(`${path}[`));
}

export interface FormState<T> {
  values: T;
  set: <K extends keyof T>(name: K, value: T[K]) => void;
  bind: (name: keyof T & string) => { value: string; onInput: (event: TargetedEvent<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>) => void };
  error?: ApiError;
  busy: boolean;
  /** Runs the save; on failure the values stay and the errors show. */
  submit: (save: (values: T) => Promise<void>) => (event?: Event) => Promise<void>;
  setError: (error: ApiError | undefined) => void;
}

export function useForm<T extends Record<string, unknown>>(initial: T): FormState<T> {
  const [values, setValues] = useState(initial);
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof T>(name: K, value: T[K]) => setValues((previous) => ({ ...previous, [name]: value }));
  return {
    values,
    set,
    bind: (name) => ({
      value: String(values[name] ?? ''),
      onInput: (event) => set(name, event.currentTarget.value as T[typeof name]),
    }),
    error,
    busy,
    setError,
    submit: (save) => async (event) => {
      event?.preventDefault();
      setBusy(true);
      setError(undefined);
      try {
        await save(values);
      } catch (caught) {
        setError(asApiError(caught));
      } finally {
        setBusy(false);
      }
    },
  };
}

let ids = 0;
const useId = (prefix: string) => useRef(`${prefix}-${++ids}`).current;

export interface FieldProps {
  label: string;
  /** The field's path in the server's error `fields`. */
  path: string;
  error?: ApiError | undefined;
  value: string;
  onInput: (event: TargetedEvent<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>) => void;
  type?: string;
  required?: boolean;
  hint?: string;
  placeholder?: string;
  autocomplete?: string;
  options?: (string | [value: string, label: string])[];
  multiline?: boolean;
  name?: string;
}

export function Field(props: FieldProps) {
  const id = useId('field');
  const problems = problemsAt(props.error?.fields ?? [], props.path);
  const described = [props.hint ? `${id}-hint` : '', problems.length ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    name: props.name ?? props.path,
    value: props.value,
    onInput: props.onInput,
    required: props.required,
    'aria-invalid': problems.length ? ('true' as const) : undefined,
    'aria-describedby': described,
  };
  return (
    <div class={`field${problems.length ? ' invalid' : ''}`}>
      <label for={id}>
        {props.label}
        {props.required ? <span aria-hidden="true"> *</span> : null}
      </label>
      {props.options ? (
        <select {...common} onChange={props.onInput}>
          {props.options.map((option) => {
            const [value, label] = Array.isArray(option) ? option : [option, option];
            return (
              <option key={value} value={value}>
                {label}
              </option>
            );
          })}
        </select>
      ) : props.multiline ? (
        <textarea {...common} rows={4} placeholder={props.placeholder} />
      ) : (
        <input {...common} type={(props.type ?? 'text') as 'text'} placeholder={props.placeholder} autocomplete={props.autocomplete} />
      )}
      {props.hint ? (
        <p class="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      ) : null}
      {problems.length ? (
        <p class="field-error" id={`${id}-error`}>
          {problems.map((p) => p.message).join('; ')}
        </p>
      ) : null}
    </div>
  );
}

/** The error of a failed request; field problems no field claims are listed too, so none is hidden. */
export function ErrorAlert({ error, claimed = [] }: { error?: ApiError | undefined; claimed?: string[] }) {
  if (!error) return null;
  const unclaimed = error.fields.filter((p) => !claimed.some((path) => problemsAt([p], path).length));
  return (
    <div class="alert error" role="alert">
      <p>{error.message}</p>
      {unclaimed.length ? (
        <ul>
          {unclaimed.map((p, i) => (
            <li key={i}>
              {p.path}: {p.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

export function Notice({ children, kind = 'info' }: { children: ComponentChildren; kind?: 'info' | 'success' | 'error' }) {
  return (
    <div class={`alert ${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

/** Says, where a page would offer only a form that writes, that the caller's role can only read. */
export function ReadOnlyNote({ children }: { children: ComponentChildren }) {
  return <p class="muted">Your role can only read: {children}</p>;
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p class="loading" role="status">
      {what}…
    </p>
  );
}

/** A modal <dialog>: focus moves into it, Escape closes it, focus returns afterwards. */
export function Dialog({ title, onClose, children, wide }: { title: string; onClose: () => void; children: ComponentChildren; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId('dialog');
  useEffect(() => {
    const dialog = ref.current!;
    const opener = document.activeElement as HTMLElement | null;
    if (!dialog.open) dialog.showModal();
    return () => opener?.focus?.();
  }, []);
  return (
    <dialog ref={ref} class={wide ? 'wide' : ''} aria-labelledby={`${id}-title`} onClose={onClose} onCancel={onClose}>
      <div class="dialog-head">
        <h2 id={`${id}-title`}>{title}</h2>
        <button type="button" class="icon" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </div>
      {children}
    </dialog>
  );
}

/** A button that asks before it does something that cannot be undone. */
export function ConfirmButton(props: { label: string; title: string; message: ComponentChildren; confirm?: string; onConfirm: () => Promise<unknown>; class?: string; ariaLabel?: string }) {
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  return (
    <>
      <button type="button" class={props.class ?? 'danger'} aria-label={props.ariaLabel} onClick={() => setOpen(true)}>
        {props.label}
      </button>
      {open ? (
        <Dialog title={props.title} onClose={() => setOpen(false)}>
          <div class="dialog-body">{props.message}</div>
          <ErrorAlert error={error} />
          <div class="actions">
            <button type="button" onClick={() => setOpen(false)}>
              Cancel
            </button>
            <button
              type="button"
              class="danger"
              disabled={busy}
              onClick={async () => {
                setBusy(true);
                try {
                  await props.onConfirm();
                  setOpen(false);
                } catch (caught) {
                  setError(asApiError(caught));
                } finally {
                  setBusy(false);
                }
              }}
            >
              {props.confirm ?? 'Delete'}
            </button>
          </div>
        </Dialog>
      ) : null}
    </>
  );
}

/** A secret shown masked, with Show and Copy; `masked={false}` for identifiers (a consumer key) that need only Copy. */
export function Secret({ label, value, testId, masked = true }: { label: string; value: string; testId?: string; masked?: boolean }) {
  const [revealed, setShown] = useState(false);
  const shown = revealed || !masked;
  const [copied, setCopied] = useState(false);
  return (
    <div class="secret">
      <span class="secret-label">{label}</span>
      <code data-testid={testId} data-value={shown ? value : undefined}>
        {shown ? value : '•'.repeat(Math.min(24, value.length))}
      </code>
      {masked ? (
        <button type="button" aria-label={`${shown ? 'Hide' : 'Show'} ${label}`} aria-pressed={shown} onClick={() => setShown(!shown)}>
          {shown ? 'Hide' : 'Show'}
        </button>
      ) : null}
      <button
        type="button"
        aria-label={`Copy ${label}`}
        onClick={async () => {
          await navigator.clipboard?.writeText(value).catch(() => undefined);
          setCopied(true);
          setTimeout(() => setCopied(false), 1500);
        }}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ComponentChildren }) {
  useEffect(() => {
    document.title = `${title} · Tollgate`;
  }, [title]);
  return (
    <div class="page-header">
      <h1 tabIndex={-1}>{title}</h1>
      <div class="page-actions">{children}</div>
    </div>
  );
}

export function Tabs<T extends string>({ tabs, current, onChange, label }: { tabs: [T, string][]; current: T; onChange: (tab: T) => void; label: string }) {
  return (
    <div role="tablist" aria-label={label} class="tabs">
      {tabs.map(([value, text]) => (
        <button
          key={value}
          type="button"
          role="tab"
          aria-selected={current === value}
          tabIndex={current === value ? 0 : -1}
          onClick={() => onChange(value)}
          onKeyDown={(event) => {
            const index = tabs.findIndex(([v]) => v === value);
            const next = event.key === 'ArrowRight' ? index + 1 : event.key === 'ArrowLeft' ? index - 1 : -1;
            if (next < 0 && event.key !== 'ArrowLeft') return;
            const target = tabs[(next + tabs.length) % tabs.length]!;
            onChange(target[0]);
            ((event.currentTarget.parentElement?.children[(next + tabs.length) % tabs.length]) as HTMLElement | undefined)?.focus();
          }}
        >
          {text}
        </button>
      ))}
    </div>
  );
}

/** A data table: the caption for screen readers, one header row, the rows given. */
export function Table({ caption, columns, children }: { caption?: string; columns: string[]; children: ComponentChildren }) {
  return (
    <table>
      {caption ? <caption class="sr-only">{caption}</caption> : null}
      <thead>
        <tr>
          {columns.map((column) => (
            <th scope="col" key={column}>
              {column}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}

/** The one row of a table with nothing to show, saying so. */
export function EmptyRow({ columns, children }: { columns: number; children: ComponentChildren }) {
  return (
    <tr>
      <td colSpan={columns} class="muted">
        {children}
      </td>
    </tr>
  );
}

/** "Loading…" until the first answer, then the error if the load failed. */
export function LoadState({ load }: { load: { loading: boolean; data?: unknown; error?: ApiError | undefined } }) {
  return load.loading && load.data === undefined ? <Loading /> : <ErrorAlert error={load.error} />;
}

/** A form's buttons: Cancel (when given) and the submit button, disabled while the save runs. */
export function FormActions({ submit, busy, onCancel }: { submit: string; busy?: boolean; onCancel?: () => void }) {
  return (
    <div class="actions">
      {onCancel ? (
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      ) : null}
      <button type="submit" class="primary" disabled={busy}>
        {submit}
      </button>
    </div>
  );
}
