// pikoci's read-only page: hash routes over the JSON of /api, kept current
// by two Server-Sent Event streams -- /api/events (any build, job, pipeline,
// resource or worker change: the view is fetched again) and, on a build's
// page, its log's stream. A huge log starts at its tail; "load earlier"
// fetches the bytes before it. No framework, no build step.
'use strict';

const TAIL = 256 * 1024;          // what a build page shows of its log at first
const KEEP = 4 * 1024 * 1024;     // text kept in the page before the start is dropped
const main = document.getElementById('main');
let view = null;                  // the current view's cleanup
let changes = null;

function esc(s) {
  return String(s === null || s === undefined ? '' : s).replace(/[&<>"']/g,
    c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}
function enc(s) { return encodeURIComponent(s); }
function when(ms) { return ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) : '-'; }
function span(from, to) {
  if (!from) return '-';
  let s = Math.max(0, Math.round(((to || Date.now()) - from) / 1000));
  const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60;
  s = s % 60;
  return (h ? h + 'h' : '') + (h || m ? m + 'm' : '') + s + 's';
}
function status(s) { return '<span class="status s-' + esc(s) + '" data-status="' + esc(s) + '">' + esc(s || '-') + '</span>'; }
async function api(path) {
  const r = await fetch('/api/' + path);
  const body = await r.json();
  if (!r.ok) throw new Error(body && body.error ? body.error : r.status + ' ' + r.statusText);
  return body;
}
function buildLink(p, j, n) { return '#/p/' + enc(p) + '/j/' + enc(j) + '/b/' + enc(n); }

// --- views: each renders into main and may return a cleanup function

async function pipelines() {
  const ps = await api('pipelines');
  if (!ps.length) return '<h1>Pipelines</h1><p class="muted">No pipeline set yet (pikoci pipelines set).</p>';
  let html = '<h1>Pipelines</h1>';
  for (const p of ps) {
    const jobs = await api('pipelines/' + enc(p.name) + '/jobs');
    html += '<section class="pipeline" data-pipeline="' + esc(p.name) + '"><h2><a href="#/p/' + enc(p.name) + '">' +
      esc(p.name) + '</a>' + (p.paused ? ' <span class="muted">(paused)</span>' : '') + '</h2>' + jobsTable(p.name, jobs) + '</section>';
  }
  return html;
}

function jobsTable(p, jobs) {
  let html = '<table class="jobs"><tr><th>job</th><th>latest</th><th>status</th><th>started</th><th>took</th></tr>';
  for (const j of jobs) {
    const b = j.latest;
    html += '<tr data-job="' + esc(j.name) + '"><td><a href="#/p/' + enc(p) + '/j/' + enc(j.name) + '">' + esc(j.name) + '</a>' +
      (j.paused ? ' <span class="muted">(paused)</span>' : '') + '</td>' +
      (b ? '<td><a href="' + buildLink(p, j.name, b.number) + '">#' + esc(b.number) + '</a></td><td>' + status(b.status) +
           '</td><td>' + when(b.started_ms) + '</td><td>' + span(b.started_ms, b.finished_ms) + '</td>'
         : '<td class="muted" colspan="4">no build yet</td>') + '</tr>';
  }
  return html + '</table>';
}

async function pipeline(p) {
  const [jobs, res] = await Promise.all([api('pipelines/' + enc(p) + '/jobs'), api('pipelines/' + enc(p) + '/resources')]);
  let html = '<div class="crumbs"><a href="#/">pipelines</a> /</div><h1>' + esc(p) + '</h1>' + jobsTable(p, jobs);
  html += '<h2>Resources</h2><table class="resources"><tr><th>resource</th><th>last check</th><th>next check</th><th>newest</th><th>pinned</th><th>error</th></tr>';
  for (const r of res)
    html += '<tr data-resource="' + esc(r.name) + '"><td><a href="#/p/' + enc(p) + '/r/' + enc(r.name) + '">' + esc(r.name) + '</a></td><td>' +
      when(r.last_check_ms) + '</td><td>' + when(r.next_check_ms) + '</td><td>' + (r.last_id ? '#' + esc(r.last_id) : '-') +
      '</td><td>' + (r.pinned ? '#' + esc(r.pinned) : '-') + '</td><td class="error">' + esc(r.error || '') + '</td></tr>';
  return html + '</table>';
}

async function resource(p, r) {
  const vs = await api('pipelines/' + enc(p) + '/resources/' + enc(r) + '/versions?limit=100');
  let html = '<div class="crumbs"><a href="#/">pipelines</a> / <a href="#/p/' + enc(p) + '">' + esc(p) + '</a> /</div><h1>' + esc(r) + '</h1>';
  html += '<table class="versions"><tr><th>id</th><th>version</th><th></th></tr>';
  for (const v of vs)
    html += '<tr><td>#' + esc(v.id) + '</td><td><code>' + esc(JSON.stringify(v.version)) + '</code></td><td>' + (v.pinned ? 'pinned' : '') + '</td></tr>';
  return html + '</table>';
}

async function builds(p, j) {
  const bs = await api('pipelines/' + enc(p) + '/jobs/' + enc(j) + '/builds?limit=100');
  let html = '<div class="crumbs"><a href="#/">pipelines</a> / <a href="#/p/' + enc(p) + '">' + esc(p) + '</a> /</div><h1>' + esc(j) + '</h1>';
  html += '<table class="builds"><tr><th>build</th><th>status</th><th>created</th><th>took</th><th>reason</th><th>worker</th></tr>';
  for (const b of bs)
    html += '<tr data-build="' + esc(b.number) + '"><td><a href="' + buildLink(p, j, b.number) + '">#' + esc(b.number) + '</a></td><td>' + status(b.status) +
      '</td><td>' + when(b.created_ms) + '</td><td>' + span(b.started_ms, b.finished_ms) + '</td><td>' + esc(b.reason || '') +
      '</td><td>' + esc(b.worker || '') + '</td></tr>';
  return html + '</table>';
}

async function build(p, j, n) {
  const b = await api('pipelines/' + enc(p) + '/jobs/' + enc(j) + '/builds/' + enc(n));
  let html = '<div class="crumbs"><a href="#/">pipelines</a> / <a href="#/p/' + enc(p) + '">' + esc(p) + '</a> / <a href="#/p/' +
    enc(p) + '/j/' + enc(j) + '">' + esc(j) + '</a> /</div><h1>' + esc(j) + ' #' + esc(b.number) + ' ' + status(b.status) + '</h1>';
  html += '<p class="muted">created ' + when(b.created_ms) + ', took ' + span(b.started_ms, b.finished_ms) +
    (b.reason ? ', ' + esc(b.reason) : '') + (b.worker ? ', on ' + esc(b.worker) : '') + '</p>';
  html += '<table class="steps"><tr><th>step</th><th>status</th><th>exit</th><th>took</th><th></th></tr>';
  for (const s of b.steps || [])
    html += '<tr><td>' + esc(s.kind) + ' ' + esc(s.name) + '</td><td>' + status(s.status) + '</td><td>' +
      (!s.finished_ms || s.exit_code === undefined || s.exit_code === null ? '' : esc(s.exit_code)) + '</td><td>' +
      span(s.started_ms, s.finished_ms) + '</td><td class="error">' + esc(s.message || '') + '</td></tr>';
  html += '</table><h2>Log</h2><div id="earlier-box" hidden><button id="earlier">load earlier</button> ' +
    '<span class="muted" id="earlier-note"></span></div><pre class="log" id="log"></pre><p class="muted" id="log-state">connecting&hellip;</p>';
  return { html, after: () => followLog(p, j, n) };
}

// The log: its tail first, then every chunk as the stream brings it.
function followLog(p, j, n) {
  const log = document.getElementById('log'), state = document.getElementById('log-state');
  const box = document.getElementById('earlier-box'), earlierBtn = document.getElementById('earlier');
  const base = 'pipelines/' + enc(p) + '/jobs/' + enc(j) + '/builds/' + enc(n) + '/log';
  let start = 0, kept = 0;
  const showEarlier = () => {
    box.hidden = start === 0;
    document.getElementById('earlier-note').textContent = start ? start + ' bytes before this' : '';
  };
  const es = new EventSource('/api/' + base + '/stream?tail=' + TAIL);
  es.addEventListener('meta', e => {
    const m = JSON.parse(e.data);
    start = m.offset;
    log.textContent = '';
    kept = 0;
    showEarlier();
    state.textContent = 'following';
  });
  es.onmessage = e => {
    const m = JSON.parse(e.data);
    const stick = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    log.appendChild(document.createTextNode(m.text));
    kept += m.text.length;
    while (kept > KEEP && log.firstChild) {       // a long live log: drop the oldest text
      kept -= log.firstChild.textContent.length;
      start += new TextEncoder().encode(log.firstChild.textContent).length;
      log.removeChild(log.firstChild);
      showEarlier();
    }
    if (stick) log.scrollTop = log.scrollHeight;
  };
  es.addEventListener('end', e => {
    const m = JSON.parse(e.data);
    state.textContent = m.error ? m.error : 'finished: ' + m.status + ', ' + m.size + ' bytes';
    state.dataset.done = '1';
    es.close();
  });
  es.onerror = () => { if (!state.dataset.done) state.textContent = 'reconnecting\u2026'; };
  earlierBtn.onclick = async () => {
    const from = Math.max(0, start - TAIL);
    const r = await fetch('/api/' + base + '?offset=' + from + '&max=' + (start - from));
    let text = await r.text();
    if (from > 0) text = text.slice(text.indexOf('\n') + 1);      // a whole first line
    log.insertBefore(document.createTextNode(text), log.firstChild);
    start = from + (from > 0 ? (start - from) - new TextEncoder().encode(text).length : 0);
    showEarlier();
  };
  return () => es.close();
}

async function workers() {
  const [ws, pending] = await Promise.all([api('workers'), api('pending')]);
  let html = '<h1>Workers</h1><table class="workers"><tr><th>worker</th><th>state</th><th>busy</th><th>tags</th><th>heartbeat</th></tr>';
  for (const w of ws)
    html += '<tr data-worker="' + esc(w.name) + '"><td>' + esc(w.name) + '</td><td>' + esc(w.state) + '</td><td>' + esc(w.busy) + ' of ' +
      esc(w.slots) + '</td><td>' + esc((w.tags || []).join(', ')) + (w.exclusive ? ' (exclusive)' : '') + '</td><td>' +
      esc(w.heartbeat_age_ms) + ' ms ago</td></tr>';
  html += '</table><h2>Waiting for a worker</h2>';
  if (!pending.length) return html + '<p class="muted">nothing</p>';
  html += '<table><tr><th>work</th><th>tags</th><th>waiting</th></tr>';
  for (const w of pending)
    html += '<tr><td>' + esc(w.id) + '</td><td>' + esc((w.tags || []).join(', ')) + '</td><td>' + span(1, 1 + w.waiting_ms) + '</td></tr>';
  return html + '</table>';
}

// --- routing and live updates

function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(x => x).map(decodeURIComponent);
  if (parts[0] === 'workers') return [workers, []];
  if (parts[0] === 'p' && parts.length === 2) return [pipeline, [parts[1]]];
  if (parts[0] === 'p' && parts[2] === 'r' && parts.length === 4) return [resource, [parts[1], parts[3]]];
  if (parts[0] === 'p' && parts[2] === 'j' && parts.length === 4) return [builds, [parts[1], parts[3]]];
  if (parts[0] === 'p' && parts[2] === 'j' && parts[4] === 'b' && parts.length === 6) return [build, [parts[1], parts[3], parts[5]]];
  return [pipelines, []];
}

let rendering = false, again = false, timer = null;
async function render(keepLog) {
  if (rendering) { again = true; return; }
  rendering = true;
  const [fn, args] = route();
  try {
    const out = await fn(...args);
    if (fn === build && keepLog && document.getElementById('log')) {
      // a build page refreshes its header and steps, never its log
      const tmp = document.createElement('div');
      tmp.innerHTML = out.html;
      const old = main.querySelector('table.steps'), neu = tmp.querySelector('table.steps');
      if (old && neu) old.replaceWith(neu);
      main.querySelector('h1').replaceWith(tmp.querySelector('h1'));
    } else {
      if (view) view();
      view = null;
      main.innerHTML = typeof out === 'string' ? out : out.html;
      if (out.after) view = out.after();
    }
  } catch (e) {
    main.innerHTML = '<p class="error">' + esc(e.message) + '</p>';
  }
  rendering = false;
  if (again) { again = false; render(true); }
}

function live() {
  changes = new EventSource('/api/events');
  const dot = document.getElementById('live');
  changes.onopen = () => dot.classList.add('on');
  changes.onerror = () => dot.classList.remove('on');
  // 'dropped': the server lost events for us (we fell behind): re-read too
  for (const name of ['change', 'dropped'])
    changes.addEventListener(name, () => {
      clearTimeout(timer);
      timer = setTimeout(() => render(true), 250);
    });
}

window.addEventListener('hashchange', () => render(false));
live();
render(false);
