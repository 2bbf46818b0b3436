// The JSON API under /api/v1 and the session: who is looking, with which
// role in which team. Every POST/DELETE carries the session's CSRF token
// (the cookie alone is refused for them); a 401 sends the visitor to the
// login page, coming back where they were afterwards.
export const session = { user: null, admin: false, teams: {}, csrf: null, loaded: false };
const ROLES = { read: 1, write: 2, maintain: 3, admin: 4 };

export class ApiError extends Error {
  constructor(status, msg) { super(msg); this.status = status; }
}

async function call(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') {
    if (session.csrf) headers['X-CSRF-Token'] = session.csrf;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
  }
  const r = await fetch('/api/v1/' + path, {
    method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await r.json(); } catch (e) { data = null; }
  if (r.status === 401 && path !== 'login' && path !== 'session') {
    session.user = null;
    if (!location.hash.startsWith('#/login'))
      location.hash = '#/login?next=' + encodeURIComponent(location.hash || '#/');
  }
  if (!r.ok) throw new ApiError(r.status, data && data.error ? data.error : r.status + ' ' + r.statusText);
  return data;
}
export const get = path => call('GET', path);
export const post = (path, body) => call('POST', path, body === undefined ? {} : body);
export const del = path => call('DELETE', path);

export async function loadSession() {
  try {
    Object.assign(session, { user: null, admin: false, teams: {}, csrf: null }, await get('session'));
  } catch (e) {
    Object.assign(session, { user: null, admin: false, teams: {}, csrf: null });
  }
  session.loaded = true;
  return session;
}
// May the session do what needs role `need` in `team`?
export function can(team, need) {
  if (session.admin) return true;
  const have = session.teams && session.teams[team || 'main'];
  return !!have && (ROLES[have] || 0) >= ROLES[need];
}
// The team of each pipeline, from the pipelines list (cached per page load).
const teams = {};
export async function teamOf(p) {
  if (!(p in teams)) {
    for (const x of await get('pipelines')) teams[x.name] = x.team || 'main';
  }
  return teams[p] || 'main';
}
export function rememberTeams(list) { for (const x of list) teams[x.name] = x.team || 'main'; }
