// Live updates: one EventSource on /api/v1/events while the tab is visible.
// A hidden tab closes it (a background tab costs the server nothing); when
// the tab shows again it reopens and every listener resyncs, since what
// happened meanwhile was not seen. Listeners get the parsed change event
// ({topic, seq, body}) or {resync: true}; bursts are coalesced (150 ms).
let es = null, timer = null, pending = [], resync = false, retry = null;
const listeners = new Set();
const hiders = new Set();

function dot(on) {
  const d = document.getElementById('live');
  if (d) { d.classList.toggle('on', on); d.title = on ? 'live updates: on' : 'live updates: off'; }
}
function deliver() {
  timer = null;
  const evs = pending, all = resync;
  pending = []; resync = false;
  for (const f of listeners) f(all ? [{ resync: true }] : evs);
}
function queue(ev) {
  if (ev.resync) resync = true; else pending.push(ev);
  if (!timer) timer = setTimeout(deliver, 150);
}
function open() {
  if (es || document.hidden) return;
  es = new EventSource('/api/v1/events');
  es.onopen = () => dot(true);
  es.onerror = () => {
    dot(false);
    if (es && es.readyState === EventSource.CLOSED) {      // refused: try again later
      es = null;
      clearTimeout(retry);
      retry = setTimeout(open, 10000);
    }
  };
  es.addEventListener('change', e => { try { queue(JSON.parse(e.data)); } catch (x) { /* ignore */ } });
  es.addEventListener('dropped', () => queue({ resync: true }));   // we fell behind: reload
}
function close() {
  if (es) es.close();
  es = null;
  clearTimeout(retry);
  dot(false);
}
// start(now): watch the tab's visibility; open the stream now, or (on the
// login page) at the first restart()
export function start(now) {
  document.addEventListener('visibilitychange', () => {
    for (const f of hiders) f(document.hidden);
    if (document.hidden) close();
    else if (started) { open(); queue({ resync: true }); }
  });
  started = !!now;
  if (started) open();
}
let started = false;
export function restart() { close(); started = true; open(); }
export function stop() { close(); started = false; }
// listen(f): f(events) on every change; returns the unsubscribe function
export function listen(f) { listeners.add(f); return () => listeners.delete(f); }
// onHidden(f): f(hidden) when the tab hides or shows (for other streams)
export function onHidden(f) { hiders.add(f); return () => hiders.delete(f); }
export function listening() { return !!es; }
