// A sandbox daemon whose alert bot (the real grammY) talks to the Bot API stand-in, with a
// webhook receiver: what the alert tests start. The caller closes `api` and `receiver`.
import type { AlertTimings } from '../../src/alerts/settings.js';
import { startBotApi, TOKEN, type BotApi } from './bot-api.js';
import { startTestDaemon, type TestDaemon } from './daemon.js';
import { startReceiver, type Receiver } from './receiver.js';

export const CHAT = 4242;
export const ADMIN = 777;

export async function startAlertDaemon(
  timings: Partial<AlertTimings>,
  env: Record<string, string> = {},
  respond?: Receiver['respond'],
): Promise<{ d: TestDaemon; api: BotApi; receiver: Receiver }> {
  const api = await startBotApi(CHAT);
  const receiver = await startReceiver(respond);
  const d = await startTestDaemon(
    { WEBHOOK_URL: receiver.url, ALERT_BOT_TOKEN: TOKEN, ALERT_CHAT_ID: String(CHAT), ALERT_ADMINS: String(ADMIN), ALERT_API_ROOT: api.url, ...env },
    { alertTimings: timings },
  );
  return { d, api, receiver };
}
