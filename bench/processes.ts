// Helpers of the benchmarks that run servers in their own processes: start a
// bench script as a child (tsx, IPC), wait for one of its messages, and call
// the management API as a client would.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const here = import.meta.dirname;

export function start(script: string, env: NodeJS.ProcessEnv, execArgv: string[] = [], args: string[] = []): ChildProcess {
  return startFrom(join(here, script), env, execArgv, args);
}

/** A script by its path, from any checkout (a baseline to compare with). */
export function startFrom(path: string, env: NodeJS.ProcessEnv, execArgv: string[] = [], args: string[] = []): ChildProcess {
  return fork(path, args, { env, execArgv: ['--import', 'tsx', ...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

export function once<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`${type}: child exited with ${code}`));
    const onMessage = (message: { type?: string }) => {
      if (message.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message as T);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** The child's CPU time so far (user + system, microseconds), asked over IPC. */
export async function childCpu(child: ChildProcess): Promise<number> {
  const answer = once<{ micros: number }>(child, 'cpu');
  child.send({ type: 'cpu' });
  return (await answer).micros;
}

/** Answers the parent's `cpu` and `stop` messages; every bench server process calls it. */
export function answerParent(stop: () => void = () => process.exit(0)): void {
  process.on('message', (message: { type?: string }) => {
    if (message.type === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send?.({ type: 'cpu', micros: user + system });
    } else if (message.type === 'stop') stop();
  });
}

export async function request(url: string, init: RequestInit & { json?: unknown } = {}): Promise<{ status: number; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const { json, ...rest } = init;
  const response = await fetch(url, {
    ...rest,
    ...(json !== undefined ? { body: JSON.stringify(json), headers: { 'content-type': 'application/json', ...(rest.headers as Record<string, string>) } } : {}),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${init.method ?? 'GET'} ${url}: ${response.status} ${text}`);
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}
