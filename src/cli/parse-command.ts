// `paycue parse` (README: Operator commands, Bot messages and matching): classify bot messages from stdin, one JSON line each.
// Exit 0 whatever the verdicts; 2 when some input could not be read as text / JSON lines.
import { once } from 'node:events';
import { MAX_TEXT_CHARS, parseBotMessage, type ParseResult } from '../bot-messages/index.js';

export type ParseCommandOptions = { sender?: number; jsonl?: boolean; defaultSender: number };

/** A JSON line longer than this is rejected unread (a bot message is at most 4096 chars). */
const MAX_LINE_BYTES = 1 << 20;

/** Fixed key order, so output is byte-stable for scripts and diffs. */
export function formatResult(r: ParseResult): string {
  return r.credit
    ? JSON.stringify({ credit: true, amount_tiyin: r.amount_tiyin, currency: r.currency, last4: r.last4, bot: r.bot })
    : JSON.stringify({ credit: false, reason: r.reason });
}

async function writeLine(out: NodeJS.WritableStream, line: string): Promise<void> {
  if (!out.write(`${line}\n`)) await once(out, 'drain');
}

const toBytes = (chunk: string | Buffer): Buffer => (typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);

class NotText extends Error {}

/** Whole stdin is one message. Validated as UTF-8 while streaming; only a prefix is kept. */
async function runSingle(
  sender: number,
  input: NodeJS.ReadableStream,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const kept: string[] = [];
  let keptChars = 0;
  const keep = (s: string): void => {
    if (s.includes('\u0000')) throw new NotText(); // NUL: binary, not a message
    // One char past the parser's limit is enough for it to answer too_long.
    if (keptChars <= MAX_TEXT_CHARS) {
      kept.push(s.slice(0, MAX_TEXT_CHARS + 1 - keptChars));
      keptChars += s.length;
    }
  };
  const decode = (bytes?: Buffer): string => {
    try {
      return bytes === undefined ? decoder.decode() : decoder.decode(bytes, { stream: true });
    } catch {
      throw new NotText(); // malformed UTF-8
    }
  };
  try {
    for await (const chunk of input) {
      keep(decode(toBytes(chunk)));
    }
    keep(decode());
  } catch (e) {
    const why = e instanceof NotText ? 'input is not UTF-8 text' : `cannot read input: ${(e as Error).message}`;
    await writeLine(err, `paycue parse: ${why}`);
    return 2;
  }
  await writeLine(out, formatResult(parseBotMessage(kept.join(''), sender)));
  return 0;
}

type LineVerdict = { result: ParseResult } | { error: string };

/** One JSONL record → verdict or error reason. A blank line is an error too: every input line
 * gets exactly one output line, so callers can pair them up by position. */
function judgeLine(bytes: Buffer, tooLong: boolean, fallbackSender: number): LineVerdict {
  if (tooLong) return { error: 'line too long' };
  let line: string;
  try {
    line = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { error: 'not UTF-8 text' };
  }
  if (line.trim() === '') return { error: 'empty line' };
  let rec: unknown;
  try {
    rec = JSON.parse(line);
  } catch {
    return { error: 'invalid JSON' };
  }
  if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) return { error: 'not a JSON object' };
  const { text, sender } = rec as { text?: unknown; sender?: unknown };
  if (typeof text !== 'string') return { error: 'missing string field "text"' };
  let from = fallbackSender;
  if (typeof sender === 'number' && Number.isSafeInteger(sender)) from = sender;
  else if (typeof sender === 'string' && /^-?[0-9]{1,15}$/.test(sender)) from = Number(sender);
  else if (sender !== undefined && sender !== null) return { error: 'field "sender" must be an integer' };
  return { result: parseBotMessage(text, from) };
}

/**
 * One record per line, answered in order as lines arrive. Lines are split on raw bytes
 * (not readline) so a line that is not UTF-8 is reported instead of silently mangled.
 */
async function runJsonl(
  fallbackSender: number,
  input: NodeJS.ReadableStream,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  let lineNo = 0;
  let failed = false;
  let parts: Buffer[] = [];
  let size = 0;
  let tooLong = false;

  const finishLine = async (): Promise<void> => {
    lineNo++;
    const v = judgeLine(Buffer.concat(parts), tooLong, fallbackSender);
    parts = [];
    size = 0;
    tooLong = false;
    if ('error' in v) {
      failed = true;
      await writeLine(out, JSON.stringify({ error: v.error, line: lineNo }));
    } else {
      await writeLine(out, formatResult(v.result));
    }
  };
  const append = (piece: Buffer): void => {
    if (tooLong) return;
    size += piece.length;
    if (size > MAX_LINE_BYTES) {
      tooLong = true;
      parts = [];
    } else {
      parts.push(piece);
    }
  };

  try {
    for await (const chunk of input) {
      const buf = toBytes(chunk);
      let start = 0;
      for (let nl = buf.indexOf(0x0a, start); nl !== -1; nl = buf.indexOf(0x0a, start)) {
        append(buf.subarray(start, nl));
        await finishLine();
        start = nl + 1;
      }
      if (start < buf.length) append(buf.subarray(start));
    }
  } catch (e) {
    await writeLine(err, `paycue parse: cannot read input: ${(e as Error).message}`);
    return 2;
  }
  if (size > 0 || tooLong) await finishLine(); // last line without a trailing newline
  return failed ? 2 : 0;
}

export async function runParse(
  opts: ParseCommandOptions,
  input: NodeJS.ReadableStream,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const sender = opts.sender ?? opts.defaultSender;
  return opts.jsonl === true ? runJsonl(sender, input, out, err) : runSingle(sender, input, out, err);
}
