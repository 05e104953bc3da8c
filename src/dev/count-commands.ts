// Counts the commands a connection sends (a script call is one), for the list test and bench:
// "a page costs N Redis calls" is asserted by count, never by time.
import type { Redis } from 'ioredis';

export function countCommands(redis: Redis): { calls: () => number; reset: () => void } {
  let n = 0;
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = ((...args: Parameters<Redis['sendCommand']>) => {
    n++;
    return send(...args);
  }) as Redis['sendCommand'];
  return { calls: () => n, reset: () => (n = 0) };
}
