// A tiny request/response protocol over a forked child's IPC channel. The load generator
// and the webhook receiver run in child processes so they never share the daemon's event
// loop: on a 2-core machine that is the only way both sides are measured the same way.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

type Handler = (arg: any) => Promise<unknown>;
interface Call { id: number; method: string; arg: unknown }
interface Reply { id: number; ok: boolean; result?: unknown; error?: string }

/** Child side: answers calls until the parent disconnects (then exits, so no orphan survives). */
export function serveRpc(handlers: Record<string, Handler>, ready: unknown = null): void {
  // The parent may be gone (it crashed or was killed): then there is no one to answer.
  const send = (m: unknown) => {
    if (process.connected) process.send?.(m, undefined, undefined, () => undefined);
  };
  process.on('message', (m: Call) => {
    const h = handlers[m.method];
    if (!h) {
      send({ id: m.id, ok: false, error: `unknown method ${m.method}` } satisfies Reply);
      return;
    }
    h(m.arg).then(
      (result) => send({ id: m.id, ok: true, result } satisfies Reply),
      (err: unknown) => send({ id: m.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies Reply),
    );
  });
  process.on('disconnect', () => process.exit(0));
  send({ ready: true, info: ready });
}

export interface RpcChild {
  pid: number;
  /** What the child announced when it became ready. */
  info: unknown;
  call<T>(method: string, arg: unknown, timeoutMs: number): Promise<T>;
  /** Disconnects and, if it has not gone within a second, kills this child (by its own pid). */
  close(): Promise<void>;
}

/** Forks a compiled sibling module (e.g. `load-client.js`) with a clean execArgv, so a
 * `node --cpu-prof` of the benchmark profiles only the server side. */
export function forkRpc(moduleFile: string, startTimeoutMs = 10_000): Promise<RpcChild> {
  const path = fileURLToPath(new URL(moduleFile, import.meta.url));
  const child: ChildProcess = fork(path, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  let next = 1;
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  return new Promise((resolve, reject) => {
    const startTimer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${moduleFile} did not start within ${startTimeoutMs} ms`));
    }, startTimeoutMs);
    child.once('exit', (code, signal) => {
      exited = true;
      clearTimeout(startTimer);
      const err = new Error(`${moduleFile} exited (code ${code}, signal ${signal})`);
      reject(err);
      for (const p of pending.values()) {
        clearTimeout(p.timer);
        p.reject(err);
      }
      pending.clear();
    });
    child.on('message', (m: Reply & { ready?: boolean; info?: unknown }) => {
      if (m.ready) {
        clearTimeout(startTimer);
        resolve({
          pid: child.pid as number,
          info: m.info,
          call<T>(method: string, arg: unknown, timeoutMs: number): Promise<T> {
            if (exited) return Promise.reject(new Error(`${moduleFile} is not running`));
            const id = next++;
            return new Promise<T>((res, rej) => {
              const timer = setTimeout(() => {
                pending.delete(id);
                rej(new Error(`${moduleFile}: ${method} took longer than ${timeoutMs} ms`));
              }, timeoutMs);
              pending.set(id, { resolve: res, reject: rej, timer });
              child.send({ id, method, arg } satisfies Call);
            });
          },
          async close() {
            if (exited) return;
            if (child.connected) child.disconnect();
            const t = setTimeout(() => child.kill('SIGKILL'), 1000);
            await exitedPromise;
            clearTimeout(t);
          },
        });
        return;
      }
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`${moduleFile}: ${m.error}`));
    });
  });
}
