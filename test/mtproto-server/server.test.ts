// The test Telegram itself, driven by GramJS's own client over real sockets: the auth-key
// exchange, MTProto 2.0 sessions and the API answering as Telegram documents it. paycue's
// Telegram tests rest on this being faithful.
import { afterEach, describe, expect, it } from 'vitest';
import { Api, TelegramClient } from 'telegram';
import { Logger, LogLevel } from 'telegram/extensions/Logger.js';
import { StringSession } from 'telegram/sessions/index.js';
import { _serverKeys } from 'telegram/crypto/RSA.js';
import { returnBigInt } from 'telegram/Helpers.js';
import { TelegramTestServer } from './index.js';
import { closeAll, gramClient } from './client.js';
import { waitFor } from '../helpers/wait.js';

const servers: TelegramTestServer[] = [];
afterEach(() => closeAll(servers));

async function server(opts: Parameters<typeof TelegramTestServer.start>[0] = {}): Promise<TelegramTestServer> {
  const s = await TelegramTestServer.start(opts);
  servers.push(s);
  return s;
}

const PHONE = '+998901234567';

describe('transport, auth key, sessions', () => {
  it('a fresh client makes an auth key with the test RSA key; its first request survives bad_server_salt and opens a session', async () => {
    const tg = await server();
    const client = gramClient(tg);
    expect(await client.connect()).toBe(true);
    expect(tg.keysInUse).toBe(1);
    // GramJS starts with salt 0: Telegram answers bad_server_salt and GramJS resends.
    expect(tg.stats.badServerSalt).toBeGreaterThanOrEqual(1);
    expect(tg.stats.newSessions).toBe(1);
    const keyId = BigInt(client.session.getAuthKey()!.keyId!.toString());
    const key = tg.keys.get(keyId)!;
    expect(key).toBeDefined();
    // invokeWithLayer(initConnection(help.getConfig)) as GramJS sends it on connect.
    expect(key.layer).toBe(198);
    expect(key.client).toMatchObject({ apiId: 12345 });
    expect(tg.requests.map((r) => r.method)).toEqual(['help.GetConfig']);
  });

  it('a client that does not know the server key refuses it (the key really is checked)', async () => {
    const tg = await server();
    tg.trustKey();
    const fp = tg.rsa.fingerprint.toString();
    const trusted = _serverKeys.get(fp)!;
    _serverKeys.delete(fp);
    try {
      const session = new StringSession('');
      session.setDC(2, tg.dcIp, 80);
      const client = new TelegramClient(session, 12345, 'x', { connectionRetries: 1, baseLogger: new Logger(LogLevel.NONE) });
      expect(await client.connect()).toBe(false);
      await client.destroy();
      expect(tg.stats.authKeysCreated).toBe(0);
    } finally {
      _serverKeys.set(fp, trusted);
    }
  });

  it('a saved session: getMe answers with the account, with an access hash of its own', async () => {
    const tg = await server();
    const account = tg.addAccount({ phone: PHONE, firstName: 'Kassa', username: 'kassa_uz' });
    const client = gramClient(tg, await tg.sessionFor(account));
    await client.connect();
    const me = await client.getMe();
    expect(me).toBeInstanceOf(Api.User);
    expect(me.id.toString()).toBe(String(account.id));
    expect(me.self).toBe(true);
    expect(me.username).toBe('kassa_uz');
    expect(me.phone).toBe(PHONE);
    expect(me.accessHash!.toString()).toBe(tg.world.accessHash(account.id, account.id).toString());
    expect(tg.stats.authKeysCreated).toBe(0); // the saved key was used, no new exchange
  });

  it('getMe on a key that is not logged in: 401 AUTH_KEY_UNREGISTERED', async () => {
    const tg = await server();
    const client = gramClient(tg);
    await client.connect();
    await expect(client.getMe()).rejects.toMatchObject({ code: 401, errorMessage: 'AUTH_KEY_UNREGISTERED' });
  });

  it('help.getConfig dates itself by the server\'s clock; updates.getState by the account\'s last update', async () => {
    const tg = await server({ clockSkewMs: -90_000 });
    const account = tg.addAccount({ phone: PHONE, firstName: 'Kassa' });
    const client = gramClient(tg, await tg.sessionFor(account));
    await client.connect();
    const before = Math.floor((Date.now() - 90_000) / 1000);
    const config = await client.invoke(new Api.help.GetConfig());
    const after = Math.floor((Date.now() - 90_000) / 1000);
    expect(config.date).toBeGreaterThanOrEqual(before);
    expect(config.date).toBeLessThanOrEqual(after);
    const state = await client.invoke(new Api.updates.GetState());
    expect(state).toMatchObject({ pts: 0, date: account.lastUpdateDate });
    expect(state.date).toBeLessThan(before);
  });

  it('pings are answered with pong (GramJS\'s ping_delay_disconnect)', async () => {
    const tg = await server();
    const client = gramClient(tg);
    await client.connect();
    const pingId = returnBigInt(424242);
    const pong = await client.invoke(new Api.PingDelayDisconnect({ pingId, disconnectDelay: 75 }));
    expect(pong).toBeInstanceOf(Api.Pong);
    expect((pong as unknown as Api.Pong).pingId.toString()).toBe('424242');
    expect(tg.stats.pongs).toBe(1);
  });

  it('several requests at once go in one container and come back in one, with acks', async () => {
    const tg = await server();
    const account = tg.addAccount({ phone: PHONE, firstName: 'Kassa' });
    const client = gramClient(tg, await tg.sessionFor(account));
    await client.connect();
    const containersIn = tg.stats.containersIn;
    const [a, b, c] = await Promise.all([
      client.invoke(new Api.help.GetConfig()),
      client.invoke(new Api.updates.GetState()),
      client.invoke(new Api.users.GetUsers({ id: [new Api.InputUserSelf()] })),
    ]);
    expect(a).toBeInstanceOf(Api.Config);
    expect(b).toBeInstanceOf(Api.updates.State);
    expect(c[0]!.id.toString()).toBe(String(account.id));
    expect(tg.stats.containersIn).toBeGreaterThan(containersIn);
    expect(tg.stats.containersOut).toBeGreaterThan(0);
    expect(tg.stats.acksOut).toBeGreaterThan(0);
  });

  it('when the server drops the connection GramJS reconnects in a new session and goes on', async () => {
    const tg = await server();
    const account = tg.addAccount({ phone: PHONE, firstName: 'Kassa' });
    const client = gramClient(tg, await tg.sessionFor(account));
    await client.connect();
    await client.getMe();
    const sessions = tg.stats.newSessions;
    tg.dropConnections();
    await waitFor('GramJS to reconnect', () => tg.openConnections === 1 && tg.stats.newSessions > sessions);
    expect((await client.getMe()).id.toString()).toBe(String(account.id));
  });
});
