// Standard Webhooks v1 signatures: base64 HMAC-SHA256 of "{id}.{timestamp}.{body}", keyed
// with the base64-decoded part of the secret after "whsec_".
import { createHmac } from 'node:crypto';

export function secretKey(secret: string): Buffer {
  if (!secret.startsWith('whsec_')) throw new Error('webhook secret must start with whsec_');
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  if (key.length < 12) throw new Error('webhook secret is too short');
  return key;
}

export function signature(key: Buffer, id: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return `v1,${mac}`;
}
