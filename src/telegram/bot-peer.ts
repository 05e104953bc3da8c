// Which chats are watched, and how to address them. A bot is resolved once
// (contacts.ResolveUsername: repeated username lookups earn day-long flood waits), checked
// (it must be a bot, with exactly the expected numeric id) and its id + access hash are cached
// in SESSION_DIR/telegram.peers.json, so restarts never resolve it again. The cache is only an
// optimisation: a SESSION_DIR that cannot be written (a host without a writable disk, running on
// TELEGRAM_SESSION) costs one lookup per bot at each start, and is said once.
import { Api } from 'telegram';
import { returnBigInt } from 'telegram/Helpers.js';
import { BOTS, type BotName, type WatchedBotId } from '../bot-messages/bots.js';
import type { Logger } from '../log/logger.js';
import { TelegramStartError, describeError, floodWaitMessage, floodWaitSeconds, rpcErrorCode, withTimeout } from './errors.js';
import { loadCachedPeers, saveCachedPeers, type CachedPeer } from './session-store.js';

export const BOT_USERNAMES: Record<BotName, string> = { humo: 'HUMOcardbot', cardxabar: 'CardXabarBot' };

export interface WatchedBot {
  name: BotName;
  id: number;
  peer: Api.InputPeerUser;
}

export function inputPeerFromCache(c: CachedPeer): Api.InputPeerUser {
  return new Api.InputPeerUser({ userId: returnBigInt(c.id), accessHash: returnBigInt(c.accessHash) });
}

/** The peers cache of one account in SESSION_DIR. */
export class PeerCache {
  private unwritableSaid = false;

  constructor(
    readonly dir: string,
    readonly account: string,
    private readonly log: Logger,
  ) {}

  load(): Promise<Record<string, CachedPeer>> {
    return loadCachedPeers(this.dir, this.account);
  }

  /** Never throws: a failed write is logged (a warning the first time, then debug). */
  async save(peers: Record<string, CachedPeer>): Promise<void> {
    try {
      await saveCachedPeers(this.dir, this.account, peers);
    } catch (err) {
      if (this.unwritableSaid) {
        this.log.debug({ err }, 'could not write the bank bots cache');
        return;
      }
      this.unwritableSaid = true;
      this.log.warn(
        { err, session_dir: this.dir },
        'SESSION_DIR cannot be written: the bank bots are looked up again at every start (the cache only saves those lookups; paycue works without it)',
      );
    }
  }
}

type Invoker = { invoke<R extends Api.AnyRequest>(request: R): Promise<R['__response']> };

function checkBotUser(user: Api.TypeUser | undefined, expectedId: number, label: string): Api.User {
  if (!(user instanceof Api.User)) throw new TelegramStartError(`${label} could not be found on Telegram`, 'bot');
  if (user.id.toString() !== String(expectedId)) {
    throw new TelegramStartError(`${label} is Telegram user ${user.id.toString()}, but the watched id is ${expectedId}: check WATCH_ID`, 'bot');
  }
  if (user.bot !== true) throw new TelegramStartError(`${label} (id ${expectedId}) is not a bot: check WATCH_ID`, 'bot');
  if (!user.accessHash) throw new TelegramStartError(`Telegram returned ${label} without an access hash`, 'bot');
  return user;
}

async function resolveOne(client: Invoker, bot: { name: BotName; id: number }, timeoutMs: number): Promise<Api.User> {
  const known = BOTS[bot.name] === bot.id;
  try {
    if (known) {
      const username = BOT_USERNAMES[bot.name];
      const res = await withTimeout(client.invoke(new Api.contacts.ResolveUsername({ username })), timeoutMs, `resolving @${username}`);
      const user = res.users.find((u) => u instanceof Api.User && u.id.toString() === String(bot.id)) ?? res.users[0];
      return checkBotUser(user, bot.id, `@${username}`);
    }
    // A WATCH_ID that is not one of the known bots: look for it among this account's chats.
    const res = await withTimeout(
      client.invoke(new Api.messages.GetDialogs({ offsetDate: 0, offsetId: 0, offsetPeer: new Api.InputPeerEmpty(), limit: 100, hash: returnBigInt(0) })),
      timeoutMs,
      'listing chats',
    );
    const users = 'users' in res ? res.users : [];
    const user = users.find((u) => u instanceof Api.User && u.id.toString() === String(bot.id));
    if (!user) {
      throw new TelegramStartError(
        `WATCH_ID ${bot.id} is not among this account's 100 most recent chats; open a chat with that bot in Telegram first`,
        'bot',
      );
    }
    return checkBotUser(user, bot.id, `WATCH_ID ${bot.id}`);
  } catch (err) {
    if (err instanceof TelegramStartError) throw err;
    const wait = floodWaitSeconds(err);
    // A flood wait, a timeout or a Telegram-side error passes: 'connect' (exit 1, systemd restarts);
    // only a bot that is missing, not a bot, or another id ('bot') needs the operator.
    if (wait !== null) throw new TelegramStartError(`cannot resolve the ${bot.name} bot: ${floodWaitMessage(wait)}`, 'connect');
    const code = rpcErrorCode(err);
    const permanent = code === 'USERNAME_NOT_OCCUPIED' || code === 'USERNAME_INVALID';
    throw new TelegramStartError(`cannot resolve the ${bot.name} bot (id ${bot.id}): ${code ?? describeError(err)}`, permanent ? 'bot' : 'connect');
  }
}

/** Resolves a bot again after Telegram refused its cached access hash, and rewrites the cache:
 * without this every chat read would fail forever while the connection looks fine. */
export async function resolveBotAgain(opts: { client: Invoker; bot: WatchedBot; cache: PeerCache; log: Logger; timeoutMs: number }): Promise<void> {
  const user = await resolveOne(opts.client, opts.bot, opts.timeoutMs);
  const cached: CachedPeer = { id: user.id.toString(), accessHash: user.accessHash!.toString(), username: user.username };
  opts.bot.peer = inputPeerFromCache(cached);
  const cache = await opts.cache.load();
  cache[String(opts.bot.id)] = cached;
  await opts.cache.save(cache);
  opts.log.warn({ bot: opts.bot.name, bot_id: opts.bot.id }, 'the cached bank bot was refused by Telegram (stale access hash): resolved it again');
}

/** Input peers for every watched bot, from the cache when possible. */
export async function resolveWatchedBots(opts: {
  client: Invoker;
  bots: readonly WatchedBotId[];
  cache: PeerCache;
  log: Logger;
  timeoutMs: number;
}): Promise<WatchedBot[]> {
  const cache = await opts.cache.load();
  const out: WatchedBot[] = [];
  let changed = false;
  for (const bot of opts.bots) {
    let cached = cache[String(bot.id)];
    if (!cached) {
      const user = await resolveOne(opts.client, bot, opts.timeoutMs);
      cached = { id: user.id.toString(), accessHash: user.accessHash!.toString(), username: user.username };
      cache[String(bot.id)] = cached;
      changed = true;
      opts.log.info({ bot: bot.name, bot_id: bot.id, username: user.username }, 'resolved the bank bot');
    }
    out.push({ name: bot.name, id: bot.id, peer: inputPeerFromCache(cached) });
  }
  if (changed) await opts.cache.save(cache);
  return out;
}
