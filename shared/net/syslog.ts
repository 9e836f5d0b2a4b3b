// Syslog delivery for MessageLogging: one message to host:port over UDP, TCP
// or TLS, with the same address check as every other outbound call (the
// resolved address, so DNS cannot point a log target at cloud metadata or,
// unless allowed, loopback) and a timeout. TCP framing is a newline (RFC 6587
// non-transparent framing), as Apigee's syslog target sends.
import dgram from 'node:dgram';
import dns from 'node:dns/promises';
import net from 'node:net';
import tls from 'node:tls';
import { addressProblem, OutboundError } from './outbound.js';

export interface SyslogTarget {
  host: string;
  port: number;
  protocol: 'UDP' | 'TCP';
  tls: boolean;
  allowLoopback: boolean;
  timeoutMs?: number;
}

async function resolve(host: string, allowLoopback: boolean): Promise<{ address: string; family: 4 | 6 }> {
  const candidates = net.isIP(host) ? [{ address: host, family: net.isIP(host) as 4 | 6 }] : await dns.lookup(host, { all: true }).catch(() => []);
  const allowed = candidates.find((candidate) => !addressProblem(candidate.address, allowLoopback));
  if (allowed) return { address: allowed.address, family: allowed.family === 6 ? 6 : 4 };
  if (candidates.length === 0) throw new OutboundError('unreachable', `Syslog host ${host} does not resolve`);
  throw new OutboundError('blocked', `Syslog host ${host} resolves only to addresses that are not allowed`);
}

export async function sendSyslog(target: SyslogTarget, message: string): Promise<void> {
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) throw new OutboundError('invalid_url', `Syslog port ${target.port} is not valid`);
  const { address, family } = await resolve(target.host, target.allowLoopback);
  const timeoutMs = target.timeoutMs ?? 3_000;
  const payload = Buffer.from(message, 'utf8');
  if (target.protocol === 'UDP') {
    const socket = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(() => fail(new OutboundError('timeout', 'Syslog send timed out')), timeoutMs);
      socket.send(payload, target.port, address, (error) => {
        clearTimeout(timer);
        if (error) fail(new OutboundError('unreachable', 'Syslog send failed'));
        else done();
      });
    }).finally(() => socket.close());
    return;
  }
  await new Promise<void>((done, fail) => {
    const options = { host: address, port: target.port, servername: net.isIP(target.host) ? undefined : target.host };
    const socket = target.tls ? tls.connect(options) : net.connect(options);
    const timer = setTimeout(() => {
      socket.destroy();
      fail(new OutboundError('timeout', 'Syslog send timed out'));
    }, timeoutMs);
    socket.once(target.tls ? 'secureConnect' : 'connect', () => socket.end(Buffer.concat([payload, Buffer.from('\n')])));
    socket.once('error', () => {
      clearTimeout(timer);
      fail(new OutboundError('unreachable', 'Syslog connection failed'));
    });
    socket.once('close', () => {
      clearTimeout(timer);
      done();
    });
  });
}
