// A build: its header, steps with timings, actions, and its log. The log
// opens at its tail (a 100 MB log shows its last 256 KiB at once), follows
// the build live over SSE, offers "load earlier" for what came before, a
// follow (auto-scroll) toggle and copy. A hidden tab closes the stream and
// resumes from the byte it had reached when shown again.
// Each step whose record says where its output lies in the log (log_from,
// log_to: byte offsets) opens, by its button, a log of its own: a finished
// step fetches its range (its last 256 KiB, with "load earlier"), the
// running one follows the build's stream from its first byte. Steps of older
// builds have no offsets: they have only the build's log.
import { esc, enc, when, span, status, crumbs, swap, $, flash, P, J } from './util.js';
import { get, can, teamOf } from './api.js';
import { act } from './views.js';
import { onHidden } from './live.js';

const TAIL = 256 * 1024;          // what the page shows of a log at first
const KEEP = 4 * 1024 * 1024;     // text kept in the page before the oldest is dropped
const OPEN = /^(pending|started|waiting_for_approval)$/;
const utf8 = s => new TextEncoder().encode(s).length;

function header(b) {
  return '<span id="bnum">#' + esc(b.number) + '</span> ' + status(b.status);
}
function facts(b) {
  return 'created ' + when(b.created_ms) + ', took ' + span(b.started_ms, b.finished_ms) +
    (b.trigger ? ', ' + esc(b.trigger) : '') + (b.by ? ' by ' + esc(b.by) : '') + (b.reason ? ', ' + esc(b.reason) : '') +
    (b.worker ? ', on ' + esc(b.worker) : '') +
    (b.inputs ? '<br>inputs <code>' + esc(JSON.stringify(b.inputs)) + '</code>' : '') +
    (b.versions && Object.keys(b.versions).length ? '<br>versions ' + Object.entries(b.versions).map(([r, v]) => esc(r) + ' <code>' +
      esc(Object.values(v || {}).join(' ').slice(0, 12)) + '</code>').join(', ') : '') +
    (b.approvals_needed ? '<br>approvals ' + esc(b.approvals) + ' of ' + esc(b.approvals_needed) +
      (b.voters ? ' (' + esc(String(b.voters).trim().split('\n').join(', ')) + ')' : '') : '');
}
function steps(b, open) {
  let h = '<table class="steps"><thead><tr><th>step</th><th>status</th><th>exit</th><th>started</th><th>took</th><th></th></tr></thead><tbody>';
  for (const s of b.steps || []) {
    const name = esc(s.kind) + ' ' + esc(s.name), has = s.log_from !== undefined && s.log_from !== null;
    const o = has && open.has(s.step);
    h += '<tr data-step="' + esc(s.step) + '"><td>' + (has ? '<button type="button" class="stepx" data-stepx="' + esc(s.step) +
      '" data-key="stepx-' + esc(s.step) + '" aria-expanded="' + o + '" aria-controls="steplog-' + esc(s.step) + '">' +
      (o ? '\u25be ' : '\u25b8 ') + name + '</button>' : name) + '</td><td>' + status(s.status) + '</td><td>' +
      (!s.finished_ms || s.exit_code === undefined || s.exit_code === null ? '' : esc(s.exit_code)) + '</td><td>' + when(s.started_ms) +
      '</td><td>' + span(s.started_ms, s.finished_ms) + '</td><td class="error">' + esc(s.message || '') + '</td></tr>';
    if (o) h += '<tr class="steplog-row"><td colspan="6" id="steplog-' + esc(s.step) + '" data-steplog="' + esc(s.step) + '"></td></tr>';
  }
  if (!(b.steps || []).length) h += '<tr><td colspan="6" class="muted">no step ran</td></tr>';
  return h + '</tbody></table>';
}

export async function build(main, p, j, n) {
  const team = await teamOf(p);
  const base = 'pipelines/' + enc(p) + '/jobs/' + enc(j) + '/builds/' + enc(n);
  main.innerHTML = crumbs([P(p), p], [J(p, j), j]) + '<h1>' + esc(j) + ' <span id="bhead"></span></h1>' +
    '<p class="muted" id="facts"></p><div class="bar acts" id="bacts"></div><div id="approvebox"></div><div id="steps"></div>' +
    '<h2>Log</h2><div class="bar logbar"><span id="earlier-box" hidden><button type="button" id="earlier">load earlier</button> ' +
    '<span class="muted" id="earlier-note"></span></span><label class="toggle"><input type="checkbox" id="follow" checked> follow</label>' +
    '<button type="button" id="copy">copy</button></div><pre class="log" id="log" tabindex="0" aria-label="build log"></pre>' +
    '<p class="muted" id="log-state" role="status">connecting&hellip;</p>';
  let job = {}, last = null;
  const views = new Map();      // step -> its open log (stepLog)
  const load = async () => {
    const [b, jobs] = await Promise.all([get(base), get('pipelines/' + enc(p) + '/jobs').catch(() => [])]);
    job = jobs.find(x => x.name === j) || {};
    swap($('#bhead', main), header(b));
    swap($('#facts', main), facts(b));
    last = b;
    swap($('#steps', main), steps(b, views));
    for (const s of b.steps || []) {          // an open step's log survives the redraw
      const v = views.get(s.step), cell = $('[data-steplog="' + s.step + '"]', main);
      if (v && cell) { cell.appendChild(v.el); v.update(s); }
    }
    const w = can(team, 'write'), m = can(team, 'maintain');
    let a = '';
    if (w && OPEN.test(b.status)) a += '<button type="button" data-action="cancel" data-key="cancel">cancel</button>';
    if (w && !OPEN.test(b.status)) a += '<button type="button" data-action="retry" data-key="retry">retry</button>';
    if (m && b.status === 'waiting_for_approval') a += '<button type="button" class="primary" data-action="approve" data-key="approve">approve&hellip;</button>' +
      '<button type="button" class="danger" data-action="reject" data-key="reject">reject&hellip;</button>';
    if (b.status === 'failed' && (m || (w && job.allow_failure))) a += '<button type="button" data-action="warning" data-key="warning">mark as warning</button>';
    swap($('#bacts', main), a);
    if (b.status !== 'waiting_for_approval') $('#approvebox', main).innerHTML = '';
  };
  const vote = kind => {
    const box = $('#approvebox', main);
    box.innerHTML = '<form class="card form" id="vote-form"><label for="vote-msg">' + (kind === 'approve' ? 'Approve with a message (optional)' :
      'Why reject? (required)') + '</label><textarea id="vote-msg" rows="2"' + (kind === 'reject' ? ' required' : '') + '></textarea>' +
      '<div class="acts"><button type="submit" class="' + (kind === 'approve' ? 'primary' : 'danger') + '">' + kind + '</button> ' +
      '<button type="button" id="vote-cancel">cancel</button></div></form>';
    const f = $('#vote-form', box);
    $('#vote-msg', box).focus();
    $('#vote-cancel', box).onclick = () => { box.innerHTML = ''; };
    f.onsubmit = async e => {
      e.preventDefault();
      const msg = $('#vote-msg', box).value.trim();
      if (await act(f.querySelector('[type=submit]'), base + '/' + kind, msg ? { message: msg } : {})) {
        box.innerHTML = '';
        flash(kind === 'approve' ? 'approved' : 'rejected');
        load();
      }
    };
  };
  main.addEventListener('click', e => {
    const x = e.target.closest('[data-stepx]');
    if (x) {
      const k = Number(x.dataset.stepx), v = views.get(k);
      if (v) { v.stop(); views.delete(k); } else views.set(k, stepLog(base, (last.steps || []).find(s => s.step === k)));
      swap($('#steps', main), steps(last, views));
      for (const [i, w] of views) { const c = $('[data-steplog="' + i + '"]', main); if (c) c.appendChild(w.el); }
      return;
    }
    const b = e.target.closest('[data-action]');
    if (!b) return;
    const k = b.dataset.action;
    if (k === 'approve' || k === 'reject') return vote(k);
    if (k === 'retry') return act(b, base + '/retry', {}, r => { if (r && r.number) location.hash = J(p, j) + '/b/' + enc(r.number); else load(); });
    if (k === 'cancel' || k === 'warning') return act(b, base + '/' + k, {}, () => { flash(k === 'cancel' ? 'cancelling' : 'marked as warning'); load(); });
  });
  await load();
  const stop = followLog(main, base);
  return {
    // this build's job (its builds, pause), or a resync; not every other pipeline's traffic
    refresh: evs => evs.some(e => e.resync || (e.body && e.body.pipeline === p && (!e.body.job || e.body.job === j))) && load(),
    destroy: () => { stop(); for (const v of views.values()) v.stop(); },
  };
}

// Bytes [a, b) of the log, in as many reads as the server cuts them into.
async function range(base, a, b) {
  const parts = [];
  while (a < b) {
    const r = await fetch('/api/v1/' + base + '/log?offset=' + a + '&max=' + (b - a));
    if (!r.ok) throw new Error('the log could not be read: ' + r.status);
    const buf = new Uint8Array(await r.arrayBuffer()), next = Number(r.headers.get('X-Log-Next'));
    parts.push(buf);
    if (!(next > a)) break;
    a = next;
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { all.set(p, at); at += p.length; }
  return all;
}
const dec = u => new TextDecoder().decode(u);

// One step's slice of the log, [log_from, log_to): fetched once the step has
// finished, else followed on the build's stream from its first byte (the
// stream says where each text starts, so what came before the step is cut
// off). When the running step finishes, its slice is read again, exactly.
function stepLog(base, s) {
  const el = document.createElement('div');
  el.className = 'steplog';
  el.innerHTML = '<div class="bar logbar"><span class="earlier" hidden><button type="button" data-earlier>load earlier</button> ' +
    '<span class="muted"></span></span></div><pre class="log" tabindex="0"></pre><p class="muted" role="status"></p>';
  const pre = el.querySelector('pre'), box = el.querySelector('.earlier'), note = box.querySelector('.muted'), state = el.querySelector('[role=status]');
  pre.setAttribute('aria-label', 'log of step ' + s.name);
  const from = s.log_from;
  let start = from, next = null, es = null, live = false, gen = 0, kept = 0;
  const showEarlier = () => { box.hidden = start <= from; note.textContent = start > from ? Math.round((start - from) / 1024) + ' KiB of this step before this' : ''; };
  const close = () => { if (es) es.close(); es = null; };
  const fixed = async end => {          // a finished step: its last TAIL bytes
    const g = ++gen;
    close();
    live = false;
    start = Math.max(from, end - TAIL);
    try {
      let text = end > start ? dec(await range(base, start, end)) : '';
      if (g !== gen) return;
      if (start > from) { const cut = text.indexOf('\n') + 1; start += utf8(text.slice(0, cut)); text = text.slice(cut); }
      pre.textContent = text;
      state.textContent = (end - from) + ' bytes';
      showEarlier();
    } catch (e) { if (g === gen) state.textContent = e.message; }
  };
  const open = () => {                  // the running step (or one whose end is unknown): its bytes as they come
    if (es || !live) return;
    es = new EventSource('/api/v1/' + base + '/log/stream?' + (next === null ? 'tail=' + TAIL : 'offset=' + next));
    es.addEventListener('meta', e => {
      const m = JSON.parse(e.data);
      if (next === null || m.offset !== next) { start = Math.max(from, m.offset); next = start; pre.textContent = ''; kept = 0; showEarlier(); }
      state.textContent = 'following';
    });
    es.onmessage = e => {
      const m = JSON.parse(e.data);
      if (m.next <= next) return;       // already shown
      let bytes = new TextEncoder().encode(m.text);
      if (m.offset < next) bytes = bytes.slice(next - m.offset);
      next = m.next;
      const t = dec(bytes);
      pre.appendChild(document.createTextNode(t));
      kept += t.length;
      while (kept > KEEP && pre.firstChild && pre.firstChild.nextSibling) {   // a long live step: drop its oldest text
        kept -= pre.firstChild.textContent.length;
        start += utf8(pre.firstChild.textContent);
        pre.removeChild(pre.firstChild);
        showEarlier();
      }
      pre.scrollTop = pre.scrollHeight;
    };
    es.addEventListener('end', () => { close(); live = false; state.textContent = 'finished'; });
    es.onerror = () => { if (es && es.readyState === EventSource.CLOSED) { es = null; setTimeout(open, 2000); } };
  };
  let known = null;                     // the end this view shows (null: following)
  const update = t => {
    const end = t.status !== 'started' && t.log_to !== undefined && t.log_to !== null ? t.log_to : null;
    if (end !== null) { if (end !== known) { known = end; fixed(end); } return; }
    if (!live && known === null && next === null) { live = true; open(); }
  };
  box.querySelector('[data-earlier]').onclick = async () => {
    const a = Math.max(from, start - TAIL);
    try {
      let text = dec(await range(base, a, start));
      if (a > from) text = text.slice(text.indexOf('\n') + 1);
      pre.insertBefore(document.createTextNode(text), pre.firstChild);
      start = a > from ? start - utf8(text) : from;
      showEarlier();
    } catch (e) { flash(e.message, true); }
  };
  const unhide = onHidden(hidden => hidden ? close() : open());
  update(s);
  return { el, update, stop: () => { unhide(); gen++; live = false; close(); } };
}

function followLog(main, base) {
  const log = $('#log', main), state = $('#log-state', main), follow = $('#follow', main);
  const box = $('#earlier-box', main), note = $('#earlier-note', main);
  let start = 0, next = null, kept = 0, es = null, done = false;
  const showEarlier = () => {
    box.hidden = start === 0;
    note.textContent = start ? Math.round(start / 1024) + ' KiB before this' : '';
  };
  const open = () => {
    if (done || es) return;
    es = new EventSource('/api/v1/' + base + '/log/stream?' + (next === null ? 'tail=' + TAIL : 'offset=' + next));
    es.addEventListener('meta', e => {
      const m = JSON.parse(e.data);
      if (next === null || m.offset !== next) {     // a fresh start (or the server restarted the stream)
        start = m.offset;
        log.textContent = '';
        kept = 0;
        showEarlier();
      }
      state.textContent = 'following';
    });
    es.onmessage = e => {
      const m = JSON.parse(e.data);
      if (next !== null && m.offset < next) return;  // already shown
      next = m.next;
      log.appendChild(document.createTextNode(m.text));
      kept += m.text.length;
      while (kept > KEEP && log.firstChild && log.firstChild.nextSibling) {   // a long live log: drop the oldest text
        kept -= log.firstChild.textContent.length;
        start += utf8(log.firstChild.textContent);
        log.removeChild(log.firstChild);
        showEarlier();
      }
      if (follow.checked) log.scrollTop = log.scrollHeight;
    };
    es.addEventListener('end', e => {
      const m = JSON.parse(e.data);
      state.textContent = m.error ? m.error : 'finished: ' + m.status + ', ' + m.size + ' bytes';
      state.dataset.done = '1';
      done = true;
      es.close();
      es = null;
    });
    es.onerror = () => {
      if (done) return;
      state.textContent = 'reconnecting\u2026';
      if (es && es.readyState === EventSource.CLOSED) { es = null; setTimeout(open, 2000); }
    };
  };
  const close = () => { if (es) es.close(); es = null; if (!done) state.textContent = 'paused while the tab is hidden'; };
  const unhide = onHidden(hidden => hidden ? close() : open());
  follow.addEventListener('change', () => { if (follow.checked) log.scrollTop = log.scrollHeight; });
  log.addEventListener('scroll', () => {       // scrolling up stops following; back at the bottom resumes
    const bottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    if (follow.checked !== bottom && document.activeElement === log) follow.checked = bottom;
  });
  $('#earlier', main).onclick = async () => {
    const from = Math.max(0, start - TAIL);
    const r = await fetch('/api/v1/' + base + '/log?offset=' + from + '&max=' + (start - from));
    if (!r.ok) return flash('could not load earlier: ' + r.status, true);
    let text = await r.text();
    if (from > 0) text = text.slice(text.indexOf('\n') + 1);      // a whole first line
    log.insertBefore(document.createTextNode(text), log.firstChild);
    start = from > 0 ? start - utf8(text) : 0;
    showEarlier();
  };
  $('#copy', main).onclick = async () => {
    try {
      await navigator.clipboard.writeText(log.textContent);
    } catch (e) {
      const range = document.createRange();
      range.selectNodeContents(log);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      document.execCommand('copy');
    }
    flash('log copied (' + log.textContent.length + ' characters' + (start ? ', from byte ' + start : '') + ')');
  };
  open();
  return () => { unhide(); done = true; if (es) es.close(); es = null; };
}
