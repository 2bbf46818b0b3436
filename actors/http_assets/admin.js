// The pages about people and machines: login, workers, the audit log (a
// global admin's) and the profile page with its API tokens.
import { esc, enc, when, span, swap, $, flash } from './util.js';
import { get, post, del, session, loadSession } from './api.js';

export async function login(main, next) {
  main.innerHTML = '<form class="card form login" id="login-form"><h1>Log in</h1>' +
    '<div class="field"><label for="user">user</label><input id="user" name="user" autocomplete="username" required></div>' +
    '<div class="field"><label for="password">password</label><input id="password" name="password" type="password" ' +
    'autocomplete="current-password" required></div><p class="error" id="login-error" role="alert"></p>' +
    '<div class="acts"><button type="submit" class="primary">log in</button></div></form>';
  $('#user', main).focus();
  $('#login-form', main).addEventListener('submit', async e => {
    e.preventDefault();
    const err = $('#login-error', main), b = e.target.querySelector('[type=submit]');
    err.textContent = '';
    b.disabled = true;
    try {
      await post('login', { user: $('#user', main).value, password: $('#password', main).value });
      await loadSession();
      document.dispatchEvent(new Event('pikoci-session'));
      location.hash = next && !next.startsWith('#/login') ? next : '#/';
    } catch (x) {
      err.textContent = x.status === 401 ? 'Wrong user or password.' : x.message;
      $('#password', main).select();
    } finally {
      b.disabled = false;
    }
  });
  return {};
}

export async function workers(main) {
  main.innerHTML = '<h1>Workers</h1><div id="w"></div>';
  const load = async () => {
    const [ws, pending] = await Promise.all([get('workers'), get('pending').catch(() => [])]);
    let h = '<table class="workers"><thead><tr><th>worker</th><th>state</th><th>busy</th><th>team</th><th>tags</th><th>heartbeat</th></tr></thead><tbody>';
    for (const w of ws)
      h += '<tr data-worker="' + esc(w.name) + '"><td>' + esc(w.name) + '</td><td><span class="status s-' + esc(w.state) + '">' + esc(w.state) +
        '</span></td><td>' + esc(w.busy) + ' of ' + esc(w.slots) + '</td><td>' + esc(w.team || 'any') + '</td><td>' +
        esc((w.tags || []).join(', ')) + (w.exclusive ? ' (exclusive)' : '') + '</td><td>' + esc(w.heartbeat_age_ms) + ' ms ago</td></tr>';
    h += '</tbody></table><h2>Waiting for a worker</h2>';
    if (!pending.length) return swap($('#w', main), h + '<p class="muted">nothing</p>');
    h += '<table><thead><tr><th>work</th><th>tags</th><th>waiting</th></tr></thead><tbody>';
    for (const w of pending)
      h += '<tr><td>' + esc(w.id) + '</td><td>' + esc((w.tags || []).join(', ')) + '</td><td>' + span(1, 1 + w.waiting_ms) + '</td></tr>';
    swap($('#w', main), h + '</tbody></table>');
  };
  await load();
  return { refresh: evs => evs.some(e => e.resync || (e.topic || '').startsWith('worker.') || (e.topic || '').startsWith('build.')) && load() };
}

const AUDIT_PAGE = 50;
export async function audit(main) {
  main.innerHTML = '<h1>Audit log</h1><form class="bar filters" id="audit-form">' +
    ['user', 'action', 'pipeline'].map(f => '<label>' + f + ' <input name="' + f + '" size="12"></label>').join('') +
    '<button type="submit">filter</button></form><table class="audit"><thead><tr><th>when</th><th>user</th><th>action</th>' +
    '<th>target</th><th>result</th><th>detail</th></tr></thead><tbody id="rows"></tbody></table><p id="more"></p>';
  const form = $('#audit-form', main);
  const q = extra => {
    const u = new URLSearchParams();
    for (const el of form.elements) if (el.name && el.value) u.set(el.name, el.value);
    u.set('limit', AUDIT_PAGE);
    if (extra) u.set('before', extra);
    return 'audit?' + u;
  };
  const rows = list => list.map(a => '<tr data-time="' + esc(a.time_ms) + '"><td>' + when(a.time_ms) + '</td><td>' + esc(a.user || '-') +
    '</td><td>' + esc(a.action) + '</td><td>' + esc(a.target || '') + '</td><td class="' + (a.result === 'ok' ? '' : 'error') + '">' +
    esc(a.result) + '</td><td>' + esc(a.detail || '') + '</td></tr>').join('');
  const more = n => swap($('#more', main), n < AUDIT_PAGE ? '' : '<button type="button" id="older">older entries</button>');
  const load = async () => {
    const list = await get(q());
    swap($('#rows', main), rows(list) || '<tr><td colspan="6" class="muted">nothing</td></tr>');
    more(list.length);
  };
  form.addEventListener('submit', e => { e.preventDefault(); load().catch(x => flash(x.message, true)); });
  main.addEventListener('click', async e => {
    if (e.target.id !== 'older') return;
    const last = main.querySelector('#rows tr[data-time]:last-child');
    const list = await get(q(last.dataset.time));
    $('#rows', main).insertAdjacentHTML('beforeend', rows(list));
    more(list.length);
  });
  await load();
  return {};
}

export async function profile(main) {
  main.innerHTML = '<h1>' + esc(session.user || 'profile') + '</h1><p class="muted" id="who"></p><h2>API tokens</h2>' +
    '<p class="muted">For scripts: <code>Authorization: Bearer TOKEN</code> or <code>pikoci --token TOKEN</code>.</p>' +
    '<form class="card form inline" id="token-form"><div class="field"><label for="tname">name</label><input id="tname" required></div>' +
    '<div class="field"><label for="texp">expires in</label><select id="texp"><option value="">never</option><option value="24h">1 day</option>' +
    '<option value="720h" selected>30 days</option><option value="2160h">90 days</option><option value="8760h">365 days</option></select></div>' +
    '<div class="acts"><button type="submit" class="primary">create token</button></div></form><div id="newtoken"></div>' +
    '<table class="tokens"><thead><tr><th>id</th><th>name</th><th>created</th><th>expires</th><th>last used</th><th></th></tr></thead>' +
    '<tbody id="rows"></tbody></table>';
  swap($('#who', main), (session.admin ? 'global admin' : '') + (Object.keys(session.teams || {}).length ? (session.admin ? '; ' : '') + 'teams: ' +
    Object.entries(session.teams).map(([t, r]) => esc(t) + ' (' + esc(r) + ')').join(', ') : ''));
  const load = async () => {
    const ts = await get('tokens');
    swap($('#rows', main), ts.map(t => '<tr data-token="' + esc(t.id) + '"><td><code>' + esc(t.id) + '</code></td><td>' + esc(t.label) +
      (t.current ? ' <span class="badge">this session</span>' : '') + '</td><td>' + when(t.created_ms) + '</td><td>' +
      (t.expires_ms ? new Date(t.expires_ms).toISOString().slice(0, 16).replace('T', ' ') : 'never') + '</td><td>' + when(t.last_used_ms) +
      '</td><td>' + (t.current ? '' : '<button type="button" class="danger" data-revoke="' + esc(t.id) + '" data-key="revoke:' + esc(t.id) +
      '">revoke</button>') + '</td></tr>').join('') || '<tr><td colspan="6" class="muted">no token</td></tr>');
  };
  $('#token-form', main).addEventListener('submit', async e => {
    e.preventDefault();
    const body = { name: $('#tname', main).value };
    if ($('#texp', main).value) body.expires = $('#texp', main).value;
    try {
      const r = await post('tokens', body);
      $('#newtoken', main).innerHTML = '<div class="card newtoken" role="status"><p>Your new token, shown this once:</p><p><code id="token-value">' +
        esc(r.token) + '</code> <button type="button" id="token-copy">copy</button></p></div>';
      $('#token-copy', main).onclick = () => navigator.clipboard.writeText(r.token).then(() => flash('copied'), () => flash('copy failed', true));
      $('#tname', main).value = '';
      load();
    } catch (x) { flash(x.message, true); }
  });
  main.addEventListener('click', async e => {
    const id = e.target.dataset && e.target.dataset.revoke;
    if (!id) return;
    if (!confirm('Revoke token ' + id + '? Scripts using it stop at once.')) return;
    try { await del('tokens/' + enc(id)); flash('revoked ' + id); load(); } catch (x) { flash(x.message, true); }
  });
  await load();
  return {};
}
