// Catch-up against recorded histories: nothing missed, nothing twice, cursor in Redis.
import { afterEach, describe, expect, it } from 'vitest';
import { Api } from 'telegram';
import { returnBigInt } from 'telegram/Helpers.js';
import { redisKeys } from '../../src/redis/keys.js';
import { waitFor } from '../helpers/wait.js';
import { cleanup, harness } from './harness.js';
import { captureLog, CARDXABAR, HUMO, HUMO_CREDIT, ME, privateMessage, RecordedTelegram, tempDir } from './helpers.js';

afterEach(cleanup);

const cursorOf = async (h: { redis: import('ioredis').Redis; prefix: string }, bot = HUMO) =>
  h.redis.hget(redisKeys(h.prefix).cursor, String(bot));

describe('first start', () => {
  it('sets the cursor to the newest message and processes no history', async () => {
    const h = await harness({
      prepare: (c) => c.add(HUMO, ...[10, 11, 12].map((id) => privateMessage(HUMO, id, HUMO_CREDIT))),
    });
    expect(h.handled).toEqual([]);
    expect(await cursorOf(h)).toBe('12');
    expect(h.client.sent(Api.messages.SendMessage)).toHaveLength(0);
    expect(h.logs.text()).toMatch(/older messages are not processed/);
  });

  it('sends /start once when the chat with the bot is empty, then processes what the bot says', async () => {
    const h = await harness();
    const starts = h.client.sent(Api.messages.SendMessage);
    expect(starts.map((r) => r.message)).toEqual(['/start']);
    expect((starts[0]!.peer as Api.InputPeerUser).userId.toString()).toBe(String(HUMO));
    expect(await cursorOf(h)).not.toBeNull();
    h.client.add(HUMO, privateMessage(HUMO, 50, 'Welcome'), privateMessage(HUMO, 51, HUMO_CREDIT));
    await h.watcher.catchUp();
    expect(h.handled.map((x) => x.msg.messageId)).toEqual([50, 51]);
    await h.watcher.catchUp();
    expect(h.client.sent(Api.messages.SendMessage)).toHaveLength(1);
  });
});

describe('catching up', () => {
  it('processes every message above the cursor once, ascending, across pages, always with a limit', async () => {
    const client = new RecordedTelegram(captureLog().log);
    client.add(HUMO, privateMessage(HUMO, 1000, 'before paycue'));
    const h = await harness({ client });
    // 250 bot messages and some of our own outgoing ones, ids interleaved, added in random order
    const expected: number[] = [];
    const batch: Api.Message[] = [];
    for (let id = 1001; id <= 1300; id++) {
      if (id % 6 === 0) batch.push(privateMessage(HUMO, id, '/start', { out: true }));
      else {
        batch.push(privateMessage(HUMO, id, `${HUMO_CREDIT} #${id}`));
        expected.push(id);
      }
    }
    batch.sort(() => Math.random() - 0.5);
    client.add(HUMO, ...batch);
    client.getMessagesCalls.length = 0;
    await h.watcher.catchUp();
    expect(h.handled.map((x) => x.msg.messageId)).toEqual(expected);
    expect(expected.length).toBeGreaterThan(200);
    expect(client.getMessagesCalls.length).toBeGreaterThanOrEqual(3);
    expect(client.getMessagesCalls.every((c) => c.params.limit === 100 && c.params.minId === 1000)).toBe(true);
    expect(await cursorOf(h)).toBe('1300');
    // nothing new: nothing handled again
    await h.watcher.catchUp();
    expect(h.handled).toHaveLength(expected.length);
  });

  it('the cursor survives a restart: a new watcher on the same prefix handles only newer messages', async () => {
    const sessionDir = await tempDir();
    const client = new RecordedTelegram(captureLog().log);
    client.add(HUMO, privateMessage(HUMO, 5, 'old'));
    const first = await harness({ client, sessionDir });
    client.add(HUMO, privateMessage(HUMO, 6, HUMO_CREDIT), privateMessage(HUMO, 7, HUMO_CREDIT));
    await first.watcher.catchUp();
    expect(first.handled.map((x) => x.msg.messageId)).toEqual([6, 7]);
    await first.watcher.stop();
    expect(client.destroyed).toBe(true);

    // while paycue is stopped, two more credits arrive
    const again = new RecordedTelegram(captureLog().log);
    again.history.set(String(HUMO), [...client.history.get(String(HUMO))!]);
    again.add(HUMO, privateMessage(HUMO, 8, HUMO_CREDIT), privateMessage(HUMO, 9, HUMO_CREDIT));
    const second = await harness({ client: again, prefix: first.prefix, sessionDir });
    // matched during start-up, before startTelegramWatcher resolved
    expect(second.handled.map((x) => x.msg.messageId)).toEqual([8, 9]);
    expect(again.getMessagesCalls[0]!.params.minId).toBe(7);
  });

  it('a handler that throws stops at that message; a later catch-up resumes from it without repeating earlier ones', async () => {
    const calls: number[] = [];
    let failOn: number | null = 23;
    const client = new RecordedTelegram(captureLog().log);
    client.add(HUMO, privateMessage(HUMO, 20, 'old'));
    const h = await harness({
      client,
      handle: async (msg) => {
        calls.push(msg.messageId);
        if (msg.messageId === failOn) throw new Error('Connection is closed.');
      },
    });
    client.add(HUMO, ...[21, 22, 23, 24, 25].map((id) => privateMessage(HUMO, id, HUMO_CREDIT)));
    await h.watcher.catchUp();
    expect(calls).toEqual([21, 22, 23]);
    expect(await cursorOf(h)).toBe('22');
    expect(h.logs.text()).toMatch(/catch-up stopped/);

    await h.watcher.catchUp(); // still failing: same message again, nothing after it
    expect(calls).toEqual([21, 22, 23, 23]);

    failOn = null;
    await h.watcher.catchUp();
    expect(calls).toEqual([21, 22, 23, 23, 23, 24, 25]);
    expect(await cursorOf(h)).toBe('25');
  });

  it('a failed catch-up is retried by itself', async () => {
    let fail = true;
    const client = new RecordedTelegram(captureLog().log);
    client.add(HUMO, privateMessage(HUMO, 30, 'old'));
    const handled: number[] = [];
    const h = await harness({
      client,
      retryBaseMs: 50,
      handle: async (msg) => {
        if (fail) throw new Error('Connection is closed.');
        handled.push(msg.messageId);
      },
    });
    client.add(HUMO, privateMessage(HUMO, 31, HUMO_CREDIT));
    await h.watcher.catchUp();
    expect(handled).toEqual([]);
    fail = false;
    await waitFor('the message to be handled on a retry', () => handled.length > 0, { timeoutMs: 3000 });
    expect(handled).toEqual([31]);
  });

  it('history read failures (Telegram unreachable) leave the cursor alone and nothing is handled out of order', async () => {
    const client = new RecordedTelegram(captureLog().log);
    client.add(HUMO, privateMessage(HUMO, 40, 'old'));
    const h = await harness({ client });
    client.add(HUMO, privateMessage(HUMO, 41, HUMO_CREDIT), privateMessage(HUMO, 42, HUMO_CREDIT));
    client.getMessagesImpl = () => {
      throw new Error('Request was unsuccessful 3 time(s)');
    };
    await h.watcher.catchUp();
    expect(h.handled).toEqual([]);
    expect(await cursorOf(h)).toBe('40');
    client.getMessagesImpl = undefined;
    await h.watcher.catchUp();
    expect(h.handled.map((x) => x.msg.messageId)).toEqual([41, 42]);
  });

  it('runs periodically on its own', async () => {
    const client = new RecordedTelegram(captureLog().log);
    client.add(HUMO, privateMessage(HUMO, 60, 'old'));
    const h = await harness({ client, catchUpIntervalMs: 50 });
    client.add(HUMO, privateMessage(HUMO, 61, HUMO_CREDIT));
    await waitFor('a periodic catch-up to handle the message', () => h.handled.length > 0, { timeoutMs: 3000 });
    expect(h.handled.map((x) => x.msg.messageId)).toEqual([61]);
  });

  it('cursors are per account: another logged-in account starts fresh instead of skipping by foreign ids', async () => {
    const client = new RecordedTelegram(captureLog().log);
    client.add(HUMO, privateMessage(HUMO, 900, 'old'));
    const first = await harness({ client });
    expect(await cursorOf(first)).toBe('900');
    await first.watcher.stop();

    const other = new RecordedTelegram(captureLog().log);
    other.getMeImpl = async () => new Api.User({ id: returnBigInt(ME + 1), firstName: 'Other' });
    other.add(HUMO, privateMessage(HUMO, 15, 'this account has lower ids'));
    const second = await harness({ client: other, prefix: first.prefix });
    expect(await cursorOf(second)).toBe('15');
    expect(second.logs.text()).toMatch(/different Telegram account/);
  });

  it('CardXabar has its own cursor', async () => {
    const h = await harness({
      cardxabar: true,
      prepare: (c) => {
        c.add(HUMO, privateMessage(HUMO, 70, 'old'));
        c.add(CARDXABAR, privateMessage(CARDXABAR, 71, 'old'));
      },
    });
    expect(await cursorOf(h, HUMO)).toBe('70');
    expect(await cursorOf(h, CARDXABAR)).toBe('71');
  });
});
