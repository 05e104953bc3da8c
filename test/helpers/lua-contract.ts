// Reads the header comment of a Lua script (src/redis/lua/*.lua) as its contract: the KEYS and
// ARGV it takes, in order. The notation stays written for people first:
//
//   KEYS[1] tx  KEYS[2] deadlines (any words)   one key each, named as in redisKeys (keys.ts);
//                                                `tx|credit`: either may be passed
//   KEYS[4 ..] a, {each card: b, c}, d           from 4 on, a comma-separated list (last line)
//   ARGV: txid, clock offset ms, {each entry: entry id}    `ARGV: none` when there are none
//
// `{label: …}` repeats what it holds once per label (0 times too): the caller says how often.
// Lines that continue a KEYS or ARGV line are indented. What an ARGV description promises is
// checked against the value passed: `('a'|'b')` lists the only values, `ms` / `seconds` /
// `tiyin` make it an integer, `JSON` a JSON text; '' passes where the description shows ''.

export type Entry = { text: string } | { each: string; entries: Entry[] };

export interface Contract {
  keys: Entry[];
  argv: Entry[];
}

export function parseContract(source: string): Contract {
  const header = /^--\[\[([\s\S]*?)\]\]/.exec(source)?.[1];
  if (header === undefined) throw new Error('no --[[ … ]] header');
  const lines = header.split('\n');
  // A section: its first line, lines starting like it, and indented lines after them.
  const section = (start: RegExp): string | undefined => {
    const first = lines.findIndex((l) => start.test(l));
    if (first < 0) return undefined;
    let end = first + 1;
    while (end < lines.length && (start.test(lines[end] ?? '') || /^\s+\S/.test(lines[end] ?? ''))) end++;
    return lines.slice(first, end).map((l) => l.trim()).join(' ');
  };

  const keysText = section(/^KEYS\[/);
  if (keysText === undefined) throw new Error('no KEYS[1] line');
  const keys: Entry[] = [];
  const marks = [...keysText.matchAll(/KEYS\[(\d+)( \.\.)?\]/g)];
  marks.forEach((m, i) => {
    if (Number(m[1]) !== keys.length + 1) throw new Error(`KEYS[${m[1]}] where KEYS[${keys.length + 1}] was due`);
    const text = keysText.slice(m.index + m[0].length, marks[i + 1]?.index).trim();
    if (!m[2]) keys.push({ text });
    else if (i === marks.length - 1) keys.push(...entries(text));
    else throw new Error(`KEYS[${m[1]} ..] must come last`);
  });

  const argvText = section(/^ARGV:/)?.slice('ARGV:'.length).trim();
  if (argvText === undefined) throw new Error('no ARGV: line (ARGV: none when it takes none)');
  return { keys, argv: argvText === 'none' ? [] : entries(argvText) };
}

/** Splits at the commas outside brackets. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(from, i));
      from = i + 1;
    }
  }
  parts.push(text.slice(from));
  return parts.map((p) => p.trim());
}

/** A comma-separated list; `{label: …}` is a repeated group. */
function entries(text: string): Entry[] {
  return splitTopLevel(text).map((p): Entry => {
    const group = /^\{([^:]+):(.*)\}$/s.exec(p);
    return group ? { each: (group[1] as string).trim(), entries: entries(group[2] as string) } : { text: p };
  });
}

/** The entries as passed, each group repeated `repeats[label]` times (once each when omitted). */
export function expand(list: Entry[], repeats: Record<string, number> = {}): string[] {
  return list.flatMap((e) => ('text' in e ? [e.text] : Array.from({ length: repeats[e.each] ?? 1 }, () => expand(e.entries, repeats)).flat()));
}

/** The redisKeys names a KEYS entry allows: `tx|credit (…)` → tx, credit. */
export function keyNames(text: string): string[] {
  return (/^[\w|]+/.exec(text)?.[0] ?? '').split('|');
}

/** Why `value` cannot be the argument `text` describes, or undefined. */
export function argumentProblem(text: string, value: string): string | undefined {
  if (value === '' && text.includes("''")) return undefined;
  const choices = /\(((?:'[^']*'|-?\d+)(?:\|(?:'[^']*'|-?\d+))+)\)/.exec(text)?.[1]?.split('|').map((c) => c.replace(/^'|'$/g, ''));
  if (choices && !choices.includes(value)) return `not one of ${choices.join(', ')}`;
  if (/\b(ms|seconds|tiyin)\b/.test(text) && !/^-?\d+$/.test(value)) return 'not an integer';
  if (/\bJSON\b/.test(text)) {
    try {
      JSON.parse(value);
    } catch {
      return 'not JSON';
    }
  }
  return undefined;
}

export interface ScriptCall {
  /** The redisKeys name of each key passed, in order. */
  keys: string[];
  args: string[];
}

/** Where a call disagrees with its script's contract ([] when it keeps it). */
export function contractProblems(c: Contract, call: ScriptCall, repeats: Record<string, number> = {}): string[] {
  const problems: string[] = [];
  const keys = expand(c.keys, repeats);
  const argv = expand(c.argv, repeats);
  if (call.keys.length !== keys.length) problems.push(`${call.keys.length} keys passed, the header declares ${keys.length}`);
  keys.forEach((text, i) => {
    const passed = call.keys[i];
    if (passed !== undefined && !keyNames(text).includes(passed)) problems.push(`KEYS[${i + 1}] is ${passed}, the header says "${text}"`);
  });
  if (call.args.length !== argv.length) problems.push(`${call.args.length} arguments passed, the header declares ${argv.length}`);
  argv.forEach((text, i) => {
    const passed = call.args[i];
    const why = passed === undefined ? undefined : argumentProblem(text, passed);
    if (why) problems.push(`ARGV[${i + 1}] ${JSON.stringify(passed)} is ${why}, the header says "${text}"`);
  });
  return problems;
}

/** The script without its comments (so that a header's KEYS[n] is not read as code). */
export function code(source: string): string {
  return source.replace(/--\[\[[\s\S]*?\]\]/g, '').replace(/--.*$/gm, '');
}

/** The highest KEYS[n] / ARGV[n] the code reads by a literal index (0 when none). */
export function highestIndex(luaCode: string, table: 'KEYS' | 'ARGV'): number {
  return Math.max(0, ...[...luaCode.matchAll(new RegExp(`\\b${table}\\[(\\d+)\\]`, 'g'))].map((m) => Number(m[1])));
}

export interface HashCall {
  command: string;
  /** The Lua expression of the key, and of each field the call names. */
  key: string;
  fields: string[];
}

/** Which arguments after the key name fields, per hash command. */
const FIELD_ARGUMENTS: Record<string, (i: number) => boolean> = {
  HGET: (i) => i === 0,
  HEXISTS: (i) => i === 0,
  HINCRBY: (i) => i === 0,
  HSETNX: (i) => i === 0,
  HMGET: () => true,
  HDEL: () => true,
  HSET: (i) => i % 2 === 0,
  HGETALL: () => false,
};

/** Every `redis.call('H…', key, …)` (and pcall) in Lua code, nested ones included. */
export function hashCalls(luaCode: string): HashCall[] {
  const out: HashCall[] = [];
  for (const m of luaCode.matchAll(/redis\.p?call\(\s*'(H[A-Z]+)'\s*,/g)) {
    const command = m[1] as string;
    const isField = FIELD_ARGUMENTS[command];
    if (!isField) throw new Error(`hash command ${command}: say in FIELD_ARGUMENTS which of its arguments are fields`);
    const [key = '', ...rest] = callArguments(luaCode, m.index + m[0].length);
    out.push({ command, key, fields: rest.filter((_, i) => isField(i)) });
  }
  return out;
}

/** The comma-separated Lua expressions from `from` to the parenthesis that closes the call. */
function callArguments(lua: string, from: number): string[] {
  const args: string[] = [];
  let depth = 0;
  let start = from;
  for (let i = from; i < lua.length; i++) {
    const c = lua[i] as string;
    if (c === "'" || c === '"') {
      i = lua.indexOf(c, i + 1); // no escaped quotes in field names or keys
      continue;
    }
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) {
      if (depth === 0) {
        args.push(lua.slice(start, i).trim());
        return args;
      }
      depth--;
    } else if (c === ',' && depth === 0) {
      args.push(lua.slice(start, i).trim());
      start = i + 1;
    }
  }
  throw new Error(`unclosed call at ${lua.slice(from - 20, from + 40)}`);
}

/** What a Lua field expression names: `'state'` → state, `'seen:' .. id` → seen:<…>; undefined
 * when the field is computed. */
export function fieldOf(expr: string): string | undefined {
  const literal = /^'([^']*)'$/.exec(expr);
  if (literal) return literal[1];
  const prefixed = /^'([^']*)'\s*\.\./.exec(expr);
  return prefixed ? `${prefixed[1]}<…>` : undefined;
}

/** The value a `local name = …` (or `local a, name = …, …`) in the code gives `name`. */
export function localValue(luaCode: string, name: string): string | undefined {
  for (const m of luaCode.matchAll(/^\s*local ([\w, ]+?)\s*=\s*(.+)$/gm)) {
    const names = (m[1] as string).split(',').map((n) => n.trim());
    const i = names.indexOf(name);
    if (i < 0) continue;
    return splitTopLevel(m[2] as string)[i];
  }
  return undefined;
}
