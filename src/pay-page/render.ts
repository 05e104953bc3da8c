// Server-rendered pay page: everything static works without JavaScript (the state shown is
// the one at render time; reload to refresh); the inline script adds the live parts.
import { createHash } from 'node:crypto';
import { amountDigits, formatAmount, LANGS, STRINGS, type Lang } from './i18n/index.js';
import type { PayStatus } from './status.js';
import { CSS } from './styles.js';
import { CLIENT_JS } from './client.js';
import { ICONS } from './icons.js';

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ESC[c] as string);

/** JSON inside <script type="application/json">: nothing in it can close the element. */
const jsonForScript = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028|\u2029/g, (c) => (c === '\u2028' ? '\\u2028' : '\\u2029'));

const sha256 = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
const CSS_HASH = sha256(CSS);
const JS_HASH = sha256(CLIENT_JS);

/** Inline style and script are allowed by hash, so no response needs a fresh nonce. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src ${CSS_HASH}`,
  `script-src ${JS_HASH}`,
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  // Telegram's web clients show Mini Apps in a frame; nobody else may frame the page.
  "frame-ancestors 'self' https://web.telegram.org",
].join('; ');

export const REDIRECT_SECONDS = 5;

export interface PageOptions {
  lang: Lang;
  sandbox: boolean;
  /** Server-rendered SVG QR code of the first payment-app link, if any. */
  qrSvg?: string;
  /** Path of this page (`/pay/<id>`), for the language links and the endpoints. */
  path: string;
}

function shell(lang: Lang, title: string, body: string, sandbox: boolean, script = ''): string {
  const s = STRINGS[lang];
  const ribbon = sandbox ? `<div class="ribbon" role="note">${esc(s.testMode)}<small>${esc(s.testNote)}</small></div>` : '';
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="color-scheme" content="light dark"><meta name="referrer" content="no-referrer"><meta name="robots" content="noindex"><link rel="icon" href="data:,">
<title>${esc(title)}</title><style>${CSS}</style></head><body>${ribbon}<div class="wrap">${body}</div>${script}</body></html>`;
}

function langSwitcher(lang: Lang, path: string): string {
  const s = STRINGS[lang];
  const links = LANGS.map(
    (l) =>
      `<a href="${esc(path)}?lang=${l}" lang="${l}" hreflang="${l}" title="${esc(STRINGS[l].name)}"${l === lang ? ' aria-current="true"' : ''}>${l.toUpperCase()}</a>`,
  ).join('');
  return `<nav class="langs" aria-label="${esc(s.language)}">${links}</nav>`;
}

function withTxId(url: string, id: string): string {
  const u = new URL(url);
  u.searchParams.set('transaction_id', id);
  return u.toString();
}

export function renderPayPage(st: PayStatus, o: PageOptions): string {
  const s = STRINGS[o.lang];
  const hidden = (state: string) => (st.state === state ? '' : ' hidden');
  const amount = formatAmount(st.amount_tiyin, o.lang);
  const card = st.card;
  const digits = card.number_display?.replace(/ /g, '') ?? '';
  const left = Math.max(0, Date.parse(st.expires_at) - Date.parse(st.now));
  const total = Math.max(1, Date.parse(st.expires_at) - Date.parse(st.created_at));
  const frac = left / total;
  const clock = `${String(Math.floor(Math.ceil(left / 1000) / 60)).padStart(2, '0')}:${String(Math.ceil(left / 1000) % 60).padStart(2, '0')}`;
  const timerClass = frac <= 0.1 ? ' danger' : frac <= 0.3 ? ' warning' : '';
  const success = st.success_url ? withTxId(st.success_url, st.transaction_id) : null;
  const back = st.cancel_url ? `<a class="btn" href="${esc(st.cancel_url)}">${esc(s.backToShop)}</a>` : '';

  const cardBox = `<section class="box" aria-labelledby="card-h"><div class="row"><p class="label" id="card-h">${esc(s.card)}</p>
${card.number_display ? `<button type="button" class="copy" data-copy="${digits}" aria-label="${esc(s.copyCard)}" hidden>${esc(s.copy)}</button>` : ''}</div>
<p class="pan" id="pan">${card.number_display ? esc(card.number_display) : `**** ${esc(card.last4 ?? '****')}`}</p>
${card.number_display ? '' : `<p class="warn" role="note"><span aria-hidden="true">⚠️</span><span>${esc(s.numberMissing)}</span></p>`}
${card.holder ? `<p class="holder"><span class="sr">${esc(s.holder)}: </span><span id="holder">${esc(card.holder)}</span></p>` : ''}
${card.label ? `<span class="tag" id="card-label">${esc(card.label)}</span>` : ''}</section>`;

  const apps =
    card.links.length === 0
      ? ''
      : `<section class="box" aria-labelledby="apps-h"><p class="label" id="apps-h">${esc(s.payInApp)}</p><div class="grid"><div>${card.links
          .map((l) => `<a class="btn" href="${esc(l.url)}">${esc(l.title)}</a>`)
          .join('')}</div>${o.qrSvg ? `<figure class="qr" aria-hidden="true">${o.qrSvg}<figcaption class="muted">${esc(s.qrHint)}</figcaption></figure>` : ''}</div></section>`;

  const pending = `<div id="s-pending"${hidden('pending')}>
<section class="box" aria-labelledby="amount-h"><div class="row"><p class="label" id="amount-h">${esc(s.amountLabel)}</p>
<button type="button" class="copy" data-copy="${amountDigits(st.amount_tiyin)}" aria-label="${esc(s.copyAmount)}" hidden>${esc(s.copy)}</button></div>
<p class="amount" id="amount">${esc(amount)}</p>
<p class="warn" role="note"><span aria-hidden="true">⚠️</span><b>${esc(s.exactWarning)}</b></p></section>
${cardBox}
<section class="box timer${timerClass}" id="timer" aria-labelledby="timer-h"><p><span id="timer-h">${esc(s.timeLeft)} <span class="hurry">· ${esc(s.hurry)}</span></span>
<span class="clock" id="clock" role="timer">${clock}</span></p>
<div class="bar" id="bar" role="progressbar" aria-labelledby="timer-h" aria-valuemin="0" aria-valuemax="100" aria-valuenow="${Math.round(frac * 100)}"><span id="fill" class="w${Math.round(frac * 20)}"></span></div></section>
${apps}
<ol class="steps">${s.steps.map((x) => `<li>${esc(x)}</li>`).join('')}</ol>
<p class="status"><span class="spin" aria-hidden="true"></span><span id="waiting">${esc(s.waiting)}</span></p>
<p class="muted" id="live-note">${esc(s.noScript)}</p>
${
  o.sandbox
    ? `<form class="box sandbox" id="simulate" method="post" action="${esc(o.path)}/simulate"><p class="label">${esc(s.testMode)}: ${esc(s.testNote)}</p><button type="submit">${esc(s.simulate)}</button></form>`
    : ''
}</div>`;

  const paid = `<section class="box state paid" id="s-paid"${hidden('paid')}>${ICONS.paid}<h2>${esc(s.paidTitle)}</h2><p>${esc(s.paidText)}</p>
<p class="muted">${esc(amount)}</p>${
    success
      ? `<p id="redirect" hidden>${esc(s.redirectIn).replace('{s}', `<span id="redirect-s">${REDIRECT_SECONDS}</span>`)}</p><a class="btn" id="go" href="${esc(success)}">${esc(s.goNow)}</a>`
      : ''
  }</section>`;
  const closed = (state: 'expired' | 'cancelled', title: string, text: string) =>
    `<section class="box state ${state}" id="s-${state}"${hidden(state)}>${ICONS[state]}<h2>${esc(title)}</h2><p>${esc(text)}</p>${back}</section>`;
  const late = `<section class="box state late" id="s-late"${hidden('late')}>${ICONS.late}<h2>${esc(s.lateTitle)}</h2><p>${esc(s.lateText)}</p>
<code class="txid">${esc(st.transaction_id)}</code>${back}</section>`;

  const cfg = {
    state: st.state,
    now: st.now,
    created_at: st.created_at,
    expires_at: st.expires_at,
    status_url: `${o.path}/status`,
    events_url: `${o.path}/events`,
    success,
    redirect_seconds: REDIRECT_SECONDS,
    t: { copied: s.copied, checking: s.checking, liveNote: s.liveNote, paidTitle: s.paidTitle, expiredTitle: s.expiredTitle, cancelledTitle: s.cancelledTitle, lateTitle: s.lateTitle },
  };
  const body = `<header class="top"><h1>${esc(s.title)}</h1>${langSwitcher(o.lang, o.path)}</header>
<main>${pending}${paid}${closed('expired', s.expiredTitle, s.expiredText)}${closed('cancelled', s.cancelledTitle, s.cancelledText)}${late}
<div class="sr" id="live" role="status" aria-live="polite"></div></main>
<footer>${esc(s.transaction)}: ${esc(st.transaction_id)}</footer>`;
  const script = `<script type="application/json" id="cfg">${jsonForScript(cfg)}</script><script>${CLIENT_JS}</script>`;
  return shell(o.lang, `${s.title}: ${amount}`, body, o.sandbox, script);
}

export function renderNotFound(lang: Lang): string {
  const s = STRINGS[lang];
  return shell(
    lang,
    s.notFoundTitle,
    `<main><section class="box state expired">${ICONS.unknown}<h1>${esc(s.notFoundTitle)}</h1><p>${esc(s.notFoundText)}</p></section></main>`,
    false,
  );
}
