// Small helpers every view shares: HTML escaping (the views build HTML as
// text, so everything from the server goes through esc), times, status
// badges, and swapping a region of the page without losing keyboard focus.
export function esc(s) {
  return String(s === null || s === undefined ? '' : s).replace(/[&<>"']/g,
    c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}
export const enc = encodeURIComponent;
export function when(ms) {
  if (!ms) return '-';
  const d = new Date(ms), now = Date.now(), age = (now - ms) / 1000;
  const iso = d.toISOString().replace('T', ' ').slice(0, 19);
  const rel = age < 60 ? Math.max(0, Math.round(age)) + 's ago' : age < 3600 ? Math.round(age / 60) + 'm ago'
    : age < 86400 ? Math.round(age / 3600) + 'h ago' : iso.slice(0, 10);
  return '<time datetime="' + d.toISOString() + '" title="' + iso + ' UTC">' + rel + '</time>';
}
export function span(from, to) {
  if (!from) return '-';
  let s = Math.max(0, Math.round(((to || Date.now()) - from) / 1000));
  const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60;
  s = s % 60;
  return (h ? h + 'h' : '') + (h || m ? m + 'm' : '') + s + 's';
}
export function status(s) {
  return '<span class="status s-' + esc(s || 'none') + '" data-status="' + esc(s || 'none') + '">' +
    esc((s || 'none').replace(/_/g, ' ')) + '</span>';
}
export const P = p => '#/p/' + enc(p);
export const J = (p, j) => P(p) + '/j/' + enc(j);
export const B = (p, j, n) => J(p, j) + '/b/' + enc(n);
export const R = (p, r) => P(p) + '/r/' + enc(r);
export function crumbs(...links) {
  return '<nav class="crumbs" aria-label="breadcrumbs"><a href="#/">pipelines</a>' +
    links.map(([href, text]) => ' / <a href="' + href + '">' + esc(text) + '</a>').join('') + '</nav>';
}
// Replace el's content with html; the focused element (by id or data-key)
// keeps the focus, so a live refresh does not throw a keyboard user out.
// Content that is what the last swap put there, unchanged since, is left
// alone: live refreshes re-render often, and a button replaced under a
// click loses the click (ui.mjs's "older builds" while 21 builds ran).
export function swap(el, html) {
  if (!el || (el._swapped === html && el.innerHTML === el._seen)) return;
  const a = document.activeElement, key = a && el.contains(a) ? (a.id ? '#' + a.id
    : a.dataset && a.dataset.key ? '[data-key="' + CSS.escape(a.dataset.key) + '"]' : null) : null;
  el.innerHTML = html;
  el._swapped = html;
  el._seen = el.innerHTML;
  if (key) { const b = el.querySelector(key); if (b) b.focus(); }
}
export function $(sel, root) { return (root || document).querySelector(sel); }
export function flash(msg, bad) {
  const f = document.getElementById('flash');
  f.textContent = msg;
  f.className = bad ? 'flash bad' : 'flash';
  f.hidden = false;
  clearTimeout(flash.t);
  flash.t = setTimeout(() => { f.hidden = true; }, bad ? 8000 : 4000);
}
