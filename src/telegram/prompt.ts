// What the Telegram commands need from a terminal, small enough for tests to script.
import { Writable } from 'node:stream';
import { createInterface } from 'node:readline';

export interface PromptIO {
  /** Asks a question and resolves with the answer (without the newline). */
  ask(question: string): Promise<string>;
  /** Like ask, but what the user types is not echoed (2FA password). */
  askHidden(question: string): Promise<string>;
  /** A line for the user on stdout. */
  print(line: string): void;
  /** A line for the user on stderr. */
  error(line: string): void;
  /** Calls `listener` when the user presses Ctrl+C at the terminal (also while nothing is asked). */
  onInterrupt?(listener: () => void): void;
}

export class PromptClosedError extends Error {
  constructor() {
    super('input closed before an answer was given');
    this.name = 'PromptClosedError';
  }
}

export interface TerminalPromptOptions {
  input?: NodeJS.ReadableStream & { isTTY?: boolean };
  output?: NodeJS.WritableStream;
  errorOutput?: NodeJS.WritableStream;
  /** Treat input as a terminal (echo handling); defaults to input.isTTY. */
  terminal?: boolean;
}

/**
 * A PromptIO over stdin/stdout. One readline interface serves every question, so answers
 * piped in as several lines are all seen. Hidden questions mute readline's echo.
 */
export function createTerminalPrompt(opts: TerminalPromptOptions = {}): PromptIO & { close(): void } {
  const input = opts.input ?? process.stdin;
  const output = opts.output ?? process.stdout;
  const errorOutput = opts.errorOutput ?? process.stderr;
  const terminal = opts.terminal ?? Boolean((input as { isTTY?: boolean }).isTTY);
  let muted = false;
  const echo = new Writable({
    write(chunk, encoding, cb) {
      if (!muted) output.write(chunk, encoding);
      cb();
    },
  });
  const rl = createInterface({ input, output: echo, terminal });
  const lines: string[] = [];
  const waiters: { resolve: (l: string) => void; reject: (e: Error) => void }[] = [];
  let closed = false;
  rl.on('line', (line) => {
    const w = waiters.shift();
    if (w) w.resolve(line);
    else lines.push(line);
  });
  rl.on('close', () => {
    closed = true;
    for (const w of waiters.splice(0)) w.reject(new PromptClosedError());
  });
  // Ctrl+C: stop asking (the command reports the cancellation); a wait without a question ends too.
  const interrupted: (() => void)[] = [];
  rl.on('SIGINT', () => {
    for (const l of interrupted.splice(0)) l();
    rl.close();
  });

  const nextLine = (): Promise<string> => {
    const l = lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    if (closed) return Promise.reject(new PromptClosedError());
    return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
  };

  return {
    ask(question) {
      output.write(question);
      return nextLine();
    },
    async askHidden(question) {
      output.write(question);
      muted = true;
      try {
        return await nextLine();
      } finally {
        muted = false;
        if (terminal) output.write('\n');
      }
    },
    print(line) {
      output.write(line + '\n');
    },
    error(line) {
      errorOutput.write(line + '\n');
    },
    onInterrupt(listener) {
      interrupted.push(listener);
    },
    close() {
      rl.close();
    },
  };
}
