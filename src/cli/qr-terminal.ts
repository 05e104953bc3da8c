// The QR code of `paycue --telegram --qr`, drawn in the terminal with half-block characters
// (two modules a character: the whole block fits an 80×24 window). On a terminal a new code
// replaces the old one in place (cursor up over it, clear to the end of the screen), so there is
// only ever one code to scan; piped output gets each new code below the last. Every line is
// shorter than 80 columns: a line that wrapped would take two rows, and the cursor would not go
// back far enough.
import QRCode from 'qrcode';
import type { PromptIO } from '../telegram/prompt.js';
import type { QrDisplay } from '../telegram/qr-login.js';

export const QR_HEADER = ['Scan this code with the Telegram app of the account:', 'Settings → Devices → Link Desktop Device.'];
export const QR_FOOTER = ['A new code replaces it when it expires (about every 30 s).', 'Waiting for the scan… (Ctrl+C to cancel)'];

export function terminalQrDisplay(io: Pick<PromptIO, 'print'>, opts: { tty: boolean }): QrDisplay {
  let drawn = 0; // lines of the code on screen, to draw over
  return async (url, refresh) => {
    const qr = await QRCode.toString(url, { type: 'terminal', small: true });
    const block = [...QR_HEADER, ...qr.split('\n'), ...QR_FOOTER];
    if (refresh && opts.tty && drawn > 0) block[0] = `\x1b[${drawn}A\r\x1b[J${block[0]}`;
    else if (refresh) io.print('The code expired; a new one:');
    for (const line of block) io.print(line);
    drawn = block.length;
  };
}
