// The test Telegram: see server.ts. Tests import from here.
export { TelegramTestServer, TEST_APP_HASH, TEST_APP_ID, TELEGRAM_PORT, type PushShape, type TestServerOptions } from './server.js';
export { HUMO_BOT, CARDXABAR_BOT, SERVICE_USER, type Account, type StoredMessage } from './world.js';
export { SrpServer } from './srp.js';
export { testServerKey, trustServerKey } from './keys.js';
