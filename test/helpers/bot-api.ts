// A Telegram Bot API stand-in on 127.0.0.1 that speaks the few methods paycue's alert bot
// uses (getMe, deleteWebhook, getUpdates with long polling, sendMessage, editMessageText,
// answerCallbackQuery), for grammY's `apiRoot`. Tests push button presses as updates and read
// what the bot sent.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SentMessage {
  message_id: number;
  chat_id: number;
  text: string;
  reply_markup?: { inline_keyboard: { text: string; callback_data: string }[][] };
}

export interface BotApi {
  url: string;
  token: string;
  sent: SentMessage[];
  edits: { chat_id: number; message_id: number; text: string; reply_markup?: SentMessage['reply_markup'] }[];
  answers: { callback_query_id: string; text?: string }[];
  calls: string[];
  /** 'up' answers; 'down' answers 502 to everything; 'hang' never answers. */
  mode: 'up' | 'down' | 'hang';
  /** Runs after a sendMessage is recorded and before it is answered (the message is "in flight"). */
  onSend?: (msg: SentMessage) => Promise<void>;
  press(from: { id: number; username?: string }, message: SentMessage, data: string): string;
  waitFor<T>(what: string, check: () => T | undefined, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

export const TOKEN = '123456789:AAtesttokentesttokentesttokentest00';

export async function startBotApi(chatId: number): Promise<BotApi> {
  let updateId = 0;
  let messageId = 0;
  const updates: unknown[] = [];
  const pollers: (() => void)[] = [];
  const api: BotApi = {
    url: '',
    token: TOKEN,
    sent: [],
    edits: [],
    answers: [],
    calls: [],
    mode: 'up',
    press(from, message, data) {
      const id = `cb${++updateId}`;
      updates.push({
        update_id: updateId,
        callback_query: {
          id,
          from: { id: from.id, is_bot: false, first_name: 'U', ...(from.username ? { username: from.username } : {}) },
          chat_instance: 'ci',
          data,
          message: { message_id: message.message_id, date: 1, chat: { id: chatId, type: chatId < 0 ? 'group' : 'private' }, text: message.text },
        },
      });
      pollers.splice(0).forEach((p) => p());
      return id;
    },
    async waitFor(what, check, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const v = check();
        if (v !== undefined) return v;
        if (Date.now() > deadline) throw new Error(`bot api: timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () =>
      new Promise((res) => {
        pollers.splice(0).forEach((p) => p());
        server.closeAllConnections();
        server.close(() => res());
      }),
  };
  const reply = (res: ServerResponse, result: unknown) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, result }));
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const m = /^\/bot([^/]+)\/(\w+)$/.exec(req.url ?? '');
      if (m && api.mode !== 'up') api.calls.push(`${m[2]} (${api.mode})`);
      if (api.mode === 'hang') return;
      if (api.mode === 'down') return void res.writeHead(502).end('bad gateway');
      if (!m || m[1] !== TOKEN) {
        return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"ok":false,"error_code":401,"description":"Unauthorized"}');
      }
      const method = m[2] as string;
      api.calls.push(method);
      const raw = Buffer.concat(chunks).toString('utf8');
      const body = (raw ? JSON.parse(raw) : {}) as Record<string, any>;
      switch (method) {
        case 'getMe':
          return reply(res, { id: 123456789, is_bot: true, first_name: 'paycue alerts', username: 'paycue_test_bot' });
        case 'deleteWebhook':
        case 'answerCallbackQuery':
          if (method === 'answerCallbackQuery') api.answers.push({ callback_query_id: body.callback_query_id, text: body.text });
          return reply(res, true);
        case 'getUpdates': {
          const offset = Number(body.offset ?? 0);
          const ready = () => updates.filter((u) => (u as { update_id: number }).update_id >= offset);
          if (ready().length > 0 || !body.timeout) return reply(res, ready());
          const t = setTimeout(() => reply(res, ready()), Math.min(Number(body.timeout) * 1000, 500));
          pollers.push(() => {
            clearTimeout(t);
            if (!res.writableEnded) reply(res, ready());
          });
          return;
        }
        case 'sendMessage': {
          const msg: SentMessage = { message_id: ++messageId, chat_id: Number(body.chat_id), text: body.text, ...(body.reply_markup ? { reply_markup: body.reply_markup } : {}) };
          api.sent.push(msg);
          const answer = () => reply(res, { message_id: msg.message_id, date: 1, chat: { id: msg.chat_id, type: 'private' }, text: msg.text });
          if (!api.onSend) return answer();
          return void api.onSend(msg).then(answer, answer);
        }
        case 'editMessageText':
          api.edits.push({ chat_id: Number(body.chat_id), message_id: Number(body.message_id), text: body.text, ...(body.reply_markup ? { reply_markup: body.reply_markup } : {}) });
          return reply(res, { message_id: Number(body.message_id), date: 1, chat: { id: Number(body.chat_id), type: 'private' }, text: body.text });
        default:
          return void res.writeHead(404, { 'content-type': 'application/json' }).end(`{"ok":false,"error_code":404,"description":"Not Found: method ${method}"}`);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  api.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return api;
}
