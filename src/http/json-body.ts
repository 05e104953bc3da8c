// Reads a JSON request body: 415 when it is not JSON, 400 when it does not parse.
import type { Context } from 'hono';
import type { z } from 'zod';
import { HttpError } from './respond.js';

export async function readJson(c: Context): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type.trim())) {
    throw new HttpError(415, 'Content-Type must be application/json');
  }
  const text = await c.req.text();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'malformed JSON body');
  }
  const problem = strictJsonProblem(text);
  if (problem) throw new HttpError(400, `malformed JSON body: ${problem}`);
  return value;
}

export const MAX_JSON_DEPTH = 32;

/**
 * What JSON.parse lets through but a payment API must not: a duplicate key (JSON.parse keeps
 * the last, so `{"amount":-1,"amount":1000}` would pass as 1000 while another parser sees -1)
 * and nesting deep enough to overflow the stack of any recursive code later (size checks,
 * logging, webhook bodies). `text` must already have parsed; one pass, no recursion.
 */
export function strictJsonProblem(text: string, maxDepth = MAX_JSON_DEPTH): string | null {
  // One entry per open container: the keys seen so far for an object, null for an array.
  const open: (Set<string> | null)[] = [];
  let keyNext = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const keys = open[open.length - 1];
      if (keyNext && keys) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (keys.has(key)) return `duplicate key ${JSON.stringify(key)}`;
        keys.add(key);
        keyNext = false;
      }
      i = end;
    } else if (ch === '{' || ch === '[') {
      open.push(ch === '{' ? new Set() : null);
      if (open.length > maxDepth) return `nested deeper than ${maxDepth} levels`;
      keyNext = ch === '{';
    } else if (ch === '}' || ch === ']') {
      open.pop();
    } else if (ch === ',') {
      keyNext = open[open.length - 1] != null;
    }
  }
  return null;
}

/** Validates with zod; the first problem becomes the 400's detail. */
export function validate<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw new HttpError(400, `${where}${issue?.message ?? 'invalid body'}`);
}
