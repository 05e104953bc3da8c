// QR code of the first payment-app link, drawn server-side as SVG (no script, no image
// request). A handful of distinct links per card, so a small cache saves most renders.
import QRCode from 'qrcode';

const cache = new Map<string, string>();
const MAX = 500;

export async function qrSvg(text: string): Promise<string> {
  const hit = cache.get(text);
  if (hit !== undefined) return hit;
  const svg = (await QRCode.toString(text, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' })).replace('<svg ', '<svg role="img" focusable="false" ');
  if (cache.size >= MAX) cache.delete(cache.keys().next().value as string);
  cache.set(text, svg);
  return svg;
}
