// The page's only stylesheet, inlined under the CSP nonce. Mobile first (360 px), light and
// dark, large tap targets, no motion when the customer asked for less.
export const CSS = `
:root{--bg:#f4f6f8;--fg:#111827;--muted:#4b5563;--card:#fff;--line:#d1d5db;--accent:#0b57d0;--accent-fg:#fff;
--ok:#0f7a3d;--warn:#8a5a00;--warn-bg:#fff4d6;--danger:#b42318;--danger-bg:#fde8e6;--bar:#0b57d0;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#0f1115;--fg:#f3f4f6;--muted:#b6bcc6;--card:#1a1d23;--line:#374151;--accent:#8ab4f8;
--accent-fg:#0b1220;--ok:#6ee7a0;--warn:#ffd479;--warn-bg:#3a2e0b;--danger:#ff9b91;--danger-bg:#3b1411;--bar:#8ab4f8}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
a{color:var(--accent)}
.wrap{max-width:480px;margin:0 auto;padding:12px 16px 32px}
.ribbon{background:#7c2d12;color:#fff;text-align:center;font-weight:700;letter-spacing:.08em;padding:6px 8px}
.ribbon small{font-weight:400;letter-spacing:0;margin-left:.5em}
.top{display:flex;justify-content:space-between;align-items:center;gap:8px;flex-wrap:wrap;margin-bottom:8px}
.top h1{font-size:1.25rem;margin:0}
.langs{display:flex;gap:4px}
.langs a{display:inline-flex;align-items:center;justify-content:center;min-width:44px;min-height:44px;padding:0 8px;border-radius:8px;
text-decoration:none;font-weight:600;color:var(--fg)}
.langs a[aria-current]{background:var(--card);outline:2px solid var(--accent)}
.box{background:var(--card);border:1px solid var(--line);border-radius:14px;padding:16px;margin:12px 0}
.label{margin:0 0 4px;color:var(--muted);font-size:.9rem}
.amount{font-size:2rem;font-weight:800;margin:0;letter-spacing:-.01em;overflow-wrap:anywhere;font-variant-numeric:tabular-nums}
.pan{font-size:1.35rem;font-weight:700;margin:0;font-variant-numeric:tabular-nums;word-spacing:.1em;overflow-wrap:anywhere}
.row{display:flex;align-items:center;justify-content:space-between;gap:12px;margin-bottom:4px}
.row .label{margin:0}
.holder{margin:10px 0 0;font-weight:600}
.muted{color:var(--muted)}
.tag{display:inline-block;margin-top:6px;padding:2px 8px;border:1px solid var(--line);border-radius:999px;font-size:.85rem;color:var(--muted)}
button,.btn{font:inherit;font-weight:600;min-height:48px;border-radius:10px;border:0;cursor:pointer;padding:0 16px;
display:inline-flex;align-items:center;justify-content:center;text-decoration:none;text-align:center}
.copy{background:transparent;color:var(--accent);border:2px solid var(--accent);flex:none;min-width:48px;min-height:44px}
.btn,.primary{background:var(--accent);color:var(--accent-fg);width:100%;margin-top:8px}
.warn{display:flex;gap:8px;background:var(--warn-bg);color:var(--fg);border-left:4px solid var(--warn);border-radius:10px;padding:12px;margin:12px 0}
.warn b{color:var(--fg)}
.box>.warn:last-child{margin-bottom:0}
.timer p{margin:0 0 8px;display:flex;justify-content:space-between;font-weight:600}
.clock{font-size:1.25rem;font-variant-numeric:tabular-nums}
.bar{height:10px;border-radius:99px;background:var(--line);overflow:hidden}
.bar>span{display:block;height:100%;background:var(--bar);transition:width 1s linear}
.timer.warning .bar>span{background:var(--warn)}
.timer.danger .bar>span{background:var(--danger)}
.timer .hurry{display:none;color:var(--danger)}
.timer.warning .hurry,.timer.danger .hurry{display:inline}
.qr{display:none}
@media (min-width:720px){.wrap{max-width:720px}.grid{display:grid;grid-template-columns:1fr 220px;gap:16px;align-items:start}
.qr{display:block;text-align:center;margin:0}.qr svg{width:200px;height:200px;background:#fff;border-radius:8px;padding:6px}}
.steps{margin:8px 0 0;padding-left:1.4em;color:var(--muted)}
.status{display:flex;align-items:center;gap:10px;font-weight:600;margin:12px 0 0}
.spin{width:18px;height:18px;border-radius:50%;border:3px solid var(--line);border-top-color:var(--accent);animation:r 1s linear infinite;flex:none}
@keyframes r{to{transform:rotate(360deg)}}
.state{text-align:center;padding:24px 16px}
.state h2{margin:8px 0;font-size:1.5rem}
.icon{display:block;margin:0 auto}
.paid .icon,.paid h2{color:var(--ok)}
.state h1{margin:8px 0;font-size:1.5rem}
.expired .icon,.cancelled .icon,.late .icon{color:var(--danger)}
.txid{font-family:ui-monospace,monospace;overflow-wrap:anywhere;background:var(--bg);padding:8px;border-radius:8px;display:block;margin:8px 0}
.sandbox{border:2px dashed #7c2d12}
.sandbox button{background:#7c2d12;color:#fff;width:100%}
footer{margin-top:16px;font-size:.8rem;color:var(--muted);overflow-wrap:anywhere}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
[hidden]{display:none!important}
${Array.from({ length: 21 }, (_, i) => `.w${i}{width:${i * 5}%}`).join('')}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
@media (prefers-reduced-motion:reduce){*{animation:none!important;transition:none!important}}
`;
