// The shape of a GramJS StringSession, checked without loading GramJS (configuration is parsed
// before anything else): '1' + base64 of dc id (1 byte), the DC's address (2-byte length + text,
// or a bare IPv4 in Telethon's 352-character form), port (2 bytes) and the 256-byte auth key.
// The messages never quote the value: it is the account's key.

const AUTH_KEY_BYTES = 256;
const TELETHON_LENGTH = 352;

/** Why `s` is not a usable string session, or null. */
export function sessionStringProblem(s: string): string | null {
  if (!s.startsWith('1')) return 'not a Telegram string session (it must start with 1, as `paycue telegram export-session` prints it)';
  const body = s.slice(1);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return 'not a Telegram string session (it has characters base64 does not use; was it cut or wrapped?)';
  const bytes = Buffer.from(body, 'base64');
  if (bytes.length < 1 + 4 + 2 + AUTH_KEY_BYTES) return 'too short for a Telegram string session (was it cut when copied?)';
  if (bytes[0] === 0) return 'not a Telegram string session (no data centre in it)';
  let keyStart: number;
  if (body.length === TELETHON_LENGTH) keyStart = 1 + 4 + 2;
  else {
    const addressLength = bytes.readInt16BE(1);
    // GramJS writes IPv6 addresses as 16 raw bytes, whose first two read as a large "length".
    keyStart = addressLength > 100 ? 1 + 16 + 2 : 1 + 2 + addressLength + 2;
  }
  const keyLength = bytes.length - keyStart;
  if (keyLength !== AUTH_KEY_BYTES) return `not a Telegram string session (its auth key has ${Math.max(0, keyLength)} bytes, not ${AUTH_KEY_BYTES}; was it cut when copied?)`;
  return null;
}

/** Hides anything shaped like a string session (a long base64 run after a 1), e.g. one pasted
 * into the wrong variable and quoted back by that variable's error. */
export function maskSessionStrings(s: string): string {
  return s.replace(/1[A-Za-z0-9+/]{300,}={0,2}/g, '1…(a Telegram session: not shown)');
}
