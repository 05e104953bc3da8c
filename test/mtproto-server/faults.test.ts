// Faults the test Telegram injects, as GramJS's own client meets them on real sockets.
import { afterEach, describe, expect, it } from 'vitest';
import { Api } from 'telegram';
import { FloodWaitError } from 'telegram/errors/index.js';
import { Raw } from 'telegram/events/Raw.js';
import { NewMessage, type NewMessageEvent } from 'telegram/events/index.js';
import { UpdateConnectionState } from 'telegram/network/index.js';
import { HUMO_BOT, TelegramTestServer } from './index.js';
import { closeAll, gramClient } from './client.js';
import { waitFor } from '../helpers/wait.js';

const servers: TelegramTestServer[] = [];
afterEach(() => closeAll(servers));

async function setup() {
  const tg = await TelegramTestServer.start();
  servers.push(tg);
  const account = tg.addAccount({ phone: '+998901234567', firstName: 'Kassa' });
  const session = await tg.sessionFor(account);
  return { tg, account, session };
}

const config = () => new Api.help.GetConfig();

describe('fault injection', () => {
  it('FLOOD_WAIT_X on one method: GramJS raises FloodWaitError with the seconds; the next call passes', async () => {
    const { tg, session } = await setup();
    const client = gramClient(tg, session, { floodSleepThreshold: 0 });
    await client.connect();
    tg.faults.floodWait('contacts.ResolveUsername', 86_400);
    const err = await client.invoke(new Api.contacts.ResolveUsername({ username: 'HUMOcardbot' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FloodWaitError);
    expect((err as FloodWaitError).seconds).toBe(86_400);
    expect(await client.invoke(config())).toBeInstanceOf(Api.Config);
    const ok = await client.invoke(new Api.contacts.ResolveUsername({ username: 'HUMOcardbot' }));
    expect(ok.users[0]!.id.toString()).toBe(String(HUMO_BOT));
  });

  it('a delayed method answers late while pings and other requests are answered at once', async () => {
    const { tg, session } = await setup();
    const client = gramClient(tg, session);
    await client.connect();
    tg.faults.delay('updates.GetState', 800);
    let stateDone = false;
    const state = client.invoke(new Api.updates.GetState()).then((s) => ((stateDone = true), s));
    const pong = await client.invoke(new Api.PingDelayDisconnect({ pingId: (await import('telegram/Helpers.js')).returnBigInt(1), disconnectDelay: 75 }));
    expect(pong).toBeInstanceOf(Api.Pong);
    expect(await client.invoke(config())).toBeInstanceOf(Api.Config);
    expect(stateDone).toBe(false);
    expect(await state).toBeInstanceOf(Api.updates.State);
  });

  it('a stalled server accepts and reads but never answers nor pushes; once it resumes, the held request is answered and the push delivered', async () => {
    const { tg, account, session } = await setup();
    const client = gramClient(tg, session);
    await client.connect();
    await client.getMe();
    const pushed: string[] = [];
    client.addEventHandler((e: NewMessageEvent) => void pushed.push(e.message.message), new NewMessage({}));
    const seen = tg.requests.length;
    tg.stall();
    let answered = false;
    const pending = client.invoke(config()).then(() => (answered = true));
    tg.botSends(account, HUMO_BOT, 'sent during the stall');
    await waitFor('the request to reach the stalled server', () => tg.heldBytes > 0);
    expect(answered).toBe(false);
    expect(pushed).toEqual([]);
    expect(tg.requests).toHaveLength(seen);
    tg.resume();
    await pending;
    expect(answered).toBe(true);
    await waitFor('the held push', () => pushed.length === 1);
    expect(pushed).toEqual(['sent during the stall']);
  });

  it('a second connection on an auth key in use: AUTH_KEY_DUPLICATED (406), and the key is dead for both', async () => {
    const { tg, session } = await setup();
    const a = gramClient(tg, session);
    const b = gramClient(tg, session);
    await a.connect();
    expect(await a.invoke(new Api.updates.GetState())).toBeInstanceOf(Api.updates.State);
    // GramJS's connect() itself sends a request (initConnection): that is the second use.
    await expect(b.connect()).rejects.toMatchObject({ code: 406, errorMessage: 'AUTH_KEY_DUPLICATED' });
    // The first process's next call fails too: the session is gone for both.
    await expect(a.invoke(new Api.updates.GetState())).rejects.toMatchObject({ errorMessage: 'AUTH_KEY_DUPLICATED' });
    await expect(a.invoke(new Api.help.GetConfig())).rejects.toMatchObject({ errorMessage: 'AUTH_KEY_DUPLICATED' });
    expect(tg.duplicates).toHaveLength(1);
  });

  it('one key used again after its old connection closed is not a duplicate (a restart, GramJS\'s reconnect)', async () => {
    const { tg, session } = await setup();
    const a = gramClient(tg, session);
    await a.connect();
    await a.invoke(new Api.updates.GetState());
    await a.destroy();
    await waitFor('the old connection to close', () => tg.openConnections === 0);
    const b = gramClient(tg, session);
    await b.connect();
    expect(await b.invoke(new Api.updates.GetState())).toBeInstanceOf(Api.updates.State);
    tg.dropConnections();
    await waitFor('GramJS to reconnect', () => tg.openConnections === 1);
    expect(await b.invoke(new Api.updates.GetState())).toBeInstanceOf(Api.updates.State);
    expect(tg.duplicates).toEqual([]);
  });

  it('a forgotten auth key gets the -404 transport error; GramJS reports the connection broken', async () => {
    const { tg, account, session } = await setup();
    const client = gramClient(tg, session);
    const states: number[] = [];
    client.addEventHandler((u: UpdateConnectionState) => void states.push(u.state), new Raw({ types: [UpdateConnectionState] }));
    await client.connect();
    await client.getMe(); // GramJS's dispatcher waits for its own user before any event
    tg.forgetKeys(account);
    void client.invoke(config()).catch(() => undefined);
    await waitFor('GramJS to see the broken key', () => states.includes(UpdateConnectionState.broken));
    expect(tg.stats.unknownKey).toBeGreaterThanOrEqual(1);
  });
});
