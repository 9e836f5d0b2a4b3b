// CPU per warm Lambda invocation with logging and metrics off and on, for
// bench:gateway (proxy) and bench:token: one child process per setting
// (bench/invocation-child.ts, stdout discarded), driven in interleaved rounds
// so both see the same machine. Reports p50 and p99 of each, and for the
// token function also the invocation minus the p50 of a raw jose ES256
// signature measured in the same process.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { once } from './processes.js';

const ROUNDS = Number(process.env.BENCH_CPU_ROUNDS || 8);
const CALLS = Number(process.env.BENCH_CPU_CALLS || 400);

export interface InvocationCpu {
  p50: number;
  p99: number;
  /** p50 of the raw signature (token only). */
  signatureP50?: number;
}

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]!;

export async function invocationCpu(fn: 'proxy' | 'token'): Promise<Record<'silent' | 'info', InvocationCpu>> {
  const children: Record<'silent' | 'info', ChildProcess> = {
    silent: fork(join(import.meta.dirname, 'invocation-child.ts'), [fn, 'silent'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }),
    info: fork(join(import.meta.dirname, 'invocation-child.ts'), [fn, 'info'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }),
  };
  try {
    await Promise.all([once(children.silent, 'ready'), once(children.info, 'ready')]);
    const samples = { silent: { invocation: [] as number[], signature: [] as number[] }, info: { invocation: [] as number[], signature: [] as number[] } };
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? (['silent', 'info'] as const) : (['info', 'silent'] as const);
      for (const mode of order) {
        const answer = once<{ invocation: number[]; signature: number[] }>(children[mode], 'round');
        children[mode].send({ type: 'round', calls: CALLS });
        const { invocation, signature } = await answer;
        samples[mode].invocation.push(...invocation);
        samples[mode].signature.push(...signature);
      }
    }
    const summary = (mode: 'silent' | 'info'): InvocationCpu => ({
      p50: percentile(samples[mode].invocation, 50),
      p99: percentile(samples[mode].invocation, 99),
      ...(samples[mode].signature.length ? { signatureP50: percentile(samples[mode].signature, 50) } : {}),
    });
    return { silent: summary('silent'), info: summary('info') };
  } finally {
    for (const child of Object.values(children)) child.send({ type: 'stop' });
  }
}

/** The report's lines, in microseconds. */
export function invocationCpuLines(fn: 'proxy' | 'token', cpu: Record<'silent' | 'info', InvocationCpu>, targetUs: number): string[] {
  const us = (value: number) => `${Math.round(value)} us`;
  const excluding = (entry: InvocationCpu) => (entry.signatureP50 !== undefined ? `, ${us(entry.p50 - entry.signatureP50)} excluding the signature (${us(entry.signatureP50)})` : '');
  const measured = fn === 'token' ? cpu.info.p50 - (cpu.info.signatureP50 ?? 0) : cpu.info.p50;
  return [
    `Lambda CPU per warm ${fn} invocation (own process, stdout discarded, ${ROUNDS} interleaved rounds of ${CALLS}):`,
    `- logging and metrics off: p50 ${us(cpu.silent.p50)}, p99 ${us(cpu.silent.p99)}${excluding(cpu.silent)}`,
    `- LOG_LEVEL=INFO with EMF metrics (production): p50 ${us(cpu.info.p50)}, p99 ${us(cpu.info.p99)}${excluding(cpu.info)}; the line costs ${us(cpu.info.p50 - cpu.silent.p50)}`,
    `- target at INFO with metrics: p50 <= ${us(targetUs)}${fn === 'token' ? ' excluding the signature' : ''}: ${measured <= targetUs ? 'met' : 'MISSED'}`,
  ];
}
