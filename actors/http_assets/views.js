// The pipeline views: teams and their pipelines, a pipeline (graph or list),
// a job with its builds and trigger form, a resource with its versions.
// A view renders its frame once and returns {refresh(events), destroy()}:
// live events refresh only its data regions, never a form being filled in.
import { esc, enc, when, span, status, crumbs, swap, $, flash, P, J, B, R } from './util.js';
import { get, post, can, rememberTeams, teamOf, session } from './api.js';
import { svg } from './graph.js';

const mine = p => evs => evs.some(e => e.resync || !e.body || !e.body.pipeline || e.body.pipeline === p);
// act(button, path, body, done): POST with the button disabled meanwhile; errors flash
export async function act(btn, path, body, ok) {
  if (btn) btn.disabled = true;
  try {
    const r = await post(path, body);
    if (ok) ok(r);
    return r;
  } catch (e) {
    flash(e.message, true);
    return null;
  } finally {
    if (btn) btn.disabled = false;
  }
}
const btn = (action, text, extra) => '<button type="button" data-action="' + action + '" data-key="' + action +
  (extra && extra.key ? ':' + esc(extra.key) : '') + '"' + (extra && extra.attrs ? ' ' + extra.attrs : '') +
  (extra && extra.cls ? ' class="' + extra.cls + '"' : '') + '>' + text + '</button>';
// clicks on [data-action] buttons inside root go to handlers[action](button)
function wire(root, handlers) {
  root.addEventListener('click', e => {
    const b = e.target.closest('[data-action]');
    if (b && root.contains(b) && handlers[b.dataset.action]) { e.preventDefault(); handlers[b.dataset.action](b); }
  });
}

// --- teams and pipelines

function jobsTable(p, jobs, team) {
  const w = can(team, 'write');
  let h = '<table class="jobs"><thead><tr><th>job</th><th>latest</th><th>status</th><th>started</th><th>took</th>' +
    (w ? '<th aria-label="actions"></th>' : '') + '</tr></thead><tbody>';
  for (const j of jobs) {
    const b = j.latest;
    h += '<tr data-job="' + esc(j.name) + '"><td><a href="' + J(p, j.name) + '">' + esc(j.name) + '</a>' +
      (j.paused ? ' <span class="badge paused">paused</span>' : '') + '</td>' +
      (b ? '<td><a href="' + B(p, j.name, b.number) + '">#' + esc(b.number) + '</a></td><td>' + status(b.status) +
        '</td><td>' + when(b.started_ms) + '</td><td>' + span(b.started_ms, b.finished_ms) + '</td>'
        : '<td class="muted" colspan="4">no build yet</td>') +
      (w ? '<td class="acts">' + (j.paused ? btn('unpause-job', 'unpause', { key: j.name, attrs: 'data-job="' + esc(j.name) + '"' })
        : btn('pause-job', 'pause', { key: j.name, attrs: 'data-job="' + esc(j.name) + '"' })) + '</td>' : '') + '</tr>';
  }
  return h + '</tbody></table>';
}

export async function home(main) {
  main.innerHTML = '<h1>Pipelines</h1><div id="teams"><p class="muted">loading&hellip;</p></div>';
  const region = $('#teams', main);
  const load = async () => {
    const ps = await get('pipelines');
    rememberTeams(ps);
    if (!ps.length) return swap(region, '<p class="muted">No pipeline you may see yet (<code>pikoci pipelines set</code>).</p>');
    const jobs = await Promise.all(ps.map(p => get('pipelines/' + enc(p.name) + '/jobs').catch(() => [])));
    const byTeam = new Map();
    ps.forEach((p, i) => {
      const t = p.team || 'main';
      if (!byTeam.has(t)) byTeam.set(t, []);
      byTeam.get(t).push([p, jobs[i]]);
    });
    let h = '';
    for (const [t, list] of [...byTeam].sort()) {
      h += '<section class="team" data-team="' + esc(t) + '"><h2>team ' + esc(t) +
        (session.teams && session.teams[t] ? ' <span class="badge">' + esc(session.teams[t]) + '</span>' : '') + '</h2>';
      for (const [p, js] of list) {
        const bad = js.some(j => j.latest && /failed|errored/.test(j.latest.status));
        const run = js.some(j => j.latest && /started|pending/.test(j.latest.status));
        h += '<section class="pipeline card" data-pipeline="' + esc(p.name) + '"><h3><a href="' + P(p.name) + '">' + esc(p.name) + '</a> ' +
          status(p.paused ? 'paused' : bad ? 'failed' : run ? 'started' : js.some(j => j.latest) ? 'succeeded' : 'none') +
          (p.exposed ? ' <span class="badge">public</span>' : '') + '</h3>' + jobsTable(p.name, js, t) + '</section>';
      }
      h += '</section>';
    }
    swap(region, h);
  };
  wire(main, {
    'pause-job': b => act(b, 'pipelines/' + enc(b.closest('[data-pipeline]').dataset.pipeline) + '/jobs/' + enc(b.dataset.job) + '/pause', {}, load),
    'unpause-job': b => act(b, 'pipelines/' + enc(b.closest('[data-pipeline]').dataset.pipeline) + '/jobs/' + enc(b.dataset.job) + '/unpause', {}, load),
  });
  await load();
  // checks of resources change nothing shown here
  return { refresh: evs => evs.some(e => e.resync || !/^resource\./.test(e.topic || '')) && load() };
}

// --- a pipeline: graph or list

export async function pipeline(main, p, mode) {
  const team = await teamOf(p);
  const w = can(team, 'write'), m = can(team, 'maintain');
  main.innerHTML = crumbs() + '<h1>' + esc(p) + ' <span id="pstate"></span></h1>' +
    '<div class="bar"><nav class="tabs" aria-label="view"><a href="' + P(p) + '"' + (mode === 'list' ? '' : ' aria-current="page"') +
    '>graph</a><a href="' + P(p) + '/list"' + (mode === 'list' ? ' aria-current="page"' : '') + '>list</a></nav>' +
    '<span class="acts" id="pacts"></span></div><div id="view" data-pipeline="' + esc(p) + '"></div>';
  const view = $('#view', main);
  let paused = false;
  const acts = () => {
    swap($('#pacts', main), (w ? (paused ? btn('unpause', 'unpause pipeline') : btn('pause', 'pause pipeline')) : '') +
      (m ? btn('expose', 'expose') + btn('hide', 'hide') : ''));
    swap($('#pstate', main), paused ? '<span class="badge paused">paused</span>' : '');
  };
  const load = async () => {
    if (mode === 'list') {
      const [jobs, res, ps] = await Promise.all([get('pipelines/' + enc(p) + '/jobs'), get('pipelines/' + enc(p) + '/resources'), get('pipelines')]);
      const me = ps.find(x => x.name === p);
      paused = !!(me && me.paused);
      let h = '<h2>Jobs</h2>' + jobsTable(p, jobs, team) + '<h2>Resources</h2><table class="resources"><thead><tr><th>resource</th><th>type</th>' +
        '<th>last check</th><th>newest</th><th>pinned</th><th>error</th>' + (w ? '<th aria-label="actions"></th>' : '') + '</tr></thead><tbody>';
      for (const r of res)
        h += '<tr data-resource="' + esc(r.name) + '"><td><a href="' + R(p, r.name) + '">' + esc(r.name) + '</a></td><td>' + esc(r.type) +
          '</td><td>' + when(r.last_check_ms) + '</td><td>' + (r.last_id ? '#' + esc(r.last_id) : '-') + '</td><td>' +
          (r.pinned ? '<span class="badge pinned">#' + esc(r.pinned) + '</span>' : '-') + '</td><td class="error">' + esc(r.error || '') + '</td>' +
          (w ? '<td class="acts">' + btn('check', 'check now', { key: r.name, attrs: 'data-resource="' + esc(r.name) + '"' }) + '</td>' : '') + '</tr>';
      swap(view, h + '</tbody></table>');
    } else {
      let g;
      try {
        g = await get('pipelines/' + enc(p) + '/graph');
      } catch (e) {
        if (e.status !== 404 || !/graph|api/.test(e.message)) throw e;
        return swap(view, '<p class="muted">This server draws no graph (' + esc(e.message) + '): see the <a href="' + P(p) + '/list">list</a>.</p>');
      }
      paused = !!g.paused;
      g.pipeline = p;
      swap(view, '<div class="graphbox">' + svg(g) + '</div><p class="legend muted"><span class="lg n-succeeded"></span>succeeded ' +
        '<span class="lg n-failed"></span>failed <span class="lg n-started"></span>running <span class="lg n-waiting_for_approval"></span>' +
        'waiting for approval <span class="lg n-none"></span>no build &middot; dashed: paused &middot; arrows: get &rarr; job &rarr; put, job &rarr; job: passed</p>');
    }
    acts();
  };
  wire(main, {
    pause: b => act(b, 'pipelines/' + enc(p) + '/pause', {}, load),
    unpause: b => act(b, 'pipelines/' + enc(p) + '/unpause', {}, load),
    expose: b => act(b, 'pipelines/' + enc(p) + '/expose', {}, () => flash(p + ' is readable without login')),
    hide: b => act(b, 'pipelines/' + enc(p) + '/hide', {}, () => flash(p + ' needs a login again')),
    'pause-job': b => act(b, 'pipelines/' + enc(p) + '/jobs/' + enc(b.dataset.job) + '/pause', {}, load),
    'unpause-job': b => act(b, 'pipelines/' + enc(p) + '/jobs/' + enc(b.dataset.job) + '/unpause', {}, load),
    check: b => act(b, 'pipelines/' + enc(p) + '/resources/' + enc(b.dataset.resource) + '/check', {}, () => flash('checking ' + b.dataset.resource)),
  });
  await load();
  const rel = mine(p);
  return { refresh: evs => rel(evs) && load() };
}

// --- a job: its builds, newest first, and the trigger form

const PAGE = 20;
function buildsRows(p, j, bs) {
  return bs.map(b => '<tr data-build="' + esc(b.number) + '"><td><a href="' + B(p, j, b.number) + '">#' + esc(b.number) + '</a></td><td>' +
    status(b.status) + '</td><td>' + when(b.created_ms) + '</td><td>' + span(b.started_ms, b.finished_ms) + '</td><td>' + esc(b.trigger || '') +
    (b.by ? ' by ' + esc(b.by) : '') + (b.reason ? ' <span class="muted">' + esc(b.reason) + '</span>' : '') +
    '</td><td>' + (b.inputs ? '<code>' + esc(JSON.stringify(b.inputs)) + '</code>' : '') + '</td><td>' + esc(b.worker || '') + '</td></tr>').join('');
}

function inputField(x) {
  const id = 'in-' + x.name, name = esc(x.name), def = x.default;
  const label = '<label for="' + esc(id) + '">' + name + ' <span class="muted">(' + esc(x.type || 'string') + (x.multiple ? ', several' : '') + ')</span></label>';
  if (x.type === 'bool')
    return '<div class="field check"><input type="checkbox" id="' + esc(id) + '" name="' + name + '" data-type="bool"' +
      (def === true || def === 'true' ? ' checked' : '') + '> ' + label + '</div>';
  const opts = x.options || [];
  if (opts.length) {
    const defs = Array.isArray(def) ? def.map(String) : def === null || def === undefined ? []
      : x.multiple ? String(def).split(',') : [String(def)];
    return '<div class="field">' + label + '<select id="' + esc(id) + '" name="' + name + '" data-type="' + esc(x.type || 'string') + '"' +
      (x.multiple ? ' multiple size="' + Math.min(6, opts.length) + '"' : '') + '>' +
      opts.map(o => '<option' + (defs.includes(String(o)) ? ' selected' : '') + '>' + esc(o) + '</option>').join('') + '</select></div>';
  }
  const v = def === null || def === undefined ? '' : Array.isArray(def) ? def.join('\n') : x.multiple ? String(def).split(',').join('\n') : def;
  if (x.multiple)
    return '<div class="field">' + label + '<textarea id="' + esc(id) + '" name="' + name + '" data-type="' + esc(x.type || 'string') +
      '" data-multiple="1" rows="3" placeholder="one per line">' + esc(v) + '</textarea></div>';
  return '<div class="field">' + label + '<input id="' + esc(id) + '" name="' + name + '" data-type="' + esc(x.type || 'string') + '" type="' +
    (x.type === 'number' ? 'number" step="any' : 'text') + '" value="' + esc(v) + '"' + (def === null || def === undefined ? ' required' : '') + '></div>';
}
// the values as the scheduler takes them: several values comma-joined
function readInputs(form) {
  const inputs = {};
  const conv = (t, s) => t === 'number' ? Number(s) : s;
  for (const el of form.querySelectorAll('[name]')) {
    const t = el.dataset.type;
    if (t === 'bool') inputs[el.name] = el.checked;
    else if (el.tagName === 'SELECT' && el.multiple) inputs[el.name] = [...el.selectedOptions].map(o => o.value).join(',');
    else if (el.dataset.multiple) inputs[el.name] = el.value.split('\n').map(s => s.trim()).filter(s => s).join(',');
    else inputs[el.name] = conv(t, el.value);
  }
  return inputs;
}
export function triggerForm(job, versions) {
  const ins = job.inputs || [];
  return '<form class="card form" id="trigger-form"><h2>Trigger ' + esc(job.name) + '</h2>' +
    (versions ? '<p class="muted">with ' + Object.entries(versions).map(([r, v]) => esc(r) + ' #' + esc(v)).join(', ') + '</p>' : '') +
    (ins.length ? ins.map(inputField).join('') : '<p class="muted">This job takes no inputs.</p>') +
    '<div class="acts"><button type="submit" class="primary">trigger</button> <button type="button" data-action="cancel-form">cancel</button></div></form>';
}
export function wireTrigger(box, p, job, versions) {
  const form = $('#trigger-form', box);
  const first = form.querySelector('input,select,textarea,button');
  if (first) first.focus();
  form.addEventListener('submit', async e => {
    e.preventDefault();
    const body = { inputs: readInputs(form) };
    if (versions) body.versions = versions;
    const r = await act(form.querySelector('[type=submit]'), 'pipelines/' + enc(p) + '/jobs/' + enc(job.name) + '/trigger', body);
    if (r) {
      flash('triggered ' + job.name + (r.number ? ' #' + r.number : ''));
      box.innerHTML = '';
      if (r.number) location.hash = B(p, job.name, r.number);
    }
  });
  form.querySelector('[data-action="cancel-form"]').addEventListener('click', () => { box.innerHTML = ''; });
}

export async function job(main, p, j) {
  const team = await teamOf(p);
  const w = can(team, 'write');
  main.innerHTML = crumbs([P(p), p]) + '<h1>' + esc(j) + ' <span id="jstate"></span></h1><div class="bar acts" id="jacts"></div>' +
    '<div id="formbox"></div><table class="builds"><thead><tr><th>build</th><th>status</th><th>created</th><th>took</th><th>trigger</th>' +
    '<th>inputs</th><th>worker</th></tr></thead><tbody id="rows"></tbody></table><p id="more"></p>';
  let info = null, shown = PAGE, end = false, seq = 0;
  // one path for live refreshes and "older": the newest `shown` builds; of
  // loads that overlap, only the last one started is shown
  const load = async () => {
    const my = ++seq;
    const [jobs, bs] = await Promise.all([get('pipelines/' + enc(p) + '/jobs'), get('pipelines/' + enc(p) + '/jobs/' + enc(j) + '/builds?limit=' + shown)]);
    if (my !== seq) return;
    info = jobs.find(x => x.name === j) || { name: j };
    swap($('#jstate', main), (info.paused ? '<span class="badge paused">paused</span> ' : '') +
      (info.approval ? '<span class="badge">approval: ' + esc(info.approval) + '</span> ' : '') +
      (info.allow_failure ? '<span class="badge">allow failure</span>' : ''));
    swap($('#jacts', main), w ? btn('trigger', 'trigger&hellip;', { cls: 'primary' }) + (info.paused ? btn('unpause', 'unpause job') : btn('pause', 'pause job')) : '');
    swap($('#rows', main), bs.length ? buildsRows(p, j, bs) : '<tr><td colspan="7" class="muted">no build yet</td></tr>');
    end = bs.length < shown;
    swap($('#more', main), end ? '' : btn('older', 'older builds'));
  };
  wire(main, {
    trigger: () => { const box = $('#formbox', main); box.innerHTML = triggerForm(info); wireTrigger(box, p, info); },
    pause: b => act(b, 'pipelines/' + enc(p) + '/jobs/' + enc(j) + '/pause', {}, load),
    unpause: b => act(b, 'pipelines/' + enc(p) + '/jobs/' + enc(j) + '/unpause', {}, load),
    older: async b => {
      b.disabled = true;
      shown += PAGE;
      await load();
      const f = $('#more button', main);
      if (f) f.focus();
    },
  });
  await load();
  const rel = mine(p);
  return { refresh: evs => rel(evs) && load() };
}

// --- a resource: versions, check now, pin, trigger a job with a version

export async function resource(main, p, r) {
  const team = await teamOf(p);
  const w = can(team, 'write');
  main.innerHTML = crumbs([P(p), p]) + '<h1>' + esc(r) + ' <span id="rstate"></span></h1><div class="bar acts" id="racts"></div>' +
    '<p class="error" id="rerror"></p><div id="formbox"></div><table class="versions"><thead><tr><th>id</th><th>version</th><th></th>' +
    (w ? '<th aria-label="actions"></th>' : '') + '</tr></thead><tbody id="rows"></tbody></table><p id="more"></p>';
  let shown = PAGE, getters = [], jobs = [], seq = 0;
  const rows = vs => vs.map(v => '<tr data-version="' + esc(v.id) + '"' + (v.pinned ? ' class="pinned"' : '') + '><td>#' + esc(v.id) + '</td><td><code>' +
    esc(Object.entries(v.version || {}).map(([k, x]) => k + ': ' + x).join(', ')) + '</code></td><td>' +
    (v.pinned ? '<span class="badge pinned">pinned</span>' : '') + '</td>' +
    (w ? '<td class="acts">' + (v.pinned ? btn('unpin', 'unpin', { key: v.id }) : btn('pin', 'pin', { key: v.id, attrs: 'data-version="' + esc(v.id) + '"' })) +
      getters.map(g => btn('trigger-with', 'trigger ' + esc(g), { key: v.id + ':' + g, attrs: 'data-version="' + esc(v.id) + '" data-job="' + esc(g) + '"' })).join('') +
      '</td>' : '') + '</tr>').join('');
  const load = async () => {
    const my = ++seq;
    const [res, vs, g, js] = await Promise.all([get('pipelines/' + enc(p) + '/resources'),
      get('pipelines/' + enc(p) + '/resources/' + enc(r) + '/versions?limit=' + shown),
      get('pipelines/' + enc(p) + '/graph').catch(() => null), get('pipelines/' + enc(p) + '/jobs')]);
    if (my !== seq) return;
    jobs = js;
    getters = g ? g.edges.filter(e => e.kind === 'get' && e.from === 'res:' + r).map(e => e.to.replace(/^job:/, '')) : [];
    const me = res.find(x => x.name === r) || {};
    swap($('#rstate', main), (me.pinned ? '<span class="badge pinned">pinned #' + esc(me.pinned) + '</span> ' : '') + '<span class="muted">' + esc(me.type || '') + '</span>');
    swap($('#racts', main), (w ? btn('check', 'check now', { cls: 'primary' }) : '') + '<span class="muted">last check ' + when(me.last_check_ms) + '</span>');
    $('#rerror', main).textContent = me.error || '';
    swap($('#rows', main), vs.length ? rows(vs) : '<tr><td colspan="4" class="muted">no version yet</td></tr>');
    swap($('#more', main), vs.length < shown ? '' : btn('older', 'older versions'));
  };
  wire(main, {
    check: b => act(b, 'pipelines/' + enc(p) + '/resources/' + enc(r) + '/check', {}, () => flash('checking ' + r)),
    pin: b => act(b, 'pipelines/' + enc(p) + '/resources/' + enc(r) + '/pin', { version: Number(b.dataset.version) }, load),
    unpin: b => act(b, 'pipelines/' + enc(p) + '/resources/' + enc(r) + '/unpin', {}, load),
    'trigger-with': b => {
      const box = $('#formbox', main), jb = jobs.find(x => x.name === b.dataset.job) || { name: b.dataset.job };
      const versions = { [r]: Number(b.dataset.version) };
      box.innerHTML = triggerForm(jb, versions);
      wireTrigger(box, p, jb, versions);
    },
    older: async b => {
      b.disabled = true;
      shown += PAGE;
      await load();
    },
  });
  await load();
  const rel = mine(p);
  return { refresh: evs => rel(evs) && load() };
}
