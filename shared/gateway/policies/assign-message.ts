// AssignMessage: copies, removes, adds and sets headers, query and form
// parameters, payload, verb, path and status on a message (the current one, or
// a new one named by AssignTo), and assigns flow variables. Actions run in the
// order they are listed, as in Apigee. Values are message templates.
import * as z from 'zod';
import { el, innerXml, optional, type XmlElement, type XmlNode } from './xml-model.js';
import type { PolicyExchange } from '../engine/policy.js';
import { Message } from '../engine/message.js';
import { definePolicy, policyXml } from './define-policy.js';
import { stringify } from '../language/template.js';
import { nameValuesFromXml, nameValuesToXml, NameValueSchema, render, textOf, type NameValue } from './common.js';

/** `true` means "all" (Apigee's empty <Headers/>), a list names the ones meant. */
const Selection = z.lazy(() => z.union([z.literal(true), z.array(z.string().min(1))]));

const PayloadSchema = z.lazy(() => z.object({
  contentType: z.string().optional(),
  content: z.string(),
  variablePrefix: z.string().default('{'),
  variableSuffix: z.string().default('}'),
}));

export const CopySchema = z.lazy(() => z.object({
  source: z.string().optional(),
  headers: Selection.optional(),
  queryParams: Selection.optional(),
  formParams: Selection.optional(),
  payload: z.boolean().optional(),
  verb: z.boolean().optional(),
  path: z.boolean().optional(),
  statusCode: z.boolean().optional(),
  reasonPhrase: z.boolean().optional(),
  /** HTTP version: read and exported; every message here is HTTP/1.1. */
  version: z.boolean().optional(),
}));

export const RemoveSchema = z.lazy(() => z.object({
  headers: Selection.optional(),
  queryParams: Selection.optional(),
  formParams: Selection.optional(),
  payload: z.boolean().optional(),
}));

export const AddSchema = z.lazy(() => z.object({
  headers: z.array(NameValueSchema).optional(),
  queryParams: z.array(NameValueSchema).optional(),
  formParams: z.array(NameValueSchema).optional(),
}));

export const SetSchema = z.lazy(() => AddSchema.unwrap().extend({
  payload: PayloadSchema.optional(),
  verb: z.string().optional(),
  path: z.string().optional(),
  statusCode: z.union([z.string(), z.number()]).optional(),
  reasonPhrase: z.string().optional(),
  /** HTTP version: read and exported; every message here is HTTP/1.1. */
  version: z.string().optional(),
}));

export const AssignVariableSchema = z.lazy(() => z.object({
  name: z.string().min(1),
  value: z.string().optional(),
  ref: z.string().optional(),
  template: z.string().optional(),
  /** `<Template ref="v"/>`: the template is the value of variable v. */
  templateRef: z.string().optional(),
  /** `<PropertySetRef>set.key</PropertySetRef>`: the value of `propertyset.set.key`. */
  propertySetRef: z.string().optional(),
  /** `<ResourceURL>oas://spec.yaml</ResourceURL>`: the content of a resource of the revision. */
  resourceUrl: z.string().regex(/^[A-Za-z0-9_-]+:\/\/[^\s]+$/).optional(),
}));

export const ActionSchema = z.lazy(() => z.union([
  z.object({ copy: CopySchema }),
  z.object({ remove: RemoveSchema }),
  z.object({ add: AddSchema }),
  z.object({ set: SetSchema }),
  z.object({ assignVariable: AssignVariableSchema }),
]));

export type Action = z.infer<typeof ActionSchema>;

/** The message changes AssignMessage and RaiseFault's FaultResponse share. */
export const MessageChangesSchema = z.lazy(() => z.object({
  /** Actions in order. The shorthand keys below run after them, in Apigee's documented order. */
  actions: z.array(ActionSchema).default([]),
  assignVariables: z.array(AssignVariableSchema).default([]),
  copy: CopySchema.optional(),
  remove: RemoveSchema.optional(),
  add: AddSchema.optional(),
  set: SetSchema.optional(),
}));
export type MessageChanges = Partial<z.output<typeof MessageChangesSchema>>;

const schema = z.lazy(() => MessageChangesSchema.unwrap().extend({
  assignTo: z
    .object({
      name: z.string().optional(),
      createNew: z.boolean().default(false),
      type: z.enum(['request', 'response']).default('request'),
    })
    .optional(),
  ignoreUnresolvedVariables: z.boolean().default(true),
}));

function formOf(message: Message): URLSearchParams {
  return message.formParams();
}

function writeForm(message: Message, form: URLSearchParams): void {
  message.content = form.toString();
  if (!message.headers.has('content-type')) message.headers.set('Content-Type', 'application/x-www-form-urlencoded');
}

function selected(all: string[], selection: true | string[]): string[] {
  if (selection === true) return all;
  const wanted = new Set(selection.map((name) => name.toLowerCase()));
  return all.filter((name) => wanted.has(name.toLowerCase()));
}

export function applyActions(exchange: PolicyExchange, message: Message, actions: Action[]): void {
  const text = (value: string) => render(exchange, value);
  for (const action of actions) {
    if ('copy' in action) {
      const { copy } = action;
      const source = exchange.messageByName(copy.source ?? (exchange.phase === 'request' ? 'request' : 'response'));
      if (!source) continue;
      if (copy.headers) for (const name of selected(source.headers.names(), copy.headers)) message.headers.set(name, source.headers.getAll(name));
      if (copy.queryParams) {
        for (const name of selected([...new Set(source.query.keys())], copy.queryParams)) {
          message.query.delete(name);
          for (const value of source.query.getAll(name)) message.query.append(name, value);
        }
      }
      if (copy.formParams) {
        const from = formOf(source);
        const to = formOf(message);
        for (const name of selected([...new Set(from.keys())], copy.formParams)) {
          to.delete(name);
          for (const value of from.getAll(name)) to.append(name, value);
        }
        writeForm(message, to);
      }
      if (copy.payload) {
        message.body = Buffer.from(source.body);
        const type = source.headers.get('content-type');
        if (type) message.headers.set('Content-Type', type);
      }
      if (copy.verb) message.verb = source.verb;
      if (copy.path) message.path = source.path;
      if (copy.statusCode) message.status = source.status;
      if (copy.reasonPhrase) message.reasonPhrase = source.reasonPhrase;
    } else if ('remove' in action) {
      const { remove } = action;
      if (remove.headers) for (const name of selected(message.headers.names(), remove.headers)) message.headers.delete(name);
      if (remove.queryParams) for (const name of selected([...new Set(message.query.keys())], remove.queryParams)) message.query.delete(name);
      if (remove.formParams) {
        const form = formOf(message);
        for (const name of selected([...new Set(form.keys())], remove.formParams)) form.delete(name);
        writeForm(message, form);
      }
      if (remove.payload) message.body = Buffer.alloc(0);
    } else if ('add' in action || 'set' in action) {
      const isSet = 'set' in action;
      const change = isSet ? action.set : action.add;
      const pairs = (list: NameValue[] | undefined) => (list ?? []).map(({ name, value }) => [name, text(value)] as const);
      for (const [name, value] of pairs(change.headers)) {
        if (isSet) message.headers.set(name, value);
        else message.headers.add(name, value);
      }
      for (const [name, value] of pairs(change.queryParams)) {
        if (isSet) message.query.set(name, value);
        else message.query.append(name, value);
      }
      if (change.formParams?.length) {
        const form = formOf(message);
        for (const [name, value] of pairs(change.formParams)) {
          if (isSet) form.set(name, value);
          else form.append(name, value);
        }
        writeForm(message, form);
      }
      if (isSet) {
        const set = action.set;
        if (set.payload) {
          message.content = render(exchange, set.payload.content, set.payload.variablePrefix, set.payload.variableSuffix);
          if (set.payload.contentType) message.headers.set('Content-Type', text(set.payload.contentType));
        }
        if (set.verb) message.verb = text(set.verb).toUpperCase();
        if (set.path) message.path = text(set.path);
        if (set.statusCode !== undefined) {
          const status = Number(text(String(set.statusCode)));
          if (Number.isInteger(status) && status >= 100 && status <= 599) message.status = status;
        }
        if (set.reasonPhrase) message.reasonPhrase = text(set.reasonPhrase);
      }
    } else {
      const { assignVariable } = action;
      const absent = (candidate: unknown) => candidate === undefined || candidate === null;
      let value: unknown;
      if (assignVariable.ref) value = exchange.get(assignVariable.ref);
      if (absent(value) && assignVariable.propertySetRef) value = exchange.get(`propertyset.${assignVariable.propertySetRef}`);
      if (absent(value) && assignVariable.templateRef) {
        const template = exchange.get(assignVariable.templateRef);
        if (!absent(template)) value = text(stringify(template));
      }
      if ((value === undefined || value === null) && assignVariable.template) value = text(assignVariable.template);
      // A <Value> is literal (a <Template> is the templated form), as in Apigee.
      if ((value === undefined || value === null) && assignVariable.value !== undefined) value = assignVariable.value;
      if (value !== undefined && value !== null) exchange.set(assignVariable.name, typeof value === 'string' ? value : stringify(value));
    }
  }
}

/** The ordered action list a config describes: explicit `actions` first, then the shorthand keys. */
export function actionsOf(config: MessageChanges): Action[] {
  const actions: Action[] = [...(config.actions ?? [])];
  for (const assignVariable of config.assignVariables ?? []) actions.push({ assignVariable });
  if (config.copy) actions.push({ copy: config.copy });
  if (config.remove) actions.push({ remove: config.remove });
  if (config.add) actions.push({ add: config.add });
  if (config.set) actions.push({ set: config.set });
  return actions;
}

// ---------------------------------------------------------------------------
// Apigee XML: <Copy>, <Remove>, <Add>, <Set> and <AssignVariable> in document order.

type Selection = z.infer<typeof Selection>;

/** `<Headers/>` means all; `<Headers><Header name="a"/></Headers>` the ones named. */
function selectionFromXml(parent: XmlElement, containerName: string, childName: string): Selection | undefined {
  const container = parent.child(containerName);
  if (!container) return undefined;
  const named = container.all(childName);
  if (named.length === 0) return true;
  return named.flatMap((child) => {
    const name = child.attr('name');
    if (!name) child.report('the name attribute is required', { attribute: 'name' });
    return name ? [name] : [];
  });
}

function selectionToXml(containerName: string, childName: string, selection: Selection | undefined): XmlNode | undefined {
  if (selection === undefined || (Array.isArray(selection) && selection.length === 0)) return undefined;
  return el(containerName, {}, selection === true ? undefined : selection.map((name) => el(childName, { name })));
}

const flag = (parent: XmlElement, name: string) => parent.child(name)?.bool() || undefined;
const flagToXml = (name: string, value: boolean | undefined) => (value ? el(name, {}, true) : undefined);

function parametersFromXml(element: XmlElement) {
  return {
    headers: nameValuesFromXml(element.child('Headers'), 'Header'),
    queryParams: nameValuesFromXml(element.child('QueryParams'), 'QueryParam'),
    formParams: nameValuesFromXml(element.child('FormParams'), 'FormParam'),
  };
}

function parametersToXml(change: z.infer<typeof AddSchema>): (XmlNode | undefined)[] {
  return [
    nameValuesToXml('Headers', 'Header', change.headers),
    nameValuesToXml('QueryParams', 'QueryParam', change.queryParams),
    nameValuesToXml('FormParams', 'FormParam', change.formParams),
  ];
}

const ACTION_ELEMENTS = new Set(['Copy', 'Remove', 'Add', 'Set', 'AssignVariable']);

/** The ordered actions under an AssignMessage root or a RaiseFault FaultResponse. */
export function actionsFromXml(parent: XmlElement): unknown[] {
  return parent.children
    .filter((child) => ACTION_ELEMENTS.has(child.name))
    .map((child) => {
      child.used = true;
      switch (child.name) {
        case 'Copy':
          return {
            copy: {
              source: child.attr('source') || undefined,
              headers: selectionFromXml(child, 'Headers', 'Header'),
              queryParams: selectionFromXml(child, 'QueryParams', 'QueryParam'),
              formParams: selectionFromXml(child, 'FormParams', 'FormParam'),
              payload: flag(child, 'Payload'),
              verb: flag(child, 'Verb'),
              path: flag(child, 'Path'),
              statusCode: flag(child, 'StatusCode'),
              reasonPhrase: flag(child, 'ReasonPhrase'),
              version: flag(child, 'Version'),
            },
          };
        case 'Remove':
          return {
            remove: {
              headers: selectionFromXml(child, 'Headers', 'Header'),
              queryParams: selectionFromXml(child, 'QueryParams', 'QueryParam'),
              formParams: selectionFromXml(child, 'FormParams', 'FormParam'),
              payload: flag(child, 'Payload'),
            },
          };
        case 'Add':
          return { add: parametersFromXml(child) };
        case 'Set': {
          const payload = child.child('Payload');
          // A payload written as markup is that markup (templates inside it stay templates).
          const payloadText = payload ? (payload.children.length ? innerXml(payload) : payload.text()) : undefined;
          return {
            set: {
              ...parametersFromXml(child),
              payload: payload
                ? {
                    contentType: payload.attr('contentType') || undefined,
                    content: payloadText!,
                    variablePrefix: payload.attr('variablePrefix') || undefined,
                    variableSuffix: payload.attr('variableSuffix') || undefined,
                  }
                : undefined,
              verb: textOf(child, 'Verb'),
              path: textOf(child, 'Path'),
              statusCode: textOf(child, 'StatusCode'),
              reasonPhrase: textOf(child, 'ReasonPhrase'),
              version: textOf(child, 'Version'),
            },
          };
        }
        default: {
          const name = child.childText('Name');
          if (!name) child.report('a <Name> is required');
          const value = child.child('Value');
          const template = child.child('Template');
          const propertySet = child.child('PropertySetRef');
          return {
            assignVariable: {
              name,
              value: value ? value.text() : undefined,
              ref: textOf(child, 'Ref'),
              template: template?.text() || undefined,
              templateRef: template?.attr('ref') || undefined,
              propertySetRef: propertySet?.attr('ref') ? undefined : propertySet?.text() || undefined,
              resourceUrl: textOf(child, 'ResourceURL'),
            },
          };
        }
      }
    });
}

export function actionsToXml(actions: Action[]): XmlNode[] {
  return actions.map((action) => {
    if ('copy' in action) {
      const { copy } = action;
      return el('Copy', { source: copy.source }, [
        selectionToXml('Headers', 'Header', copy.headers),
        selectionToXml('QueryParams', 'QueryParam', copy.queryParams),
        selectionToXml('FormParams', 'FormParam', copy.formParams),
        flagToXml('Payload', copy.payload),
        flagToXml('Verb', copy.verb),
        flagToXml('Path', copy.path),
        flagToXml('StatusCode', copy.statusCode),
        flagToXml('ReasonPhrase', copy.reasonPhrase),
        flagToXml('Version', copy.version),
      ]);
    }
    if ('remove' in action) {
      const { remove } = action;
      return el('Remove', {}, [
        selectionToXml('Headers', 'Header', remove.headers),
        selectionToXml('QueryParams', 'QueryParam', remove.queryParams),
        selectionToXml('FormParams', 'FormParam', remove.formParams),
        flagToXml('Payload', remove.payload),
      ]);
    }
    if ('add' in action) return el('Add', {}, parametersToXml(action.add));
    if ('set' in action) {
      const { set } = action;
      return el('Set', {}, [
        ...parametersToXml(set),
        set.payload &&
          el(
            'Payload',
            {
              contentType: set.payload.contentType,
              variablePrefix: set.payload.variablePrefix === '{' ? undefined : set.payload.variablePrefix,
              variableSuffix: set.payload.variableSuffix === '}' ? undefined : set.payload.variableSuffix,
            },
            set.payload.content,
          ),
        optional('Verb', set.verb),
        optional('Path', set.path),
        optional('StatusCode', set.statusCode === undefined ? undefined : String(set.statusCode)),
        optional('ReasonPhrase', set.reasonPhrase),
        optional('Version', set.version),
      ]);
    }
    const { assignVariable } = action;
    return el('AssignVariable', {}, [
      el('Name', {}, assignVariable.name),
      optional('Value', assignVariable.value),
      optional('Ref', assignVariable.ref),
      assignVariable.templateRef !== undefined ? el('Template', { ref: assignVariable.templateRef }) : optional('Template', assignVariable.template),
      optional('PropertySetRef', assignVariable.propertySetRef),
      optional('ResourceURL', assignVariable.resourceUrl),
    ]);
  });
}

export const assignMessage = definePolicy({
  type: 'AssignMessage',
  schema,
  prepare: (config, { resources }) => ({
    // A resource an AssignVariable reads is part of the revision: its content goes in as the variable's value.
    actions: actionsOf(config).map((action) => {
      if (!('assignVariable' in action) || !action.assignVariable.resourceUrl) return action;
      const url = action.assignVariable.resourceUrl;
      const path = url.replace('://', '/');
      const content = resources.get(path);
      if (content === undefined) throw new Error(`resource ${url} is not in the bundle (expected resources/${path})`);
      return { assignVariable: { ...action.assignVariable, resourceUrl: undefined, value: content } };
    }),
  }),
  execute: ({ config, prepared, exchange }) => {
    let message: Message;
    const assignTo = config.assignTo;
    if (assignTo?.createNew) {
      message = new Message({ status: 200, verb: 'GET', path: '/' });
      const name = assignTo.name ?? assignTo.type;
      if (name === 'request' || name === 'response') {
        // Replacing the flow's own message: keep the object identity for the request.
        if (name === 'response') {
          exchange.response = message;
          exchange.hasResponse = true;
        } else {
          const request = exchange.request;
          request.headers.clear();
          request.query = new URLSearchParams();
          request.body = Buffer.alloc(0);
          message = request;
        }
      } else {
        exchange.messages.set(name, message);
      }
    } else {
      const named = assignTo?.name ? exchange.messageByName(assignTo.name) : undefined;
      if (assignTo?.name && !named) {
        message = new Message();
        exchange.messages.set(assignTo.name, message);
      } else {
        message = named ?? (assignTo ? exchange.messageByName(assignTo.type)! : exchange.message);
      }
      if (message === exchange.response) exchange.hasResponse = true;
    }
    applyActions(exchange, message, prepared.actions);
  },
});

export const assignMessageXml = /* @__PURE__ */ policyXml(assignMessage, {
  fromXml: (root) => {
    const assignTo = root.child('AssignTo');
    return {
      assignTo: assignTo
        ? {
            name: assignTo.text() || undefined,
            createNew: assignTo.bool('createNew'),
            type: assignTo.oneOf(['request', 'response'] as const, 'type'),
          }
        : undefined,
      ignoreUnresolvedVariables: root.child('IgnoreUnresolvedVariables')?.bool(),
      actions: actionsFromXml(root),
    };
  },
  toXml: (config) => ({
    children: [
      config.assignTo && el('AssignTo', { createNew: config.assignTo.createNew, transport: 'http', type: config.assignTo.type }, config.assignTo.name ?? ''),
      ...actionsToXml(actionsOf(config)),
      el('IgnoreUnresolvedVariables', {}, config.ignoreUnresolvedVariables),
    ].filter((node) => node !== undefined),
  }),
});
