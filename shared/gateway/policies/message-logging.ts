// MessageLogging: writes a message (a template) as one structured log line
// of the proxy function (CloudWatch on AWS: where Apigee's File and
// CloudLogging targets write), and to a syslog server where one is
// configured (UDP, TCP or TLS, RFC 5424 framing with FormatMessage), through
// the SSRF guard. What the message says is the proxy author's choice; nothing
// else of the call (headers, credentials) is added to it.
import * as z from 'zod';
import { OutboundCallError } from './services.js';
import { defineFaults, raise, render } from './common.js';
import { definePolicy, policyXml } from './define-policy.js';
import { el, optional, type XmlElement } from './xml-model.js';

export const MESSAGE_LOGGING_FAULTS = defineFaults({
  StepDefinitionExecutionFailed: ['steps.messagelogging.StepDefinitionExecutionFailed', 500],
});

const LEVELS = ['EMERGENCY', 'ALERT', 'CRITICAL', 'ERROR', 'WARNING', 'NOTICE', 'INFO', 'DEBUG'] as const;

const schema = z.lazy(() => z.object({
  /** The log line's message (File, CloudLogging, or the Syslog message when only Syslog is given). */
  message: z.string().optional(),
  /** Where Apigee's CloudLogging would file it, kept as a field of the line. */
  logName: z.string().optional(),
  contentType: z.string().optional(),
  labels: z.array(z.object({ key: z.string().min(1), value: z.string() })).default([]),
  syslog: z
    .object({
      message: z.string(),
      host: z.string().min(1),
      port: z.number().int().min(1).max(65535).default(514),
      protocol: z.enum(['UDP', 'TCP']).default('UDP'),
      tls: z.boolean().default(false),
      formatMessage: z.boolean().default(false),
    })
    .optional(),
  logLevel: z.enum(LEVELS).default('INFO'),
}));

const messageOf = (element: XmlElement | undefined) => element?.child('Message');

export const messageLogging = definePolicy({
  type: 'MessageLogging',
  schema,
  faults: MESSAGE_LOGGING_FAULTS,
  services: ['log'],
  execute: async ({ config, exchange, policy, services: { log } }) => {
    const text = config.message !== undefined ? render(exchange, config.message) : config.syslog ? render(exchange, config.syslog.message) : '';
    const labels = Object.fromEntries(config.labels.map((label) => [label.key, render(exchange, label.value)]));
    let payload: unknown = text;
    if (config.contentType?.includes('json')) {
      try {
        payload = JSON.parse(text);
      } catch {
        payload = text;
      }
    }
    log.write({ policy: policy.name, level: config.logLevel, messageId: exchange.get('messageid'), ...(config.logName ? { logName: render(exchange, config.logName) } : {}), ...(config.labels.length ? { labels } : {}), message: payload });
    if (!config.syslog) return;
    const line = config.syslog.formatMessage ? rfc5424(render(exchange, config.syslog.message), config.logLevel, String(exchange.get('apiproxy.name') ?? '-'), String(exchange.get('messageid') ?? '-')) : render(exchange, config.syslog.message);
    try {
      await log.syslog({ host: render(exchange, config.syslog.host), port: config.syslog.port, protocol: config.syslog.protocol, tls: config.syslog.tls }, line);
    } catch (error) {
      if (!(error instanceof OutboundCallError)) throw error;
      throw raise(MESSAGE_LOGGING_FAULTS, 'StepDefinitionExecutionFailed', `${policy.name}: the syslog message could not be sent (${error.message})`);
    }
  },
});

export const messageLoggingXml = /* @__PURE__ */ policyXml(messageLogging, {
  fromXml: (root) => {
    const syslog = root.child('Syslog');
    const file = root.child('File');
    const cloud = root.child('CloudLogging');
    // Where a file goes and how it rotates is the platform's business here: the message becomes a log line.
    for (const name of ['FileName', 'FileRotationOptions']) file?.child(name)?.consume();
    cloud?.child('ResourceType')?.consume();
    cloud?.child('Resource')?.consume();
    syslog?.child('DateFormat')?.consume();
    const message = messageOf(cloud) ?? messageOf(file);
    const ssl = syslog?.child('SSLInfo');
    const tls = ssl?.child('Enabled')?.bool() ?? false;
    ssl?.child('TrustStore')?.consume();
    const level = root.child('logLevel') ?? root.child('LogLevel');
    return {
      message: message?.text(),
      contentType: message?.attr('contentType') || undefined,
      logName: cloud?.childText('LogName') || undefined,
      labels: (cloud?.child('Labels')?.all('Label') ?? []).map((label) => ({ key: label.childText('Key'), value: label.childText('Value') ?? '' })),
      syslog: syslog
        ? {
            message: messageOf(syslog)?.text() ?? '',
            host: syslog.childText('Host'),
            port: syslog.child('Port')?.int(),
            protocol: syslog.child('Protocol')?.oneOf(['UDP', 'TCP'] as const),
            tls,
            formatMessage: syslog.child('FormatMessage')?.bool(),
          }
        : undefined,
      logLevel: level?.oneOf(LEVELS),
    };
  },
  toXml: (config) => ({
    children: [
      config.message !== undefined
        ? el('CloudLogging', {}, [
            optional('LogName', config.logName),
            el('Message', { contentType: config.contentType }, config.message),
            config.labels.length ? el('Labels', {}, config.labels.map((label) => el('Label', {}, [el('Key', {}, label.key), el('Value', {}, label.value)]))) : undefined,
          ])
        : undefined,
      config.syslog
        ? el('Syslog', {}, [
            el('Message', {}, config.syslog.message),
            el('Host', {}, config.syslog.host),
            el('Port', {}, config.syslog.port),
            el('Protocol', {}, config.syslog.protocol),
            el('FormatMessage', {}, config.syslog.formatMessage),
            config.syslog.tls ? el('SSLInfo', {}, [el('Enabled', {}, true)]) : undefined,
          ])
        : undefined,
      el('logLevel', {}, config.logLevel),
    ].filter((node) => node !== undefined),
  }),
});

/** RFC 5424: `<PRI>1 TIMESTAMP HOST APP PROCID MSGID - MSG`, facility user (1). */
function rfc5424(message: string, level: (typeof LEVELS)[number], app: string, messageId: string): string {
  const priority = 8 + LEVELS.indexOf(level);
  return `<${priority}>1 ${new Date().toISOString()} tollgate ${app.replace(/\s/g, '_') || '-'} - ${messageId.replace(/\s/g, '_') || '-'} - ${message}`;
}
