// MessageLogging: a structured log line with the rendered message, and a
// syslog message over UDP and TCP to loopback servers (RFC 5424 framing).
import dgram from 'node:dgram';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { messageLogging } from '../../../shared/gateway/policies/message-logging.js';
import { MemoryLog, runPolicy, xmlRoundTrip } from '../../support/policy-context.js';

describe('MessageLogging XML', () => {
  it('reads Syslog, CloudLogging and File targets', () => {
    expect(
      xmlRoundTrip(
        messageLogging,
        `<Syslog><Message>[3f509b58 tag="{organization.name}"] Weather request for {request.queryparam.w}.</Message><Host>logs.example.com</Host><Port>6514</Port><Protocol>TCP</Protocol><FormatMessage>true</FormatMessage><SSLInfo><Enabled>true</Enabled></SSLInfo></Syslog>
         <CloudLogging><LogName>projects/{organization.name}/logs/x</LogName><Message contentType="application/json">{"a":"{request.verb}"}</Message><Labels><Label><Key>k</Key><Value>v</Value></Label></Labels></CloudLogging><logLevel>ALERT</logLevel>`,
      ),
    ).toMatchObject({ syslog: { host: 'logs.example.com', port: 6514, protocol: 'TCP', tls: true, formatMessage: true }, logLevel: 'ALERT', contentType: 'application/json', labels: [{ key: 'k', value: 'v' }] });
    expect(xmlRoundTrip(messageLogging, '<File><Message>{request.uri}</Message><FileName>test.log</FileName><FileRotationOptions rotateFileOnStartup="true"><FileRotationType>SIZE</FileRotationType></FileRotationOptions></File>')).toMatchObject({ message: '{request.uri}' });
  });
});

describe('MessageLogging execute', () => {
  it('writes the rendered message as a structured line (JSON messages as JSON)', async () => {
    const log = new MemoryLog();
    await runPolicy(messageLogging, { message: '{"verb":"{request.verb}","path":"{request.path}"}', contentType: 'application/json' }, { services: { log }, name: 'ML-1' });
    expect(log.lines).toEqual([{ policy: 'ML-1', level: 'INFO', messageId: 'message-1', message: { verb: 'GET', path: '/orders' } }]);
  });

  it('sends syslog over UDP and TCP', async () => {
    const udp = dgram.createSocket('udp4');
    const received = new Promise<string>((resolve) => udp.once('message', (message) => resolve(message.toString())));
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    const log = new MemoryLog();
    const port = udp.address().port;
    const udpRun = await runPolicy(messageLogging, { syslog: { message: 'hello {request.verb}', host: '127.0.0.1', port, protocol: 'UDP', formatMessage: true }, logLevel: 'ERROR' }, { services: { log } });
    expect(udpRun.fault).toBeUndefined();
    expect(await received).toMatch(/^<11>1 \d{4}-\d\d-\d\dT[\d:.]+Z tollgate orders - message-1 - hello GET$/);
    udp.close();

    let tcpLine = '';
    let ended!: () => void;
    const done = new Promise<void>((resolve) => (ended = resolve));
    const server = net.createServer((socket) => {
      socket.on('data', (chunk) => (tcpLine += chunk.toString()));
      socket.on('end', ended);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const tcp = await runPolicy(messageLogging, { syslog: { message: 'plain {request.path}', host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, protocol: 'TCP' } }, { services: { log } });
    expect(tcp.fault).toBeUndefined();
    await done;
    expect(tcpLine).toBe('plain /orders\n');
    server.close();
  });

  it('faults when the syslog server cannot be reached or is not allowed', async () => {
    const log = new MemoryLog();
    const blocked = await runPolicy(messageLogging, { syslog: { message: 'x', host: '169.254.169.254', port: 514, protocol: 'TCP' } }, { services: { log } });
    expect(blocked.fault).toMatchObject({ status: 500, errorCode: 'steps.messagelogging.StepDefinitionExecutionFailed' });
  });
});
