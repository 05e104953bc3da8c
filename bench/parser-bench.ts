// Parser throughput over the real fixture texts, for `npm run bench` and regressions.
import { readFileSync } from 'node:fs';
import { parseBotMessage } from '../src/bot-messages/index.js';

export type ParserBenchResult = { messages: number; seconds: number; messagesPerSecond: number };

export function benchParser(fixturesPath: string, minMillis = 1000): ParserBenchResult {
  const fixtures = JSON.parse(readFileSync(fixturesPath, 'utf8')) as Array<{ text: string; sender: number }>;
  if (!Array.isArray(fixtures) || fixtures.length === 0) throw new Error(`no fixtures in ${fixturesPath}`);

  let messages = 0;
  let credits = 0; // consumed below so the calls cannot be optimised away
  const start = process.hrtime.bigint();
  let elapsedNs = 0n;
  const minNs = BigInt(Math.max(0, Math.ceil(minMillis * 1e6)));
  do {
    for (const f of fixtures) if (parseBotMessage(f.text, f.sender).credit) credits++;
    messages += fixtures.length;
    elapsedNs = process.hrtime.bigint() - start;
  } while (elapsedNs < minNs);

  const seconds = Number(elapsedNs) / 1e9;
  if (credits < 0) throw new Error('unreachable');
  return { messages, seconds, messagesPerSecond: seconds > 0 ? messages / seconds : Infinity };
}
