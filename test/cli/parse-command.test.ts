// `paycue parse` through in-memory streams: output lines, order and exit codes (README:
// Operator commands; Bot messages and matching).
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatCardXabar, formatHumo, humoCreditMessage, humoReversalMessage } from '../../src/bot-messages/index.js';
import { runParse } from '../../src/cli/parse-command.js';

const HUMO = 856254490;
const CX = 915326936;

type Run = { code: number; out: string; err: string };

async function run(opts: { sender?: number; jsonl?: boolean }, input: Readable | Array<string | Buffer>): Promise<Run> {
  const stdin = Array.isArray(input) ? Readable.from(input) : input;
  const out = new PassThrough();
  const err = new PassThrough();
  const outChunks: Buffer[] = [];
  const errChunks: Buffer[] = [];
  out.on('data', (c: Buffer) => outChunks.push(c));
  err.on('data', (c: Buffer) => errChunks.push(c));
  const code = await runParse({ ...opts, defaultSender: HUMO }, stdin, out, err);
  return { code, out: Buffer.concat(outChunks).toString('utf8'), err: Buffer.concat(errChunks).toString('utf8') };
}

const lines = (s: string): unknown[] => s.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as unknown);

describe('paycue parse, single message', () => {
  it('prints one credit line with keys in contract order', async () => {
    const r = await run({}, [humoCreditMessage(2000100, '7159')]);
    expect(r).toEqual({
      code: 0,
      out: '{"credit":true,"amount_tiyin":2000100,"currency":"UZS","last4":"7159","bot":"humo"}\n',
      err: '',
    });
  });

  it('reads a message split across chunks, even inside a UTF-8 sequence', async () => {
    const bytes = Buffer.from(humoCreditMessage(101000, '0042'));
    const chunks = Array.from(bytes, (b) => Buffer.from([b]));
    const r = await run({}, chunks);
    expect(r.code).toBe(0);
    expect(lines(r.out)).toEqual([{ credit: true, amount_tiyin: 101000, currency: 'UZS', last4: '0042', bot: 'humo' }]);
  });

  it('exits 0 for a non-credit too', async () => {
    const r = await run({}, [humoReversalMessage(101000, '7159')]);
    expect(r).toEqual({ code: 0, out: '{"credit":false,"reason":"reversal"}\n', err: '' });
  });

  it('--sender overrides the default sender', async () => {
    const text = `🟢 Perevod na kartu\n➕ ${formatCardXabar(54000000)} UZS\n💳 ***4042\n`;
    expect(lines((await run({}, [text])).out)).toEqual([{ credit: false, reason: 'ambiguous' }]);
    expect(lines((await run({ sender: CX }, [text])).out)).toEqual([
      { credit: true, amount_tiyin: 54000000, currency: 'UZS', last4: '4042', bot: 'cardxabar' },
    ]);
    expect(lines((await run({ sender: 42 }, [humoCreditMessage(100, '7159')])).out)).toEqual([
      { credit: false, reason: 'unknown_sender' },
    ]);
  });

  it('exits 2 on input that is not UTF-8 text', async () => {
    for (const bad of [Buffer.from([0xff, 0xfe, 0x00, 0x41]), Buffer.from('🎉 To\'ldirish\n\u0000'), Buffer.from([0xe2, 0x9e])]) {
      const r = await run({}, [bad]);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toMatch(/not UTF-8/);
    }
  });

  it('keeps only a prefix of huge input and answers too_long', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const r = await run({}, [Buffer.from(humoCreditMessage(100, '7159')), ...Array.from({ length: 80 }, () => chunk)]);
    expect(r).toEqual({ code: 0, out: '{"credit":false,"reason":"too_long"}\n', err: '' });
  });

  it('exits 2 when the input stream fails', async () => {
    const stdin = new Readable({ read() { this.destroy(new Error('EIO')); } });
    const r = await run({}, stdin);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/EIO/);
  });
});

describe('paycue parse --jsonl', () => {
  it('answers every line in order, one output line per input line', async () => {
    const amounts = [2000100, 2000101, 2000102, 5, 99_999_999_900];
    const input = [
      ...amounts.map((t, i) => JSON.stringify({ text: humoCreditMessage(t, String(1000 + i)) })),
      JSON.stringify({ text: humoReversalMessage(2000100, '7159'), sender: HUMO }),
      JSON.stringify({ text: `🟢 Popolnenie scheta\n➕ ${formatCardXabar(777)} UZS\n💳 ***4862`, sender: CX }),
      JSON.stringify({ text: humoCreditMessage(100, '7159'), sender: 111111111 }),
      JSON.stringify({ text: humoCreditMessage(100, '7159'), sender: String(HUMO) }),
    ].join('\r\n');
    const r = await run({ jsonl: true }, [input]);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(lines(r.out)).toEqual([
      ...amounts.map((t, i) => ({ credit: true, amount_tiyin: t, currency: 'UZS', last4: String(1000 + i), bot: 'humo' })),
      { credit: false, reason: 'reversal' },
      { credit: true, amount_tiyin: 777, currency: 'UZS', last4: '4862', bot: 'cardxabar' },
      { credit: false, reason: 'unknown_sender' },
      { credit: true, amount_tiyin: 100, currency: 'UZS', last4: '7159', bot: 'humo' },
    ]);
  });

  it('line sender beats --sender, which beats the default', async () => {
    const text = `🟢 Perevod na kartu\n➕ ${formatCardXabar(100)} UZS\n💳 ***4862`;
    const input = [JSON.stringify({ text }), JSON.stringify({ text, sender: HUMO })].join('\n') + '\n';
    expect(lines((await run({ jsonl: true, sender: CX }, [input])).out)).toEqual([
      { credit: true, amount_tiyin: 100, currency: 'UZS', last4: '4862', bot: 'cardxabar' },
      { credit: false, reason: 'ambiguous' },
    ]);
  });

  it('streams: answers a line before the input ends', async () => {
    const stdin = new PassThrough();
    const out = new PassThrough();
    const done = runParse({ jsonl: true, defaultSender: HUMO }, stdin, out, new PassThrough());
    const first = new Promise<string>((resolve) => out.once('data', (c: Buffer) => resolve(c.toString('utf8'))));
    stdin.write(`${JSON.stringify({ text: humoCreditMessage(4200, '1234') })}\n`);
    expect(JSON.parse(await first)).toMatchObject({ credit: true, amount_tiyin: 4200 });
    stdin.end(JSON.stringify({ text: 'x' })); // last line without a newline still counts
    expect(await done).toBe(0);
  });

  it('reports each bad line with its number, goes on, and exits 2', async () => {
    const good = JSON.stringify({ text: `🎉 Пополнение\n➕ ${formatHumo(300)} UZS\n💳 HUMOCARD *4428` });
    const input = Buffer.concat([
      Buffer.from(
        [
          good, // 1
          'not json', // 2
          '', // 3: blank: an error line keeps output paired with input
          '[1,2]', // 4
          '{"text": 5}', // 5
          '{"sender": 856254490}', // 6
          '{"text": "x", "sender": "abc"}', // 7
          'null', // 8
          good, // 9
        ].join('\n') + '\n',
      ),
      Buffer.from([0x7b, 0xff, 0x7d, 0x0a]), // 10: not UTF-8
      Buffer.from(`${good}\n`), // 11
    ]);
    const r = await run({ jsonl: true }, [input]);
    expect(r.code).toBe(2);
    const credit = { credit: true, amount_tiyin: 300, currency: 'UZS', last4: '4428', bot: 'humo' };
    const got = lines(r.out) as Array<Record<string, unknown>>;
    expect(got.map((g) => ('error' in g ? g.line : 'ok'))).toEqual(['ok', 2, 3, 4, 5, 6, 7, 8, 'ok', 10, 'ok']);
    expect(got.filter((g) => !('error' in g))).toEqual([credit, credit, credit]);
    for (const g of got) if ('error' in g) expect(Object.keys(g)).toEqual(['error', 'line']);
    expect(got[1]).toEqual({ error: 'invalid JSON', line: 2 });
  });

  it('rejects an over-long line without buffering it, then carries on', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 'a');
    const r = await run({ jsonl: true }, [Buffer.from('{"text": "'), big, Buffer.from('"}\n'), Buffer.from('{"text": "hi"}\n')]);
    expect(r.code).toBe(2);
    expect(lines(r.out)).toEqual([{ error: 'line too long', line: 1 }, { credit: false, reason: 'unrecognised' }]);
  });

  it('empty input prints nothing and exits 0', async () => {
    expect(await run({ jsonl: true }, [])).toEqual({ code: 0, out: '', err: '' });
  });
});
