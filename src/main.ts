// The `paycue` command line (README: Commands): commander wiring only; each command's work is in src/cli.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from './config/env.js';
import { loadConfig, loadOperatorConfig, readEnvironment } from './config/load.js';
import { VERSION } from './version.js';
import { parseDuration } from './config/duration.js';
import { processIO } from './cli/io.js';
import { runDaemon } from './cli/daemon-command.js';
import { runParse } from './cli/parse-command.js';
import { runCreditsUnmatched, runWebhooksFailed, runWebhooksRedeliver, runWebhooksRedeliverFailed, type ListOptions } from './cli/admin-commands.js';
import { BOTS } from './bot-messages/bots.js';

let exitCode = 0;
/** GramJS can leave sockets and timers behind; commands that used it end the process explicitly. */
let forceExit = false;

/** Operator commands need Redis and Telegram settings, not the API's credentials. */
const operatorConfig = () => loadOperatorConfig();

/** Runs a Telegram command with a terminal prompt, closed afterwards so the process can exit. */
async function withPrompt(fn: (io: import('./telegram/prompt.js').PromptIO) => Promise<number>): Promise<number> {
  forceExit = true;
  const { createTerminalPrompt } = await import('./telegram/prompt.js');
  const io = createTerminalPrompt();
  try {
    return await fn(io);
  } finally {
    io.close();
  }
}

const positiveInt = (v: string) => {
  if (!/^\d{1,15}$/.test(v) || Number(v) < 1) throw new InvalidArgumentError('expected a positive whole number.');
  return Number(v);
};

const durationArg = (v: string) => {
  const ms = parseDuration(v);
  if (ms === null || ms <= 0) throw new InvalidArgumentError('expected a duration like 90s, 30m or 2h.');
  return ms;
};

/** A usage error: said on stderr and exit 2, like commander's own. */
const usage = (message: string) => {
  process.stderr.write(`error: ${message}\n(run paycue --help for usage)\n`);
  return new CommanderError(2, 'paycue.usage', message);
};

const limitOption = () => new Option('--limit <n>', 'how many').default(100).argParser(positiveInt);
const listOptions = (opts: { limit: number; json?: boolean }): ListOptions => ({ limit: opts.limit, json: opts.json ?? false });

export function buildProgram(): Command {
  const program = new Command('paycue')
    .description('Payment matching for HUMO cards: unique amounts, the bank bot\'s messages, signed webhooks.')
    .version(VERSION, '-v, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show this help and exit')
    .option('-t, --telegram', 'log in to Telegram interactively and save the session')
    .showHelpAfterError('(run paycue --help for usage)')
    .action(async (opts: { telegram?: boolean }) => {
      if (opts.telegram) {
        const { runTelegramLogin } = await import('./cli/telegram-commands.js');
        exitCode = await withPrompt((io) => runTelegramLogin(operatorConfig(), io));
        return;
      }
      const cfg = loadConfig();
      forceExit = true;
      exitCode = await runDaemon(cfg);
    });

  program
    .command('parse')
    .description('parse one bot message from stdin and print the verdict as JSON')
    .addOption(new Option('--sender <id>', 'sender Telegram id (default WATCH_ID)').argParser(positiveInt))
    .option('--jsonl', 'read JSON lines {"text", "sender"} and print one result per line')
    .action(async (opts: { sender?: number; jsonl?: boolean }) => {
      const env = readEnvironment();
      const raw = env.WATCH_ID?.trim();
      if (raw && !/^\d{1,15}$/.test(raw)) throw new ConfigError([{ variable: 'WATCH_ID', message: `expected a whole number, got "${raw}"` }]);
      const watch = raw ? Number(raw) : BOTS.humo;
      exitCode = await runParse(
        { ...(opts.sender !== undefined ? { sender: opts.sender } : {}), jsonl: opts.jsonl ?? false, defaultSender: watch },
        process.stdin,
        process.stdout,
        process.stderr,
      );
    });

  program
    .command('demo')
    .description('walk through create → credit → confirm webhook and create → expiry → cancel webhook, locally')
    .action(async () => {
      const { runDemo } = await import('./cli/demo-command.js');
      exitCode = await runDemo(processIO);
    });

  program
    .command('status')
    .description('one screen on the daemon, Redis, Telegram and the queues (exit 0 healthy, 1 degraded)')
    .option('--json', 'one JSON object')
    .action(async (opts: { json?: boolean }) => {
      const { runStatus } = await import('./ops/status.js');
      exitCode = await runStatus(operatorConfig(), processIO, { json: opts.json ?? false });
    });

  program
    .command('doctor')
    .description('check configuration, Redis, the Telegram session and network, the webhook URL and the clock, without starting the daemon')
    .option('--json', 'one JSON object per check')
    .action(async (opts: { json?: boolean }) => {
      const { runDoctor } = await import('./ops/doctor.js');
      exitCode = await runDoctor(readEnvironment(), processIO, { json: opts.json ?? false });
    });

  const webhooks = program.command('webhooks').description('inspect and replay webhook deliveries');
  webhooks
    .command('failed')
    .description('list deliveries that failed after their last retry')
    .addOption(limitOption())
    .option('--json', 'one JSON object per line')
    .action(async (opts: { limit: number; json?: boolean }) => {
      exitCode = await runWebhooksFailed(operatorConfig(), processIO, listOptions(opts));
    });
  webhooks
    .command('redeliver')
    .description('queue a fresh delivery of a transaction\'s webhook (same webhook-id)')
    .argument('[transaction-id]')
    .option('--force', 'queue it even if a delivery seems to be under way (its queue entry was lost)')
    .option('--all-failed', 'every delivery that failed after its last retry (after a merchant outage)')
    .addOption(new Option('--since <duration>', 'with --all-failed: only those that failed within this long, e.g. 2h').argParser(durationArg))
    .action(async (id: string | undefined, opts: { force?: boolean; allFailed?: boolean; since?: number }) => {
      if (opts.allFailed) {
        if (id !== undefined || opts.force) throw usage('--all-failed takes no transaction id and no --force');
        exitCode = await runWebhooksRedeliverFailed(operatorConfig(), processIO, opts.since ?? null);
        return;
      }
      if (id === undefined) throw usage('give a transaction id or --all-failed');
      if (opts.since !== undefined) throw usage('--since goes with --all-failed');
      exitCode = await runWebhooksRedeliver(operatorConfig(), processIO, id, opts.force ?? false);
    });

  webhooks
    .command('test')
    .description('send a signed test event ("action": "test") to WEBHOOK_URL and say how it was answered')
    .action(async () => {
      const [{ runWebhooksTest }, { testEventSettings }] = await Promise.all([import('./ops/webhook-test.js'), import('./daemon/rules.js')]);
      const settings = testEventSettings(operatorConfig());
      if (!settings) throw new ConfigError([{ variable: 'WEBHOOK_URL', message: 'required to send a test event' }]);
      exitCode = await runWebhooksTest(settings, processIO);
    });

  program
    .command('credits')
    .description('credits that confirmed nothing')
    .command('unmatched')
    .description('list credits that matched no pending transaction, newest first')
    .addOption(limitOption())
    .option('--json', 'one JSON object per line')
    .action(async (opts: { limit: number; json?: boolean }) => {
      exitCode = await runCreditsUnmatched(operatorConfig(), processIO, listOptions(opts));
    });

  const telegram = program.command('telegram').description('Telegram session management, for scripts');
  telegram
    .command('send-code')
    .description('step 1 of a non-interactive login: send the login code')
    .option('--phone <phone>', 'phone number (default TG_PHONE)')
    .action(async (opts: { phone?: string }) => {
      const { runSendCode } = await import('./cli/telegram-commands.js');
      exitCode = await withPrompt((io) => runSendCode(operatorConfig(), io, opts));
    });
  telegram
    .command('verify')
    .description('step 2: sign in with the code (and the 2FA password if the account has one)')
    .requiredOption('--code <code>', 'the login code Telegram sent')
    .option('--password <password>', '2FA password')
    .action(async (opts: { code: string; password?: string }) => {
      const { runVerify } = await import('./cli/telegram-commands.js');
      exitCode = await withPrompt((io) => runVerify(operatorConfig(), io, opts));
    });
  telegram
    .command('status')
    .description('say whether the saved session works and which account it is')
    .action(async () => {
      const { runTelegramStatus } = await import('./cli/telegram-commands.js');
      exitCode = await withPrompt((io) => runTelegramStatus(operatorConfig(), io));
    });
  telegram
    .command('logout')
    .description('log the session out and delete it')
    .action(async () => {
      const { runTelegramLogout } = await import('./cli/telegram-commands.js');
      exitCode = await withPrompt((io) => runTelegramLogout(operatorConfig(), io));
    });

  // Usage errors exit 2; --help and --version exit 0.
  const exitOverride = (cmd: Command) => {
    cmd.exitOverride((err) => {
      throw err;
    });
    cmd.commands.forEach(exitOverride);
  };
  exitOverride(program);
  return program;
}

export function mustExit(): boolean {
  return forceExit;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const program = buildProgram();
    // The bare command runs the daemon, so commander would call a typo "too many arguments".
    const first = argv[2];
    if (first !== undefined && !first.startsWith('-') && !program.commands.some((c) => c.name() === first)) {
      process.stderr.write(`error: unknown command '${first}'\n(run paycue --help for usage)\n`);
      return 2;
    }
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`paycue: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`paycue: ${(err as Error).message}\n`);
    return 1;
  }
}
