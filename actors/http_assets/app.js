// pikoci's web face: hash routes over the JSON API of /api/v1, kept current
// by the server's events (live.js), with actions for the roles that may use
// them. Plain ES modules, no framework, no build step: what is in
// actors/http_assets/ is what the browser runs.
import { esc, $ } from './util.js';
import { session, loadSession, post } from './api.js';
import * as live from './live.js';
import { home, pipeline, job, resource } from './views.js';
import { build } from './build.js';
import { login, workers, audit, profile } from './admin.js';

const main = document.getElementById('main');
let view = null, seq = 0;

function route() {
  const [path, query] = location.hash.replace(/^#\/?/, '').split('?');
  const parts = path.split('/').filter(x => x).map(decodeURIComponent);
  const q = new URLSearchParams(query || '');
  if (parts[0] === 'login') return [login, [q.get('next')], true];
  if (parts[0] === 'workers') return [workers, []];
  if (parts[0] === 'audit') return [audit, []];
  if (parts[0] === 'profile') return [profile, []];
  if (parts[0] === 'p' && parts.length === 2) return [pipeline, [parts[1], 'graph']];
  if (parts[0] === 'p' && parts.length === 3 && parts[2] === 'list') return [pipeline, [parts[1], 'list']];
  if (parts[0] === 'p' && parts[2] === 'r' && parts.length === 4) return [resource, [parts[1], parts[3]]];
  if (parts[0] === 'p' && parts[2] === 'j' && parts.length === 4) return [job, [parts[1], parts[3]]];
  if (parts[0] === 'p' && parts[2] === 'j' && parts[4] === 'b' && parts.length === 6) return [build, [parts[1], parts[3], parts[5]]];
  return [home, []];
}

function nav() {
  const u = session.user;
  $('#nav-audit').hidden = !session.admin;
  $('#nav-profile').hidden = !u;
  $('#who').innerHTML = u ? '<a href="#/profile">' + esc(u) + '</a>' : '';
  $('#logout').hidden = !u;
  $('#login-link').hidden = !!u;
  for (const a of document.querySelectorAll('header nav a'))
    a.toggleAttribute('aria-current', location.hash.startsWith(a.getAttribute('href')) && a.getAttribute('href') !== '#/' ||
                                       a.getAttribute('href') === '#/' && /^#?\/?$/.test(location.hash));
}

async function render() {
  const mine = ++seq;
  if (view && view.destroy) view.destroy();
  view = null;
  const [fn, args, open] = route();
  nav();
  // anonymous: the login page, unless the server shows exposed pipelines
  main.setAttribute('aria-busy', 'true');
  try {
    // a fresh box per view: its listeners leave with it
    const box = document.createElement('div');
    main.replaceChildren(box);
    const v = await fn(box, ...args);
    if (mine !== seq) { if (v && v.destroy) v.destroy(); return; }
    view = v || {};
    document.title = (main.querySelector('h1') ? main.querySelector('h1').textContent.trim() + ' \u2014 ' : '') + 'pikoci';
  } catch (e) {
    if (mine !== seq) return;
    if (e.status === 401 && !open) return;           // api.js went to the login page
    main.innerHTML = '<h1>' + (e.status === 404 ? 'Not found' : e.status === 403 ? 'Not allowed' : 'Error') + '</h1><p class="error">' +
      esc(e.message) + '</p><p><a href="#/">back to the pipelines</a></p>';
  } finally {
    main.removeAttribute('aria-busy');
  }
}

// the theme: the system's, or the one the toggle chose (kept in localStorage)
function theme(t) {
  if (t) localStorage.setItem('pikoci-theme', t); else t = localStorage.getItem('pikoci-theme') || 'auto';
  if (t === 'auto') document.documentElement.removeAttribute('data-theme');
  else document.documentElement.dataset.theme = t;
  const b = $('#theme');
  b.textContent = t === 'dark' ? 'dark' : t === 'light' ? 'light' : 'auto';
  b.setAttribute('aria-label', 'colour theme: ' + t + ' (change)');
  return t;
}
$('#theme').addEventListener('click', () => {
  const now = localStorage.getItem('pikoci-theme') || 'auto';
  theme({ auto: 'dark', dark: 'light', light: 'auto' }[now]);
});
$('#logout').addEventListener('click', async () => {
  try { await post('logout'); } catch (e) { /* the session may be gone already */ }
  await loadSession();
  live.stop();
  location.hash = '#/login';
});
document.addEventListener('pikoci-session', () => { nav(); live.restart(); });

let busy = false, again = null;
live.listen(async evs => {
  if (!view || !view.refresh) return;
  if (busy) { again = (again || []).concat(evs); return; }
  busy = true;
  try { await view.refresh(evs); } catch (e) { /* the next event or a reload shows it */ }
  busy = false;
  if (again) { const a = again; again = null; if (view && view.refresh) Promise.resolve(view.refresh(a)).catch(() => {}); }
});
window.addEventListener('hashchange', render);

theme();
await loadSession();
if (!session.user && !location.hash.startsWith('#/login')) {
  // anonymous: exposed pipelines only; with none, the login page
  let any = false;
  try { any = (await (await fetch('/api/v1/pipelines')).json()).length > 0; } catch (e) { any = false; }
  if (!any) location.hash = '#/login?next=' + encodeURIComponent(location.hash || '#/');
}
live.start(!!session.user || !location.hash.startsWith('#/login'));
render();
