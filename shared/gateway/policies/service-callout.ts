// ServiceCallout: calls another service in the middle of a flow. The request
// is a message the flow already made (`<Request variable="..">`) or one built
// here with AssignMessage's actions (Set, Add, Copy, Remove); the URL (a
// message template) goes through the SSRF guard with a timeout; the response
// is stored as a message under `<Response>` (`calloutResponse.content`,
// `.status.code`, `.header.X`). Without `<Response>` the answer is not kept.
// An error status from the service faults the step, as in Apigee, unless the
// connection's `success.codes` lists it.
import * as z from 'zod';
import { HeaderMap, Message } from '../engine/message.js';
import type { PolicyExchange } from '../engine/policy.js';
import { isSuccessCode } from '../engine/target.js';
import { actionsFromXml, actionsToXml, applyActions, ActionSchema } from './assign-message.js';
import { defineFaults, raise, render } from './common.js';
import { definePolicy, policyXml } from './define-policy.js';
import { hasTemplate } from '../language/template.js';
import { el, optional } from './xml-model.js';
import { OutboundCallError } from './services.js';

export const SERVICE_CALLOUT_FAULTS = defineFaults({
  ExecutionFailed: ['steps.servicecallout.ExecutionFailed', 500],
  RequestVariableNotMessageType: ['steps.servicecallout.RequestVariableNotMessageType', 500],
  RequestVariableNotRequestMessageType: ['steps.servicecallout.RequestVariableNotRequestMessageType', 500],
});

const schema = z.lazy(() => z.object({
  request: z
    .object({
      /** The message to send: an existing one by name, or a new one made under this name. */
      variable: z.string().min(1).optional(),
      clearPayload: z.boolean().default(false),
      actions: z.array(ActionSchema).default([]),
    })
    .default({ clearPayload: false, actions: [] }),
  /** Variable the response message is stored under; absent: the response is not kept. */
  response: z.string().min(1).optional(),
  /** Milliseconds for the whole call. */
  timeoutMs: z.number().int().min(1).max(120_000).default(25_000),
  /** HTTPTargetConnection: the URL, a message template (`http://{host}/x`). */
  url: z.string().min(1).max(4000),
  properties: z.record(z.string(), z.string()).default({}),
}));

type Config = z.infer<typeof schema>;

/** The message to send: the named one, or a new GET request (`createNew` semantics) built by the actions. */
function requestMessage(config: Config, exchange: PolicyExchange): Message {
  const name = config.request.variable;
  const existing = name ? exchange.messages.get(name) ?? (name === 'request' ? exchange.request : undefined) : undefined;
  const message = existing ?? new Message({ verb: 'GET', path: '/' });
  if (name && !existing) exchange.messages.set(name, message);
  applyActions(exchange, message, config.request.actions);
  return message;
}

export const serviceCallout = definePolicy({
  type: 'ServiceCallout',
  schema,
  faults: SERVICE_CALLOUT_FAULTS,
  references: (config) => ({ urls: hasTemplate(config.url) ? [] : [config.url] }),
  services: ['http'],
  execute: async ({ config, exchange, policy, services: { http } }) => {
    const message = requestMessage(config, exchange);
    const url = render(exchange, config.url);
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      throw raise(SERVICE_CALLOUT_FAULTS, 'ExecutionFailed', `Execution of ServiceCallout ${policy.name} failed. Reason: the URL ${url} is not valid`);
    }
    // The path and query of a request built here extend the URL; the flow's own request keeps the URL as written.
    if (message !== exchange.request) {
      for (const [name, value] of message.query) target.searchParams.append(name, value);
      if (message.path && message.path !== '/') target.pathname = target.pathname.replace(/\/+$/, '') + message.path;
    }
    exchange.set(`servicecallout.${policy.name}.target.url`, target.toString());
    exchange.set('servicecallout.requesturi', target.pathname + target.search);
    const headers: Record<string, string[]> = {};
    for (const [name, values] of message.headers.list()) if (!['host', 'content-length', 'connection'].includes(name.toLowerCase())) headers[name] = values;
    let answer;
    try {
      answer = await http.request({
        url: target.toString(),
        method: message.verb,
        headers,
        ...(message.body.length ? { body: message.body } : {}),
        timeoutMs: config.timeoutMs,
        ...(config.properties['connect.timeout.millis'] ? { connectTimeoutMs: Number(config.properties['connect.timeout.millis']) } : {}),
      });
    } catch (error) {
      if (!(error instanceof OutboundCallError)) throw error;
      const timedOut = error.kind === 'timeout' || error.kind === 'connect_timeout';
      throw raise(SERVICE_CALLOUT_FAULTS, 'ExecutionFailed', `Execution of ServiceCallout ${policy.name} failed. Reason: ${timedOut ? 'timeout occurred' : error.message}`);
    }
    if (config.request.clearPayload) message.body = Buffer.alloc(0);
    const responseHeaders = new HeaderMap();
    for (const [name, value] of Object.entries(answer.headers)) {
      if (name === 'transfer-encoding' || name === 'connection' || name === 'keep-alive') continue;
      try {
        responseHeaders.set(name, value);
      } catch {
        // A header no HTTP client would send back stays out of the message.
      }
    }
    const response = new Message({ status: answer.status, headers: responseHeaders, body: answer.body });
    if (config.response) exchange.messages.set(config.response, response);
    const successCodes = config.properties['success.codes'];
    if (!(successCodes ? isSuccessCode(successCodes, answer.status) : answer.status < 400)) {
      throw raise(SERVICE_CALLOUT_FAULTS, 'ExecutionFailed', `Execution of ServiceCallout ${policy.name} failed. Reason: ResponseCode ${answer.status} is treated as error`);
    }
  },
});

export const serviceCalloutXml = /* @__PURE__ */ policyXml(serviceCallout, {
  fromXml: (root) => {
    const request = root.child('Request');
    const connection = root.child('HTTPTargetConnection');
    const local = root.child('LocalTargetConnection');
    if (local) local.report('local target connections (calling another proxy in-process) are not supported; use an HTTP URL', { kind: 'unsupported' });
    if (!connection && !local) root.report('an <HTTPTargetConnection> with a <URL> is required');
    // TLS follows the URL scheme and certificates are always validated.
    const ssl = connection?.child('SSLInfo');
    ssl?.child('Enabled')?.bool();
    if (ssl?.child('ClientAuthEnabled')?.bool()) ssl.child('ClientAuthEnabled')!.report('client certificates are not supported', { kind: 'unsupported' });
    if (ssl?.child('IgnoreValidationErrors')?.bool()) ssl.child('IgnoreValidationErrors')!.report('TLS certificates are always validated', { kind: 'unsupported' });
    request?.child('IgnoreUnresolvedVariables')?.consume();
    const properties = Object.fromEntries(
      (connection?.child('Properties')?.all('Property') ?? []).map((property) => [property.attr('name') ?? '', property.text()]),
    );
    const timeout = root.child('Timeout')?.int();
    return {
      request: request
        ? { variable: request.attr('variable') || undefined, clearPayload: request.bool('clearPayload'), actions: actionsFromXml(request) }
        : undefined,
      response: root.childText('Response') || undefined,
      timeoutMs: timeout ?? (properties['io.timeout.millis'] ? Number(properties['io.timeout.millis']) : undefined),
      url: connection?.childText('URL'),
      properties,
    };
  },
  toXml: (config) => ({
    children: [
      el('Request', { clearPayload: config.request.clearPayload || undefined, variable: config.request.variable }, actionsToXml(config.request.actions)),
      optional('Response', config.response),
      el('Timeout', {}, config.timeoutMs),
      el('HTTPTargetConnection', {}, [
        Object.keys(config.properties).length ? el('Properties', {}, Object.entries(config.properties).map(([name, value]) => el('Property', { name }, value))) : undefined,
        el('URL', {}, config.url),
      ]),
    ].filter((node) => node !== undefined),
  }),
});
