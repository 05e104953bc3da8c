// The page's only script, inlined under the CSP nonce: countdown, copy buttons, live status
// (SSE, falling back to polling), the redirect after payment. No window.open: inside a
// Telegram Mini App every link stays in the same view.
export const CLIENT_JS = String.raw`(function(){
"use strict";
var d=document,cfg=JSON.parse(d.getElementById("cfg").textContent),t=cfg.t;
var skew=Date.parse(cfg.now)-Date.now(),state=cfg.state,es=null,poll=null,lateUntil=0;
var created=Date.parse(cfg.created_at),expires=Date.parse(cfg.expires_at);
function $(id){return d.getElementById(id)}
function say(s){var l=$("live");if(l)l.textContent=s}
function show(s){["pending","paid","expired","cancelled","late"].forEach(function(k){var e=$("s-"+k);if(e)e.hidden=k!==s});d.body.setAttribute("data-state",s)}
function mmss(ms){var s=Math.max(0,Math.ceil(ms/1000)),m=Math.floor(s/60);s%=60;return(m<10?"0":"")+m+":"+(s<10?"0":"")+s}
function tick(){
  if(state!=="pending")return;
  var left=expires-(Date.now()+skew),frac=Math.max(0,Math.min(1,left/(expires-created)));
  var c=$("clock");if(c)c.textContent=mmss(left);
  var f=$("fill");if(f)f.style.width=(frac*100).toFixed(1)+"%";
  var b=$("bar");if(b)b.setAttribute("aria-valuenow",String(Math.round(frac*100)));
  var tm=$("timer");if(tm){tm.classList.toggle("warning",frac<=.3&&frac>.1);tm.classList.toggle("danger",frac<=.1)}
  if(left<=0){var w=$("waiting");if(w)w.textContent=t.checking}
}
function apply(s){
  if(!s||!s.state)return;
  if(s.state===state)return;
  state=s.state;show(state);
  if(state==="paid"){say(t.paidTitle);stopLive();redirect()}
  else if(state==="expired"||state==="cancelled"){say(state==="expired"?t.expiredTitle:t.cancelledTitle);stopLive();watchLate()}
  else if(state==="late"){say(t.lateTitle);stopLive()}
}
function redirect(){
  var url=cfg.success,n=cfg.redirect_seconds,el=$("redirect");
  if(!url||!el)return;
  el.hidden=false;
  function step(){var c=$("redirect-s");if(c)c.textContent=String(n);if(n<=0){location.href=url;return}n--;setTimeout(step,1000)}
  step();
}
function fetchStatus(){
  return fetch(cfg.status_url,{cache:"no-store",headers:{accept:"application/json"}}).then(function(r){return r.ok?r.json():null})
    .then(function(j){if(j&&j.data)apply(j.data)}).catch(function(){});
}
function startPolling(){d.body.setAttribute("data-live","poll");if(!poll)poll=setInterval(fetchStatus,5000);fetchStatus()}
function stopLive(){if(es){es.close();es=null}if(poll){clearInterval(poll);poll=null}}
function watchLate(){lateUntil=Date.now()+15*60000;if(poll)clearInterval(poll);poll=setInterval(function(){if(Date.now()>lateUntil){clearInterval(poll);poll=null}else fetchStatus()},10000)}
function live(){
  if(state==="paid")return redirect();
  if(state!=="pending")return state==="expired"||state==="cancelled"?watchLate():void 0;
  if(!window.EventSource)return startPolling();
  es=new EventSource(cfg.events_url);
  es.onopen=function(){d.body.setAttribute("data-live","sse")};
  es.addEventListener("status",function(e){try{apply(JSON.parse(e.data))}catch(x){}});
  es.onerror=function(){if(es&&es.readyState===2){es=null;startPolling()}};
}
function copy(text,btn){
  function done(){var o=btn.getAttribute("data-label");btn.textContent=t.copied;say(t.copied);setTimeout(function(){btn.textContent=o},2000)}
  function legacy(){var a=d.createElement("textarea");a.value=text;a.setAttribute("readonly","");a.className="sr";d.body.appendChild(a);a.select();
    try{d.execCommand("copy");done()}catch(x){}d.body.removeChild(a)}
  if(navigator.clipboard&&window.isSecureContext)navigator.clipboard.writeText(text).then(done,legacy);else legacy();
}
Array.prototype.forEach.call(d.querySelectorAll("[data-copy]"),function(b){b.hidden=false;b.setAttribute("data-label",b.textContent);
  b.addEventListener("click",function(){copy(b.getAttribute("data-copy"),b)})});
var sim=$("simulate");
if(sim)sim.addEventListener("submit",function(e){e.preventDefault();fetch(sim.action,{method:"POST",headers:{accept:"application/json"}}).then(function(){fetchStatus()})});
var ln=$("live-note");if(ln)ln.textContent=t.liveNote;
tick();setInterval(tick,1000);live();
})();`;
