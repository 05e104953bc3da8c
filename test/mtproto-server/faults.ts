// Faults a test can inject, each the way Telegram shows it to a client: RPC errors on one
// method (FLOOD_WAIT_X, anything else), a method answered late, pushed updates lost on the way,
// connections dropped, a server that accepts and never answers.

/** One scripted RPC error: `times` requests of `method` (GramJS className, e.g.
 * 'messages.GetHistory') get it, then it is used up. */
interface ScriptedError {
  method: string;
  code: number;
  message: string;
  times: number;
}

export class Faults {
  private readonly errors: ScriptedError[] = [];
  private readonly delays = new Map<string, number>();
  /** Pushed updates still to be lost (their pts is used up all the same: a gap). */
  losePushes = 0;
  /** Accept connections, read what comes, answer nothing. */
  stalled = false;

  /** The next `times` calls of `method` fail with `message` (code 400 unless given). */
  error(method: string, message: string, opts: { code?: number; times?: number } = {}): void {
    this.errors.push({ method, message, code: opts.code ?? 400, times: opts.times ?? 1 });
  }

  /** FLOOD_WAIT_<seconds> (420) on the next `times` calls of `method`. */
  floodWait(method: string, seconds: number, times = 1): void {
    this.error(method, `FLOOD_WAIT_${seconds}`, { code: 420, times });
  }

  /** Every call of `method` is answered `ms` later (0 or undefined: on time again). */
  delay(method: string, ms: number | undefined): void {
    if (ms) this.delays.set(method, ms);
    else this.delays.delete(method);
  }

  delayFor(method: string): number {
    return this.delays.get(method) ?? 0;
  }

  /** The scripted error for this call, if any (used up by taking it). */
  takeError(method: string): { code: number; message: string } | undefined {
    const i = this.errors.findIndex((e) => e.method === method);
    if (i < 0) return undefined;
    const e = this.errors[i]!;
    if (--e.times <= 0) this.errors.splice(i, 1);
    return { code: e.code, message: e.message };
  }
}
