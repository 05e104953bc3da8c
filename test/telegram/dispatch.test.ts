// Live updates through GramJS's real dispatcher (_dispatchUpdate) into the watcher.
import { afterEach, describe, expect, it } from 'vitest';
import { Api } from 'telegram';
import { returnBigInt } from 'telegram/Helpers.js';
import { _dispatchUpdate } from 'telegram/client/updates.js';
import { UpdateConnectionState } from 'telegram/network/index.js';
import { cleanup, harness } from './harness.js';
import { CARDXABAR, CARDXABAR_CREDIT, HUMO, HUMO_CREDIT, ME, privateMessage, type RecordedTelegram } from './helpers.js';
import { waitFor } from '../helpers/wait.js';

afterEach(cleanup);

const OTHER = 111111111;
const big = (n: number) => returnBigInt(n);

function newMessage(message: Api.Message): Api.UpdateNewMessage {
  return new Api.UpdateNewMessage({ message, pts: 1, ptsCount: 1 });
}

function shortMessage(userId: number, id: number, text: string, out = false): Api.UpdateShortMessage {
  return new Api.UpdateShortMessage({ out, id, userId: big(userId), message: text, pts: 1, ptsCount: 1, date: 1_781_000_000 + id });
}

async function dispatch(client: RecordedTelegram, ...updates: (Api.TypeUpdate | Api.TypeUpdates | UpdateConnectionState)[]): Promise<void> {
  for (const update of updates) await _dispatchUpdate(client, { update: update as Api.TypeUpdate });
}

/** History already holds an old bot message (id 100), so the first-run cursor is 100. */
const seeded = (c: RecordedTelegram) => c.add(HUMO, privateMessage(HUMO, 100, 'old notification'));

describe('live bot messages through the GramJS dispatcher', () => {
  it('hands a HUMO credit to the handler and nothing from other chats, other senders or ourselves', async () => {
    const h = await harness({ prepare: seeded });
    await dispatch(
      h.client,
      newMessage(privateMessage(HUMO, 101, HUMO_CREDIT)),
      // our own /start in the bot chat, both shapes Telegram uses
      shortMessage(HUMO, 102, '/start', true),
      newMessage(privateMessage(HUMO, 103, '/start', { out: true })),
      // someone else writes us the same text in a private chat
      shortMessage(OTHER, 104, HUMO_CREDIT),
      newMessage(privateMessage(OTHER, 105, HUMO_CREDIT)),
      // a basic group whose id is numerically the bot's id, message by someone else
      newMessage(
        new Api.Message({
          id: 106,
          peerId: new Api.PeerChat({ chatId: big(HUMO) }),
          fromId: new Api.PeerUser({ userId: big(OTHER) }),
          message: HUMO_CREDIT,
          date: 1_781_000_106,
        }),
      ),
      // the bot speaking in some group, not in our private chat
      newMessage(
        new Api.Message({
          id: 107,
          peerId: new Api.PeerChat({ chatId: big(4242) }),
          fromId: new Api.PeerUser({ userId: big(HUMO) }),
          message: HUMO_CREDIT,
          date: 1_781_000_107,
        }),
      ),
      // a basic group whose id is numerically the bot's id, message by the bot itself
      newMessage(
        new Api.Message({
          id: 110,
          peerId: new Api.PeerChat({ chatId: big(HUMO) }),
          fromId: new Api.PeerUser({ userId: big(HUMO) }),
          message: HUMO_CREDIT,
          date: 1_781_000_110,
        }),
      ),
      // CardXabar is not watched by default
      newMessage(privateMessage(CARDXABAR, 108, CARDXABAR_CREDIT)),
      // and a second HUMO message in the short form
      shortMessage(HUMO, 109, HUMO_CREDIT),
    );
    await h.watcher.catchUp();
    expect(h.handled.map((x) => x.key)).toEqual([`${ME}:${HUMO}:101`, `${ME}:${HUMO}:109`]);
    expect(h.handled[0]!.msg).toEqual({ bot: 'humo', senderId: HUMO, messageId: 101, text: HUMO_CREDIT, date: 1_781_000_101 });
    expect(h.handled[1]!.msg.text).toBe(HUMO_CREDIT);
  });

  it('hands CardXabar messages over only when WATCH_CARDXABAR=true', async () => {
    const h = await harness({ cardxabar: true, prepare: seeded });
    await dispatch(h.client, newMessage(privateMessage(CARDXABAR, 120, CARDXABAR_CREDIT)), shortMessage(HUMO, 121, HUMO_CREDIT));
    await h.watcher.catchUp();
    // Each bot is its own chat with its own cursor; order between the two chats does not matter.
    const got = h.handled.map((x) => [x.msg.bot, x.key]).sort();
    expect(got).toEqual([
      ['cardxabar', `${ME}:${CARDXABAR}:120`],
      ['humo', `${ME}:${HUMO}:121`],
    ]);
    expect(h.handled.find((x) => x.msg.bot === 'cardxabar')!.msg).toMatchObject({ senderId: CARDXABAR, text: CARDXABAR_CREDIT });
  });

  it('passes the raw message text, not the markdown rendering', async () => {
    const h = await harness({ prepare: seeded });
    const m = privateMessage(HUMO, 130, HUMO_CREDIT);
    m.entities = [new Api.MessageEntityBold({ offset: 3, length: 10 })];
    await dispatch(h.client, newMessage(m));
    await h.watcher.catchUp();
    expect(h.handled.map((x) => x.msg.text)).toEqual([HUMO_CREDIT]);
  });

  it('a message seen live and again in the history is handled once', async () => {
    const h = await harness({ prepare: seeded });
    const m = privateMessage(HUMO, 140, HUMO_CREDIT);
    h.client.add(HUMO, m); // Telegram's history has it too
    await dispatch(h.client, newMessage(m), newMessage(m));
    await h.watcher.catchUp();
    await h.watcher.catchUp();
    expect(h.handled.map((x) => x.key)).toEqual([`${ME}:${HUMO}:140`]);
  });

  it('a live update arriving after catch-up already processed that message is not handled again', async () => {
    const h = await harness({ prepare: seeded });
    const m = privateMessage(HUMO, 145, HUMO_CREDIT);
    h.client.add(HUMO, m);
    await h.watcher.catchUp(); // e.g. the reconnect catch-up wins the race
    expect(h.handled.map((x) => x.key)).toEqual([`${ME}:${HUMO}:145`]);
    await dispatch(h.client, newMessage(m));
    await h.watcher.catchUp();
    expect(h.handled.map((x) => x.key)).toEqual([`${ME}:${HUMO}:145`]);
  });

  it('a live message is decided at once, and never moves the cursor over an earlier one missed live', async () => {
    const h = await harness({ prepare: seeded });
    const readsBefore = h.client.getMessagesCalls.length;
    h.client.add(HUMO, privateMessage(HUMO, 150, 'missed live'));
    const live = privateMessage(HUMO, 151, HUMO_CREDIT);
    h.client.add(HUMO, live);
    await dispatch(h.client, newMessage(live));
    await waitFor('the live message to be decided', () => h.handled.length === 1);
    // Decided without reading the chat first, and the cursor has not moved past 150.
    expect(h.handled.map((x) => x.msg.messageId)).toEqual([151]);
    expect(h.client.getMessagesCalls.length).toBe(readsBefore);
    expect(await h.redis.hget(`{${h.prefix}}:telegram:cursor`, String(HUMO))).toBe('100');
    // The next read decides the one missed live, and hands the live one over no second time.
    await h.watcher.catchUp();
    expect(h.handled.map((x) => x.msg.messageId)).toEqual([151, 150]);
    expect(await h.redis.hget(`{${h.prefix}}:telegram:cursor`, String(HUMO))).toBe('151');
  });

  it('edits of bot messages are logged, not handled as new credits', async () => {
    const h = await harness({ prepare: seeded });
    await dispatch(h.client, newMessage(privateMessage(HUMO, 160, HUMO_CREDIT)));
    await h.watcher.catchUp();
    const edited = privateMessage(HUMO, 160, HUMO_CREDIT.replace('1.010,00', '9.999,00').replace('*7159', '8600123456787159'));
    edited.editDate = 1_781_000_999;
    await dispatch(h.client, new Api.UpdateEditMessage({ message: edited, pts: 2, ptsCount: 1 }));
    await h.watcher.catchUp();
    expect(h.handled.map((x) => x.key)).toEqual([`${ME}:${HUMO}:160`]);
    expect(h.logs.text()).toMatch(/edited a message/);
    expect(h.logs.text()).toMatch(/"message_id":160/);
    expect(h.logs.text()).toContain('9.999,00');
    expect(h.logs.text()).toContain('860012******7159');
    expect(h.logs.text()).not.toContain('8600123456787159');
  });

  it('catches up after a reconnect and reports the connection state', async () => {
    const h = await harness({ prepare: seeded });
    expect(h.watcher.status()).toMatchObject({ connected: true, lastBotMessageAt: null, me: { id: String(ME), username: 'kassa_uz' } });
    await dispatch(h.client, new UpdateConnectionState(UpdateConnectionState.disconnected));
    expect(h.watcher.status().connected).toBe(false);
    // arrives while we are disconnected: no live update, only history
    h.client.add(HUMO, privateMessage(HUMO, 170, HUMO_CREDIT));
    await dispatch(h.client, new UpdateConnectionState(UpdateConnectionState.connected));
    await waitFor('the message to be handled', () => h.handled.length === 1);
    expect(h.handled[0]!.key).toBe(`${ME}:${HUMO}:170`);
    expect(h.watcher.status().connected).toBe(true);
    // The bank's own timestamp of the newest bot message, remembered across restarts.
    expect(h.watcher.status().lastBotMessageAt).toBe(privateMessage(HUMO, 170, '').date * 1000);
    await h.watcher.stop();
    const again = await harness({ prefix: h.prefix, prepare: (c) => c.add(HUMO, ...h.client.history.get(String(HUMO))!) });
    expect(again.watcher.status().lastBotMessageAt).toBe(privateMessage(HUMO, 170, '').date * 1000);
  });
});
