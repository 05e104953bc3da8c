// The development-only way to point paycue at the test Telegram: honoured with NODE_ENV=test,
// refused (naming the variable) anywhere else, so it can never redirect a real login.
import { describe, expect, it } from 'vitest';
import { _serverKeys } from 'telegram/crypto/RSA.js';
import { StringSession } from 'telegram/sessions/index.js';
import { ConfigError, parseConfig, parseOperatorConfig } from '../../src/config/env.js';
import { pointAtTestTelegram } from '../../src/telegram/test-telegram.js';
import { testServerKey } from '../mtproto-server/index.js';
import { tempDir } from './helpers.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const BASE = { APP_ID: '12345', APP_HASH: '0123456789abcdef0123456789abcdef', WEBHOOK_URL: 'http://127.0.0.1:9/hook', API_USERNAME: 'merchant', API_PASSWORD: 'secret' };

describe('PAYCUE_TEST_TELEGRAM_DC / PAYCUE_TEST_TELEGRAM_RSA_KEY', () => {
  it('outside NODE_ENV=test the configuration is refused, naming each variable; under it, accepted', () => {
    const env = { ...BASE, PAYCUE_TEST_TELEGRAM_DC: '127.1.2.3', PAYCUE_TEST_TELEGRAM_RSA_KEY: '/tmp/key.pem' };
    for (const parse of [parseConfig, parseOperatorConfig]) {
      for (const nodeEnv of [undefined, 'production', 'development']) {
        let err: unknown;
        try {
          parse({ ...env, NODE_ENV: nodeEnv });
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(ConfigError);
        expect((err as ConfigError).problems.map((p) => p.variable)).toEqual(expect.arrayContaining(['PAYCUE_TEST_TELEGRAM_DC', 'PAYCUE_TEST_TELEGRAM_RSA_KEY']));
        expect((err as ConfigError).message).toMatch(/for paycue's own tests only/);
      }
      expect(() => parse({ ...env, NODE_ENV: 'test' })).not.toThrow();
    }
  });

  it('under NODE_ENV=test a session dials the given address on port 80 and GramJS trusts the given key; otherwise nothing changes', async () => {
    const key = testServerKey();
    const file = join(await tempDir(), 'key.pem');
    await writeFile(file, key.publicPem);
    _serverKeys.delete(key.fingerprint.toString());

    const ignored = new StringSession('');
    pointAtTestTelegram(ignored, { PAYCUE_TEST_TELEGRAM_DC: '127.1.2.3', PAYCUE_TEST_TELEGRAM_RSA_KEY: file, NODE_ENV: 'production' });
    expect(ignored.serverAddress).toBeUndefined();
    expect(_serverKeys.has(key.fingerprint.toString())).toBe(false);

    const pointed = new StringSession('');
    pointAtTestTelegram(pointed, { PAYCUE_TEST_TELEGRAM_DC: '127.1.2.3', PAYCUE_TEST_TELEGRAM_RSA_KEY: file, NODE_ENV: 'test' });
    expect([pointed.dcId, pointed.serverAddress, pointed.port]).toEqual([2, '127.1.2.3', 80]);
    expect(_serverKeys.get(key.fingerprint.toString())?.n.toString()).toBe(key.n.toString());
  });
});
