// The web UI's acceptance test in Debian's headless Chromium, driven by
// playwright-core (ui.sh sets the scene): log in; the graph of a three-job
// pipeline; a push turns the build job running, then green, without a
// reload, while a second tab shows its log arriving line by line; trigger a
// job with inputs through its form; approve a gated build; pin a version; a
// `read` user sees no action buttons and its forged POST gets 403; a POST
// without the CSRF token, or from another origin, gets 403; tokens; the
// event stream closes in a hidden tab; dark mode and a phone's width.
// Screenshots go to OUT_DIR as ui-*.png.
// Usage: node ui.mjs BASE_URL PIKOCI_BIN OUT_DIR PUSH_SCRIPT
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const [base, pk, out, push] = process.argv.slice(2);
let fails = 0;
const check = (name, ok, detail) => {
  console.log((ok ? 'ok - ' : 'FAIL - ') + name + (ok || detail === undefined ? '' : '  ' + detail));
  if (!ok) fails++;
};
const waitOk = (name, p) => p.then(() => check(name, true)).catch(e => check(name, false, e.message.split('\n')[0]));
const shot = (page, name, full) => page.screenshot({ path: join(out, 'ui-' + name + '.png'), fullPage: full !== false });
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
});
const errors = [];
const watch = page => {
  page.on('pageerror', e => errors.push(String(e)));
  page.on('console', m => { if (m.type() === 'error' && !/status of 40[13]/.test(m.text())) errors.push(m.text()); });
  page.on('dialog', d => d.accept());
};
async function login(ctx, user, password) {
  const page = await ctx.newPage();
  watch(page);
  await page.goto(base + '/#/login');
  await page.waitForSelector('#login-form', { timeout: 15000 });
  await page.fill('#user', user);
  await page.fill('#password', password);
  await page.click('#login-form [type=submit]');
  await page.waitForSelector('section[data-pipeline="ui"]', { timeout: 15000 });
  return page;
}
// a section that throws fails by itself; the others still run
async function section(name, fn) {
  try { await fn(); } catch (e) { check(name + ' ran to the end', false, e.message.split('\n').slice(0, 3).join(' ')); }
}
const node = (id, attr) => 'svg.graph a[data-node="' + id + '"]' + (attr || '');

try {
  const admin = await browser.newContext({ viewport: { width: 1200, height: 850 } });
  const page = await admin.newPage();
  watch(page);
  let sc = null;
  await section('section 1', async () => {
    // 1. login: anonymous visitors see the login form; a wrong password says so
    await page.goto(base + '/#/');
    await waitOk('an anonymous visitor gets the login page', page.waitForSelector('#login-form', { timeout: 15000 }));
    await page.fill('#user', 'alice');
    await page.fill('#password', 'wrong');
    await page.click('#login-form [type=submit]');
    await waitOk('a wrong password is shown as an error', page.waitForFunction(
      () => /wrong user or password/i.test(document.getElementById('login-error').textContent), null, { timeout: 10000 }));
    await shot(page, 'login');
    await page.fill('#password', 'alice-pw-1');
    await page.click('#login-form [type=submit]');
    await waitOk('alice logs in and sees team main with pipeline ui',
      page.waitForSelector('section[data-team="main"] section[data-pipeline="ui"] tr[data-job="ship"]', { timeout: 15000 }));
    const cookies = await admin.cookies();
    sc = cookies.find(c => c.name === 'pikoci_session');
    check('the session cookie is HttpOnly and SameSite=Strict', sc && sc.httpOnly && sc.sameSite === 'Strict', JSON.stringify(sc));
    check('the header shows who is logged in', (await page.textContent('#who')).includes('alice'));
    await shot(page, 'pipelines');
  });
  await section('section 2', async () => {
    // 2. the graph: three jobs and the git resource, coloured by status
    await page.goto(base + '/#/p/ui');
    await page.waitForSelector(node('job:ship'), { timeout: 15000 });
    for (const id of ['res:git.app', 'job:build', 'job:test', 'job:ship', 'job:release'])
      check('the graph has node ' + id, await page.locator(node(id)).count() === 1);
    check('the graph has get, put-or-passed edges', await page.locator('svg.graph path.edge').count() >= 3);
    const xs = await page.evaluate(() => ['res:git.app', 'job:build', 'job:test', 'job:ship'].map(id =>
      document.querySelector('a[data-node="' + id + '"]').getBoundingClientRect().x));
    check('laid out left to right: git.app, build, test, ship', xs.every((x, i) => i === 0 || x > xs[i - 1]), JSON.stringify(xs));
    await waitOk('build is green, ship waits for its approval', page.waitForFunction(() => {
      const s = id => { const a = document.querySelector('a[data-node="' + id + '"]'); return a && a.dataset.status; };
      return s('job:build') === 'succeeded' && s('job:test') === 'succeeded' && s('job:ship') === 'waiting_for_approval';
    }, null, { timeout: 20000 }));
    check('the waiting build is marked', /approval/.test(await page.getAttribute(node('job:ship'), 'data-marks')));
    await shot(page, 'graph');

    // the layout itself (graph.js, our own code): no crossing where none is
    // needed, a cycle still drawn, long edges bent through one point per layer
    const lay = await page.evaluate(async () => {
      const { layout } = await import('/graph.js');
      const N = (...ids) => ids.map(id => ({ id }));
      const E = (...ps) => ps.map(([from, to]) => ({ from, to, kind: 'get' }));
      const diamond = layout(N('r', 'a', 'b', 'c', 'd'), E(['r', 'a'], ['a', 'b'], ['a', 'c'], ['b', 'd'], ['c', 'd']));
      const bait = layout(N('a', 'b', 'y', 'x'), E(['a', 'x'], ['b', 'y']));
      const cycle = layout(N('r', 'a'), E(['r', 'a'], ['a', 'r']));
      const long = layout(N('a', 'b', 'c', 'd'), E(['a', 'b'], ['b', 'c'], ['c', 'd'], ['a', 'd']));
      return { diamond: diamond.crossings, bait: bait.crossings, cycle: cycle.nodes.map(n => n.x),
               long: long.edges.map(e => e.pts.length), right: diamond.edges.every(e => e.pts[0].x < e.pts[e.pts.length - 1].x) };
    });
    check('layout: a diamond has no crossing, every edge points right', lay.diamond === 0 && lay.right, JSON.stringify(lay));
    check('layout: barycenter sweeps undo a crossing of the input order', lay.bait === 0, JSON.stringify(lay));
    check('layout: a cycle (get and put of one resource) is laid out in two layers', lay.cycle[0] !== lay.cycle[1], JSON.stringify(lay));
    check('layout: an edge over two layers bends through two dummies', JSON.stringify(lay.long) === '[2,2,2,4]', JSON.stringify(lay));

  });
  await section('section 3', async () => {
    // 3. a push: build turns running, then green, with no reload; a second tab follows its log
    await page.evaluate(() => { window.__noReload = 1; });
    execFileSync(push, ['v2']);
    await waitOk('the graph shows build running by itself', page.waitForSelector(node('job:build', '[data-running="1"]'), { timeout: 20000 }));
    await shot(page, 'graph-running');
    const logPage = await admin.newPage();
    watch(logPage);
    await logPage.goto(base + '/#/p/ui/j/build');
    await logPage.waitForSelector('tr[data-build="2"] a', { timeout: 10000 });
    await logPage.click('tr[data-build="2"] a');
    await logPage.waitForSelector('#log', { timeout: 10000 });
    // a third tab opens the running compile step's own log, by the keyboard
    const stepPage = await admin.newPage();
    watch(stepPage);
    await stepPage.goto(base + '/#/p/ui/j/build/b/2');
    const compile = stepPage.locator('button.stepx', { hasText: 'compile' });
    await compile.waitFor({ timeout: 15000 });
    const ci = await compile.getAttribute('data-stepx');
    await compile.focus();
    await stepPage.keyboard.press('Enter');
    check('Enter opens the step\'s log', await stepPage.locator('button.stepx[data-stepx="' + ci + '"]').getAttribute('aria-expanded') === 'true');
    const own = /^(building \S+|step \d+ of the build)$/;
    const stepText = (pg, i) => pg.evaluate(i => { const e = document.querySelector('#steplog-' + i + ' pre'); return e ? e.textContent : null; }, i);
    await waitOk('the running step\'s log follows it live', stepPage.waitForFunction(i => {
      const e = document.querySelector('#steplog-' + i + ' pre');
      return e && (e.textContent.match(/^step \d+ of the build$/mg) || []).length >= 2;
    }, ci, { timeout: 15000 }));
    const live = await stepText(stepPage, ci);
    const still = await stepPage.evaluate(i => document.querySelector('tr[data-step="' + i + '"] [data-status]').dataset.status, ci);
    check('while it runs, its section shows only its own lines', still === 'started' && live.trim().split('\n').every(l => own.test(l)),
          still + ' ' + JSON.stringify(live.slice(0, 300)));
    await shot(stepPage, 'step-live');
    const seen = [];
    const t0 = Date.now();
    while (Date.now() - t0 < 20000) {
      const c = await logPage.evaluate(() => (document.getElementById('log').textContent.match(/^step \d+ of the build$/mg) || []).length);
      if (!seen.length || seen[seen.length - 1] !== c) seen.push(c);
      if (c >= 24) break;
      await logPage.waitForTimeout(100);
    }
    check('the build log arrived line by line', seen.every((c, i) => i === 0 || c > seen[i - 1]) && seen.filter(c => c > 0 && c < 24).length >= 4,
          JSON.stringify(seen));
    await shot(logPage, 'build-live');
    await waitOk('the graph turns build green by itself', page.waitForSelector(node('job:build', '[data-status="succeeded"][data-running="0"]'), { timeout: 30000 }));
    check('the graph page was never reloaded', await page.evaluate(() => window.__noReload === 1));
    await waitOk('the build page header turns succeeded by itself', logPage.waitForSelector('h1 [data-status="succeeded"]', { timeout: 15000 }));
    await logPage.close();
    // finished: the step's section is its exact slice; with the get's, the whole log
    await waitOk('the finished step\'s section ends with its last line', stepPage.waitForFunction(i =>
      /step 24 of the build\n$/.test((document.querySelector('#steplog-' + i + ' pre') || {}).textContent || '') &&
      document.querySelector('tr[data-step="' + i + '"] [data-status]').dataset.status === 'succeeded', ci, { timeout: 20000 }));
    const done = await stepText(stepPage, ci);
    check('the finished step shows only its own lines, all 24', done.trim().split('\n').every(l => own.test(l)) &&
          (done.match(/^step \d+ of the build$/mg) || []).length === 24, JSON.stringify(done.slice(0, 300)));
    const opened = async name => {
      const b = stepPage.locator('button.stepx', { hasText: name }), i = await b.getAttribute('data-stepx');
      await b.click();
      await stepPage.waitForFunction(i => { const e = document.querySelector('#steplog-' + i + ' pre + p'); return e && /bytes/.test(e.textContent); }, i, { timeout: 10000 });
      return stepText(stepPage, i);
    };
    await waitOk('the whole log is there', stepPage.waitForSelector('#log-state[data-done="1"]', { timeout: 15000 }));
    // a step that printed nothing (the get, here) has no range and no log of its own
    const gt = await stepPage.locator('button.stepx', { hasText: 'app' }).count() ? await opened('app') : '';
    const pt = await opened('prepare'), whole = await stepPage.textContent('#log');
    check('the prepare step\'s section is its two lines', pt === 'preparing the build\nprepared\n', JSON.stringify(pt));
    check('the get, prepare and compile sections make the whole log, in order', gt + pt + done === whole,
          JSON.stringify([gt, pt, whole.slice(0, 200)]));
    await stepPage.keyboard.press('Tab');
    await compile.focus();
    await stepPage.keyboard.press('Enter');
    check('Enter closes it again', await stepPage.locator('#steplog-' + ci).count() === 0);
    await stepPage.close();

  });
  await section('section 4', async () => {
    // 4. approve the gated build #1 of ship, with a message
    await page.goto(base + '/#/p/ui/j/ship/b/1');
    await page.waitForSelector('button[data-action="approve"]', { timeout: 10000 });
    check('a waiting build offers approve and reject', await page.locator('button[data-action="reject"]').count() === 1);
    await page.click('button[data-action="approve"]');
    await page.fill('#vote-msg', 'looks good from the browser');
    await shot(page, 'approve');
    await page.click('#vote-form [type=submit]');
    await waitOk('the approved build leaves waiting_for_approval', page.waitForSelector('h1 [data-status="succeeded"]', { timeout: 20000 }));

  });
  await section('section 5', async () => {
    // 5. trigger a job with inputs through its form
    await page.goto(base + '/#/p/ui/j/release');
    await page.click('button[data-action="trigger"]');
    await page.waitForSelector('#trigger-form', { timeout: 5000 });
    check('the form has a select with the options', await page.locator('#trigger-form select[name="target"] option').count() === 2);
    check('the number input has its default', await page.inputValue('#trigger-form input[name="count"]') === '1');
    check('the bool input is a checkbox, checked by default', await page.isChecked('#trigger-form input[name="dry"]'));
    await page.selectOption('#trigger-form select[name="target"]', 'prod');
    await page.fill('#trigger-form input[name="count"]', '3');
    await page.uncheck('#trigger-form input[name="dry"]');
    check('a multiple input is a multi-select with its default chosen',
          await page.evaluate(() => { const r = document.querySelector('#trigger-form select[name="regions"]');
                                      return r.multiple && [...r.selectedOptions].map(o => o.value).join() === 'eu'; }));
    await page.selectOption('#trigger-form select[name="regions"]', ['eu', 'ap']);
    await page.fill('#trigger-form input[name="notes"]', 'from the browser');
    await shot(page, 'trigger-form');
    await page.click('#trigger-form [type=submit]');
    await waitOk('the trigger opens the new build', page.waitForURL(/#\/p\/ui\/j\/release\/b\/1$/, { timeout: 10000 }));
    await waitOk('the build ran with the inputs of the form', page.waitForFunction(
      () => /release target=prod count=3 dry=false regions=eu,ap notes=from the browser/.test(document.getElementById('log').textContent), null, { timeout: 20000 }));

  });
  await section('section 5b', async () => {
    // 5b. trigger a job with one version, from the resource page
    await page.goto(base + '/#/p/ui/r/git.app');
    await page.waitForSelector('tr[data-version="1"] button[data-action="trigger-with"][data-job="build"]', { timeout: 10000 });
    await page.click('tr[data-version="1"] button[data-action="trigger-with"][data-job="build"]');
    await page.click('#trigger-form [type=submit]');
    await waitOk('trigger with a version opens build #3', page.waitForURL(/#\/p\/ui\/j\/build\/b\/3$/, { timeout: 10000 }));
    await waitOk('build #3 built the first commit', page.waitForFunction(
      () => /building v1/.test(document.getElementById('log').textContent), null, { timeout: 20000 }));
  });

  await section('section 5c', async () => {
    // 5c. cancel a running build, retry it, reject a gated build, mark a failure as warning
    await page.goto(base + '/#/p/ui/j/build/b/3');
    await page.waitForSelector('button[data-action="cancel"]', { timeout: 10000 });
    await page.click('button[data-action="cancel"]');
    await waitOk('cancel: build #3 ends cancelled', page.waitForSelector('h1 [data-status="cancelled"]', { timeout: 20000 }));
    await page.waitForSelector('button[data-action="retry"]', { timeout: 10000 });
    await page.click('button[data-action="retry"]');
    await waitOk('retry opens the retried build', page.waitForURL(/#\/p\/ui\/j\/build\/b\/3\.1$/, { timeout: 10000 }));
    await waitOk('the retried build shows its header', page.waitForSelector('h1 [data-status]', { timeout: 10000 }));
    // ship #2 (the push of v2 went through test) waits: reject it, with a reason
    await page.goto(base + '/#/p/ui/j/ship/b/2');
    await waitOk('ship #2 offers reject', page.waitForSelector('button[data-action="reject"]', { timeout: 30000 }));
    await page.click('button[data-action="reject"]');
    await page.click('#vote-form [type=submit]');
    check('a reject needs a reason (the form says so)', await page.evaluate(() => !document.getElementById('vote-msg').checkValidity()));
    await page.fill('#vote-msg', 'not today');
    await page.click('#vote-form [type=submit]');
    await waitOk('the rejected build leaves waiting_for_approval', page.waitForFunction(() => {
      const s = document.querySelector('h1 [data-status]');
      return s && s.dataset.status !== 'waiting_for_approval';
    }, null, { timeout: 15000 }));
    await shot(page, 'rejected');
    // flaky fails: a maintainer marks it as a warning
    execFileSync(pk, ['trigger', 'ui/flaky']);
    await page.goto(base + '/#/p/ui/j/flaky/b/1');
    await waitOk('a failed build offers "mark as warning"', page.waitForSelector('button[data-action="warning"]', { timeout: 20000 }));
    await page.click('button[data-action="warning"]');
    await waitOk('marked: the build is a warning', page.waitForSelector('h1 [data-status="warning"]', { timeout: 10000 }));
    // many builds: the job page shows 20, "older builds" the rest
    for (let i = 0; i < 21; i++) execFileSync(pk, ['trigger', 'ui/flaky']);
    await page.goto(base + '/#/p/ui/j/flaky');
    await waitOk('the job page shows its newest 20 builds', page.waitForFunction(
      () => document.querySelectorAll('#rows tr[data-build]').length === 20, null, { timeout: 20000 }));
    check('newest first', await page.getAttribute('#rows tr[data-build]:first-child', 'data-build') === '22');
    await page.click('button[data-action="older"]');
    await waitOk('"older builds" adds the other 2', page.waitForFunction(
      () => document.querySelectorAll('#rows tr[data-build]').length === 22, null, { timeout: 10000 }));
    check('the oldest comes last', await page.getAttribute('#rows tr[data-build]:last-child', 'data-build') === '1');
  });

  await section('section 6', async () => {
    // 6. pin a version of the resource
    await page.goto(base + '/#/p/ui/r/git.app');
    await page.waitForSelector('tr[data-version="1"] button[data-action="pin"]', { timeout: 10000 });
    check('the resource page lists both versions', await page.locator('tr[data-version]').count() === 2);
    await page.click('tr[data-version="1"] button[data-action="pin"]');
    await waitOk('version 1 shows as pinned', page.waitForSelector('tr[data-version="1"].pinned', { timeout: 10000 }));
    await shot(page, 'resource');
    await page.goto(base + '/#/p/ui');
    await waitOk('the graph marks the pinned resource', page.waitForSelector(node('res:git.app', '[data-marks~="pinned"]'), { timeout: 10000 }));
    // a maintainer exposes the pipeline: readable without login (section 14)
    await page.click('#pacts button[data-action="expose"]');
    await waitOk('expose says so', page.waitForFunction(() => /readable without login/.test(document.getElementById('flash').textContent),
                                                        null, { timeout: 10000 }));

  });
  await section('section 7', async () => {
    // 7. CSRF: a POST carrying the cookie but not the token, or from another origin, is refused
    const bare = await page.evaluate(() => fetch('/api/v1/pipelines/ui/resources/git.app/check', { method: 'POST' }).then(r => r.status));
    check('a POST without the CSRF token gets 403', bare === 403, bare);
    const cookie = 'pikoci_session=' + (sc && sc.value);
    const csrf = await page.evaluate(() => fetch('/api/v1/session').then(r => r.json()).then(s => s.csrf));
    const cross = await fetch(base + '/api/v1/pipelines/ui/resources/git.app/check', { method: 'POST',
      headers: { Cookie: cookie, Origin: 'http://evil.example', 'X-CSRF-Token': csrf } });
    check('a cross-site POST (Origin elsewhere) gets 403', cross.status === 403, cross.status);
    const noTok = await fetch(base + '/api/v1/pipelines/ui/resources/git.app/check', { method: 'POST', headers: { Cookie: cookie } });
    check('a cross-site POST without the token gets 403', noTok.status === 403, noTok.status);
    const good = await page.evaluate(c => fetch('/api/v1/pipelines/ui/resources/git.app/check',
      { method: 'POST', headers: { 'X-CSRF-Token': c } }).then(r => r.status), csrf);
    check('the same POST with the token passes', good === 200, good);

  });
  await section('section 8', async () => {
    // 8. the profile page: a token shown once, usable as Bearer, revoked
    await page.goto(base + '/#/profile');
    await page.waitForSelector('#token-form', { timeout: 10000 });
    await page.fill('#tname', 'browser-made');
    await page.click('#token-form [type=submit]');
    await page.waitForSelector('#token-value', { timeout: 10000 });
    const token = await page.textContent('#token-value');
    check('a new token is shown once', /^pkt_/.test(token), token);
    const bearer = await fetch(base + '/api/v1/pipelines', { headers: { Authorization: 'Bearer ' + token } });
    check('the token works as Bearer', bearer.status === 200, bearer.status);
    await shot(page, 'profile');
    const row = page.locator('tr[data-token]', { hasText: 'browser-made' });
    await row.locator('button[data-revoke]').click();
    await waitOk('the revoked token leaves the list', row.waitFor({ state: 'detached', timeout: 10000 }));
    const after = await fetch(base + '/api/v1/pipelines', { headers: { Authorization: 'Bearer ' + token } });
    check('the revoked token gets 401', after.status === 401, after.status);

  });
  await section('section 9', async () => {
    // 9. the audit log (alice is a global admin)
    await page.goto(base + '/#/audit');
    await waitOk('the audit log lists the approval', page.waitForSelector('table.audit td:text-is("approve")', { timeout: 10000 }));

  });
  await section('section 10', async () => {
    // 10. a hidden tab stops listening; shown again, it listens and resyncs
    await page.goto(base + '/#/p/ui');
    await page.waitForSelector('#live.on', { timeout: 10000 });
    await page.evaluate(() => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    check('a hidden tab closes its event stream', await page.evaluate(() => !document.getElementById('live').classList.contains('on')));
    await page.evaluate(() => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => false });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await waitOk('shown again, it listens again', page.waitForSelector('#live.on', { timeout: 10000 }));

  });
  await section('section 11', async () => {
    // 11. dark mode, the toggle, a phone
    await page.emulateMedia({ colorScheme: 'dark' });
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    check('prefers-color-scheme: dark gives a dark page', bg === 'rgb(13, 17, 23)', bg);
    await shot(page, 'graph-dark');
    await page.click('#theme');                       // auto -> dark
    await page.click('#theme');                       // dark -> light
    const bg2 = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    check('the toggle forces light over a dark system', bg2 === 'rgb(246, 248, 250)', bg2);
    await page.click('#theme');                       // back to auto
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 340, height: 760 });   // a small phone: the tables must scroll in their boxes
    for (const [hash, ready, name] of [['#/', 'section[data-pipeline="ui"] tr[data-job]', 'phone-home'], ['#/p/ui', node('job:build'), 'phone-graph'],
                                       ['#/p/ui/j/flaky', 'tr[data-build]', 'phone-job'], ['#/p/ui/j/build/b/2', 'h1 [data-status]', 'phone']]) {
      await page.goto(base + '/' + hash);
      await page.waitForSelector(ready, { timeout: 10000 });
      await page.waitForTimeout(500);               // fonts and the last live refresh settle
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      check('a phone needs no sideways scrolling of the page ' + hash + ' (tables and the graph scroll in their boxes)', wide <= 340, wide);
      await shot(page, name);
    }
    await page.setViewportSize({ width: 1200, height: 850 });
    // keyboard: Tab reaches real buttons and links, with a visible focus
    await page.goto(base + '/#/p/ui/j/release');
    await page.waitForSelector('button[data-action="trigger"]');
    let reached = false;
    for (let i = 0; i < 20 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement && document.activeElement.dataset.action === 'trigger');
    }
    check('the keyboard reaches the trigger button', reached);
    await page.keyboard.press('Enter');
    await waitOk('Enter opens the trigger form', page.waitForSelector('#trigger-form', { timeout: 5000 }));
    const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    check('the focused field shows a focus ring', ring !== 'none', ring);
    // the graph's nodes are links: Tab reaches them, Enter opens one
    await page.goto(base + '/#/p/ui');
    await page.waitForSelector(node('job:test'));
    let onNode = null;
    for (let i = 0; i < 30 && onNode !== 'job:test'; i++) {
      await page.keyboard.press('Tab');
      onNode = await page.evaluate(() => document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.node : null);
    }
    check('Tab reaches the graph node job:test', onNode === 'job:test', onNode);
    await page.keyboard.press('Enter');
    await waitOk('Enter on a node opens its job', page.waitForURL(/#\/p\/ui\/j\/test$/, { timeout: 5000 }));

  });
  await section('section 12', async () => {
    // 12. log out
    await page.click('#logout');
    await waitOk('log out leads to the login page', page.waitForSelector('#login-form', { timeout: 10000 }));
    const s = await page.evaluate(() => fetch('/api/v1/session').then(r => r.json()));
    check('the session is gone', s.user === null, JSON.stringify(s));
    await admin.close();
  });
  await section('section 13', async () => {
    // 13. a read user: no action buttons anywhere; a forged POST gets 403
    const rctx = await browser.newContext({ viewport: { width: 1200, height: 850 } });
    const rp = await login(rctx, 'reader', 'reader-pw-1');
    for (const [hash, ready] of [['#/', 'section[data-pipeline="ui"] tr[data-job]'], ['#/p/ui', node('job:build')],
                                 ['#/p/ui/list', 'table.resources tr[data-resource]'], ['#/p/ui/j/release', 'tr[data-build]'],
                                 ['#/p/ui/j/build/b/2', 'h1 [data-status]'], ['#/p/ui/r/git.app', 'tr[data-version]']]) {
      await rp.goto(base + '/' + hash);
      const shown = await rp.waitForSelector(ready, { timeout: 10000 }).then(() => true, () => false);
      await rp.waitForTimeout(200);
      const n = await rp.locator('main [data-action]').count();
      check('reader sees no action button on ' + hash, shown && n === 0, shown ? n : 'page not shown');
    }
    await rp.goto(base + '/#/');
    const both = await rp.waitForSelector('section[data-team="blue"] section[data-pipeline="bluep"]', { timeout: 10000 })
      .then(() => rp.isVisible('section[data-team="main"] section[data-pipeline="ui"]'), () => false);
    check('reader, of teams main and blue, sees both teams\' pipelines on the home page', both);
    await shot(rp, 'reader');
    check('reader has no audit link', await rp.isHidden('#nav-audit'));
    const forged = await rp.evaluate(() => fetch('/api/v1/session').then(r => r.json()).then(s =>
      fetch('/api/v1/pipelines/ui/jobs/release/trigger', { method: 'POST', headers: { 'X-CSRF-Token': s.csrf, 'Content-Type': 'application/json' },
        body: '{}' }).then(r => r.status)));
    check('a forged trigger from the read user gets 403', forged === 403, forged);
    await rctx.close();
  });
  await section('section 14', async () => {
    // 14. an exposed pipeline: an anonymous visitor reads it, with no button and no login
    const actx = await browser.newContext({ viewport: { width: 1200, height: 850 } });
    const ap = await actx.newPage();
    watch(ap);
    await ap.goto(base + '/#/');
    await waitOk('an anonymous visitor sees the exposed pipeline', ap.waitForSelector('section[data-pipeline="ui"] tr[data-job="build"]', { timeout: 15000 }));
    check('and is offered to log in', await ap.isVisible('#login-link'));
    await ap.goto(base + '/#/p/ui');
    await waitOk('the exposed graph renders for anonymous', ap.waitForSelector(node('job:build'), { timeout: 10000 }));
    await shot(ap, 'anonymous');
    await ap.goto(base + '/#/p/ui/j/build/b/2');
    await waitOk('an exposed build log reads for anonymous', ap.waitForFunction(
      () => /step 24 of the build/.test(document.getElementById('log').textContent), null, { timeout: 10000 }));
    check('anonymous sees no action button', await ap.locator('main [data-action]').count() === 0);
    execFileSync(pk, ['pipelines', 'hide', 'ui']);
    await ap.goto(base + '/#/p/ui');
    await ap.reload();
    await waitOk('hidden again: the anonymous visitor gets the login page', ap.waitForSelector('#login-form', { timeout: 15000 }));
    await actx.close();
  });
  check('no script error on any page', errors.length === 0, errors.join(' | '));
} catch (e) {
  check('the UI test ran to the end', false, e.stack);
} finally {
  await browser.close();
}
console.log(fails + ' failed');
process.exit(fails ? 1 : 0);
