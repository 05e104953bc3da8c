// The `paycue` command line (README: Commands): commander wiring only; each command's work is in src/cli.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigError, parseConfig } from './config/env.js';
import { loadOperatorConfig, readEnvironment } from './config/load.js';
import { configWarnings } from './config/warnings.js';
import { VERSION } from './version.js';
import { parseDuration } from './config/duration.js';
import { processIO } from './cli/io.js';
import { runDaemon } from './cli/daemon-command.js';
import { runParse } from './cli/parse-command.js';
import { runCreditsUnmatched, runWebhooksFailed, runWebhooksRedeliver, runWebhooksRedeliverFailed, type ListOptions } from './cli/admin-commands.js';
import { BOTS } from './bot-messages/bots.js';
import {
  runCreditsAttach, runCreditsDismiss, runCreditsList, runTransactionsCancel, runTransactionsConfirm, runTransactionsList, type PageOptions,
} from './cli/review-commands.js';
import { somToTiyinExact } from './http/routes/sandbox.js';

let exitCode = 0;
/** GramJS can leave sockets and timers behind; commands that used it end the process explicitly. */
let forceExit = false;

/** --env-file of the command being run (any command takes it). */
let envFile: string | undefined;
/** Operator commands need Redis and Telegram settings, not the API's credentials. */
const operatorConfig = () => loadOperatorConfig({ ...(envFile !== undefined ? { file: envFile } : {}) });

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

interface PageFlags {
  limit: number;
  json?: boolean;
  from?: number;
  to?: number;
  cursor?: string;
}

const time = (v: string) => {
  const ms = /^\d{1,15}$/.test(v) ? Number(v) : /^\d{4}-\d\d-\d\d/.test(v) ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms)) throw new InvalidArgumentError('expected an ISO 8601 time (2026-11-22 or 2026-11-22T10:00:00Z) or unix milliseconds.');
  return ms;
};
const last4 = (v: string) => {
  if (!/^\d{4}$/.test(v)) throw new InvalidArgumentError('expected the last 4 digits of a card.');
  return v;
};
const som = (v: string) => {
  const t = /^\d{1,13}(\.\d{1,2})?$/.test(v) ? somToTiyinExact(Number(v)) : null;
  if (t === null || t <= 0) throw new InvalidArgumentError("expected a positive number of so'm with at most two decimals.");
  return t;
};

/** The paging flags every list command takes (at most 200 a page, like the API). */
const pageOptions = (cmd: Command) =>
  cmd
    .addOption(new Option('--limit <n>', 'how many (at most 200)').default(50).argParser((v) => Math.min(positiveInt(v), 200)))
    .addOption(new Option('--from <time>', 'not before (ISO 8601 or unix ms)').argParser(time))
    .addOption(new Option('--to <time>', 'not after (ISO 8601 or unix ms)').argParser(time))
    .option('--cursor <cursor>', 'the next page, as printed after the last one')
    .option('--json', 'one JSON object per line, then {"next_cursor": …}');
const pageFlags = (o: PageFlags): PageOptions => ({
  limit: o.limit,
  json: o.json ?? false,
  ...(o.from !== undefined ? { from: o.from } : {}),
  ...(o.to !== undefined ? { to: o.to } : {}),
  ...(o.cursor !== undefined ? { cursor: o.cursor } : {}),
});
const listOptions = (opts: { limit: number; json?: boolean }): ListOptions => ({ limit: opts.limit, json: opts.json ?? false });

export function buildProgram(): Command {
  const program = new Command('paycue')
    .description(
      "Payment matching for HUMO cards: unique amounts, the bank bot's messages, signed webhooks.\n\n" +
        'Run without a command, paycue is the daemon (HTTP API, Telegram watcher, webhook workers, ' +
        'expiry sweeper). Every command reads its settings from the environment and from .env in the ' +
        'working directory (or the file given with --env-file); real environment variables win.',
    )
    .version(VERSION, '-v, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show this help and exit')
    .helpCommand('help [command]', 'show help for a command')
    .option('-t, --telegram', 'log in to Telegram interactively and save the session')
    .option('--qr', 'with --telegram: log in by scanning a QR code with the Telegram app (no phone number or code)')
    .showHelpAfterError('(run paycue --help for usage)')
    .action(async (opts: { telegram?: boolean; qr?: boolean }) => {
      if (opts.qr && !opts.telegram) throw usage('--qr goes with --telegram: paycue --telegram --qr');
      if (opts.telegram) {
        const { runTelegramLogin, runTelegramQrLogin } = await import('./cli/telegram-commands.js');
        const run = opts.qr ? runTelegramQrLogin : runTelegramLogin;
        exitCode = await withPrompt((io) => run(operatorConfig(), io));
        return;
      }
      const env = readEnvironment(undefined, undefined, envFile);
      const cfg = parseConfig(env);
      forceExit = true;
      exitCode = await runDaemon(cfg, configWarnings(env, cfg));
    });

  program
    .command('parse')
    .description('parse one bot message from stdin and print the verdict as JSON')
    .addOption(new Option('--sender <id>', 'sender Telegram id (default WATCH_ID)').argParser(positiveInt))
    .option('--jsonl', 'read JSON lines {"text", "sender"} and print one result per line')
    .action(async (opts: { sender?: number; jsonl?: boolean }) => {
      const env = readEnvironment(undefined, undefined, envFile);
      const raw = env.WATCH_ID?.trim();
      if (raw && !/^\d{1,15}$/.test(raw)) throw new ConfigError([{ variable: 'WATCH_ID', message: `expected a whole number, got "${raw}"` }]);
      const watch = raw ? Number(raw) : BOTS.humo;
      if (process.stdin.isTTY && !opts.jsonl) process.stderr.write('paste a bot message, then press Ctrl-D\n');
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
    .option('--keep', 'then keep a pending payment and its pay page open (15 min or Ctrl-C)')
    .action(async (opts: { keep?: boolean }) => {
      const { runDemo } = await import('./cli/demo-command.js');
      exitCode = await runDemo(processIO, { keep: opts.keep ?? false, ...(envFile !== undefined ? { envFile } : {}) });
    });

  program
    .command('status')
    .description('one screen on the daemon, Redis, Telegram and the queues (exit 0 healthy, 1 degraded)')
    .option('--json', 'one JSON object')
    .action(async (opts: { json?: boolean }) => {
      const { runStatus } = await import('./cli/status-command.js');
      exitCode = await runStatus(operatorConfig(), processIO, { json: opts.json ?? false });
    });

  program
    .command('doctor')
    .description('check configuration, Redis, the Telegram session and network, the webhook URL and the clock, without starting the daemon')
    .option('--json', 'one JSON object per check')
    .action(async (opts: { json?: boolean }) => {
      const { runDoctor } = await import('./cli/doctor-command.js');
      exitCode = await runDoctor(readEnvironment(undefined, undefined, envFile), processIO, { json: opts.json ?? false });
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
    .description('queue a fresh delivery of a transaction\'s webhook, or of a credit\'s late_payment event (same webhook-id)')
    .argument('[id]', 'a transaction id, or a credit id (cr_…) for its late_payment event')
    .option('--force', 'queue it even if a delivery seems to be under way (its queue entry was lost)')
    .option('--all-failed', 'every delivery that failed after its last retry (after a merchant outage)')
    .addOption(new Option('--since <duration>', 'with --all-failed: only those that failed within this long, e.g. 2h').argParser(durationArg))
    .action(async (id: string | undefined, opts: { force?: boolean; allFailed?: boolean; since?: number }) => {
      if (opts.allFailed) {
        if (id !== undefined || opts.force) throw usage('--all-failed takes no id and no --force');
        exitCode = await runWebhooksRedeliverFailed(operatorConfig(), processIO, opts.since ?? null);
        return;
      }
      if (id === undefined) throw usage('give a transaction id, a credit id or --all-failed');
      if (opts.since !== undefined) throw usage('--since goes with --all-failed');
      exitCode = await runWebhooksRedeliver(operatorConfig(), processIO, id, opts.force ?? false);
    });

  webhooks
    .command('test')
    .description('send a signed test event ("action": "test") to WEBHOOK_URL and say how it was answered')
    .action(async () => {
      const [{ runWebhooksTest }, { testEventSettings }] = await Promise.all([import('./cli/webhooks-test-command.js'), import('./daemon/rules.js')]);
      const settings = testEventSettings(operatorConfig());
      if (!settings) throw new ConfigError([{ variable: 'WEBHOOK_URL', message: 'required to send a test event' }]);
      exitCode = await runWebhooksTest(settings, processIO);
    });

  const credits = program.command('credits').description('every credit the bank reported: the review queue, attach, dismiss');
  credits
    .command('unmatched')
    .description('list credits that matched no pending transaction, newest first (the last 1,000; see also: credits list --state open)')
    .addOption(limitOption())
    .option('--json', 'one JSON object per line')
    .action(async (opts: { limit: number; json?: boolean }) => {
      exitCode = await runCreditsUnmatched(operatorConfig(), processIO, listOptions(opts));
    });
  pageOptions(
    credits
      .command('list')
      .description('credit records, newest first by bank time')
      .addOption(new Option('--state <state>', 'open or resolved').choices(['open', 'resolved'])),
  ).action(async (opts: PageFlags & { state?: 'open' | 'resolved' }) => {
    exitCode = await runCreditsList(operatorConfig(), processIO, { ...pageFlags(opts), ...(opts.state ? { state: opts.state } : {}) });
  });
  credits
    .command('attach')
    .description('settle an open credit by confirming a pending transaction with it (confirm webhook, resolution manual)')
    .argument('<credit-id>')
    .argument('<transaction-id>')
    .requiredOption('--reason <text>', 'why (kept in the audit trail)')
    .action(async (creditId: string, txId: string, opts: { reason: string }) => {
      exitCode = await runCreditsAttach(operatorConfig(), processIO, creditId, txId, opts.reason);
    });
  credits
    .command('dismiss')
    .description('settle an open credit without a transaction (refunded, not a payment, duplicate, …)')
    .argument('<credit-id>')
    .requiredOption('--reason <text>', 'why (kept in the audit trail)')
    .action(async (creditId: string, opts: { reason: string }) => {
      exitCode = await runCreditsDismiss(operatorConfig(), processIO, creditId, opts.reason);
    });

  const transactions = program.command('transactions').description('list transactions; confirm one by hand');
  pageOptions(
    transactions
      .command('list')
      .description('transactions, newest first')
      .addOption(new Option('--state <state>', 'pending, confirmed or cancelled').choices(['pending', 'confirmed', 'cancelled']))
      .addOption(new Option('--card <last4>', 'only this card').argParser(last4))
      .addOption(new Option('--amount <som>', "only this amount (so'm, up to two decimals)").argParser(som)),
  ).action(async (opts: PageFlags & { state?: 'pending' | 'confirmed' | 'cancelled'; card?: string; amount?: number }) => {
    exitCode = await runTransactionsList(operatorConfig(), processIO, {
      ...pageFlags(opts),
      ...(opts.state ? { state: opts.state } : {}),
      ...(opts.card ? { card: opts.card } : {}),
      ...(opts.amount !== undefined ? { amountTiyin: opts.amount } : {}),
    });
  });
  transactions
    .command('confirm')
    .description('confirm a pending transaction by hand, when the money arrived elsewhere (confirm webhook, resolution manual)')
    .argument('<transaction-id>')
    .requiredOption('--reason <text>', 'why (kept in the audit trail)')
    .action(async (txId: string, opts: { reason: string }) => {
      exitCode = await runTransactionsConfirm(operatorConfig(), processIO, txId, opts.reason);
    });
  transactions
    .command('cancel')
    .description('cancel a pending transaction by hand, e.g. one expiry holds for a person (cancel webhook)')
    .argument('<transaction-id>')
    .requiredOption('--reason <text>', 'why (kept in the audit trail)')
    .action(async (txId: string, opts: { reason: string }) => {
      exitCode = await runTransactionsCancel(operatorConfig(), processIO, txId, opts.reason);
    });

  const cards = program.command('cards').description('the card registry: card numbers and holders the pay page shows');
  cards
    .command('add')
    .description('register a card (16 digits, Luhn-checked); its last-4 is its name')
    .requiredOption('--number <digits>', 'the full card number')
    .requiredOption('--holder <name>', 'the holder name as printed on the card')
    .option('--label <text>', 'a label for the operator and the page, e.g. main')
    .option('--bot <bot>', 'the bank bot that reports it: humo or cardxabar', 'humo')
    .option('--link <Title=URL>', 'a payment-app button; {amount} in the URL is filled in (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--disabled', 'register it disabled (no new transactions)')
    .action(async (opts: import('./cli/cards-commands.js').AddOptions) => {
      const { runCardsAdd } = await import('./cli/cards-commands.js');
      exitCode = await runCardsAdd(operatorConfig(), processIO, opts);
    });
  cards
    .command('list')
    .description('list registered cards')
    .option('--json', 'one JSON object per line')
    .action(async (opts: { json?: boolean }) => {
      const { runCardsList } = await import('./cli/cards-commands.js');
      exitCode = await runCardsList(operatorConfig(), processIO, opts.json ?? false);
    });
  cards
    .command('show')
    .description('show one card')
    .argument('<last4>')
    .option('--json', 'as JSON')
    .action(async (last4: string, opts: { json?: boolean }) => {
      const { runCardsShow } = await import('./cli/cards-commands.js');
      exitCode = await runCardsShow(operatorConfig(), processIO, last4, opts.json ?? false);
    });
  for (const [name, active] of [['enable', true], ['disable', false]] as const) {
    cards
      .command(name)
      .description(active ? 'let a card take new transactions again' : 'stop new transactions on a card (pending ones still match payments)')
      .argument('<last4>')
      .action(async (last4: string) => {
        const { runCardsSetActive } = await import('./cli/cards-commands.js');
        exitCode = await runCardsSetActive(operatorConfig(), processIO, last4, active);
      });
  }
  cards
    .command('remove')
    .description('remove a card; refused while it has pending transactions unless --force')
    .argument('<last4>')
    .option('--force', 'cancel its pending transactions (with cancel webhooks) and remove it')
    .action(async (last4: string, opts: { force?: boolean }) => {
      const { runCardsRemove } = await import('./cli/cards-commands.js');
      exitCode = await runCardsRemove(operatorConfig(), processIO, last4, opts.force ?? false);
    });

  const redis = program.command('redis').description('the replicas every write waits for; planned failovers that lose nothing');
  const replicas = redis.command('replicas').description('the replica count every acknowledged write waits for (recorded at first sight, changed only on purpose)');
  replicas
    .command('show')
    .description('the replicas recorded for this deployment, required and connected now, and every change to the record')
    .option('--json', 'one JSON object')
    .action(async (opts: { json?: boolean }) => {
      const { runRedisReplicas } = await import('./cli/redis-commands.js');
      exitCode = await runRedisReplicas(operatorConfig(), processIO, { json: opts.json ?? false });
    });
  replicas
    .command('set')
    .description('change the recorded replica count (the default REDIS_MIN_REPLICAS), e.g. after removing a replica host for good')
    .argument('<n>', 'replicas each acknowledged write must reach')
    .requiredOption('--reason <text>', 'why (kept in the audit trail)')
    .action(async (n: string, opts: { reason: string }) => {
      if (!/^\d{1,2}$/.test(n) || Number(n) > 10) throw usage('the replica count must be a whole number from 0 to 10');
      const { runRedisReplicasSet } = await import('./cli/redis-commands.js');
      exitCode = await runRedisReplicasSet(operatorConfig(), processIO, Number(n), opts.reason);
    });

  redis
    .command('switchover')
    .description('a planned Sentinel failover that loses no write: pause writes, wait for the replicas, fail over, follow, unpause')
    .addOption(new Option('--catch-up <duration>', 'longest wait for the replicas to catch up').default(5000, '5s').argParser(durationArg))
    .addOption(new Option('--switch <duration>', 'longest wait for the sentinels to switch').default(30_000, '30s').argParser(durationArg))
    .action(async (opts: { catchUp: number; switch: number }) => {
      const { runRedisSwitchover } = await import('./cli/redis-commands.js');
      exitCode = await runRedisSwitchover(operatorConfig(), processIO, { catchUpMs: opts.catchUp, switchMs: opts.switch });
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
  telegram
    .command('export-session')
    .description('print the saved session for TELEGRAM_SESSION (hosts without a writable disk); it is the account\'s key: keep it secret')
    .action(async () => {
      const { runExportSession } = await import('./cli/telegram-commands.js');
      exitCode = await runExportSession(operatorConfig(), { print: processIO.out, error: processIO.err });
    });

  // Usage errors exit 2; --help and --version exit 0. Every command takes --env-file.
  const everyCommand = (cmd: Command) => {
    cmd.exitOverride((err) => {
      throw err;
    });
    if (cmd.commands.length === 0 || cmd === program) cmd.option('--env-file <path>', 'read settings from this file instead of ./.env');
    cmd.commands.forEach(everyCommand);
  };
  everyCommand(program);
  program.hook('preAction', (_self, action) => {
    envFile = (action.optsWithGlobals() as { envFile?: string }).envFile;
  });
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
    if (first !== undefined && !first.startsWith('-') && first !== 'help' && !program.commands.some((c) => c.name() === first)) {
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
