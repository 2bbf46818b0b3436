// The page in Debian's headless Chromium, driven by playwright-core:
// the pipeline page renders and follows builds by itself, a running
// build's log appears line by line while the task prints, and a 100 MB log
// opens at its tail at once. Screenshots go to OUT_DIR.
// Usage: node page.mjs BASE_URL PIKOCI_BIN OUT_DIR HUGE_BUILD_NUMBER USER PASSWORD
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [base, pk, out, hugeNo, user, password] = process.argv.slice(2);
let fails = 0;
const check = (name, ok, detail) => {
  console.log((ok ? 'ok - ' : 'FAIL - ') + name + (ok || detail === undefined ? '' : '  ' + detail));
  if (!ok) fails++;
};
const profile = mkdtempSync(join(tmpdir(), 'pikoci-chromium-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  viewport: { width: 1200, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = browser.pages()[0] || await browser.newPage();
  const errors = [];
  page.on('pageerror', e => errors.push(String(e)));
  // (the login page's probes as an anonymous visitor are 401s, by design)
  page.on('console', m => { if (m.type() === 'error' && !/status of 401/.test(m.text())) errors.push(m.text()); });

  // 0. log in (the login page comes first)
  await page.goto(base + '/#/');
  await page.waitForSelector('#login-form', { timeout: 15000 });
  await page.fill('#user', user);
  await page.fill('#password', password);
  await page.click('#login-form [type=submit]');

  // 1. pipelines: the pipeline, its jobs, their latest builds
  await page.waitForSelector('section[data-pipeline="ci"] tr[data-job="ticker"]', { timeout: 15000 });
  check('the pipelines page lists ci and its jobs',
        await page.locator('section[data-pipeline="ci"] tr[data-job]').count() >= 5);
  await page.waitForSelector('#live.on', { timeout: 10000 });
  check('the live dot says the event stream is open', true);

  // 2. a trigger from the CLI shows up without a reload (events)
  const trig = execFileSync(pk, ['trigger', 'ci/ticker']).toString();
  const n = (trig.match(/#(\d+)/) || [])[1];
  check('trigger printed a build number', !!n, trig);
  await page.waitForSelector('tr[data-job="ticker"] [data-status="started"]', { timeout: 20000 })
    .then(() => check('the pipelines page shows ticker started by itself', true))
    .catch(e => check('the pipelines page shows ticker started by itself', false, e.message));
  await page.screenshot({ path: join(out, 'http-page-pipelines.png'), fullPage: true });

  // 3. the running build's log, line by line
  await page.goto(base + '/#/p/ci/j/ticker/b/' + n);
  await page.waitForSelector('#log', { timeout: 10000 });
  const seen = [];
  const t0 = Date.now();
  while (Date.now() - t0 < 20000) {
    const c = await page.evaluate(() => (document.getElementById('log').textContent.match(/^tick \d+ ü$/mg) || []).length);
    if (!seen.length || seen[seen.length - 1] !== c) seen.push(c);
    if (c >= 40) break;
    await page.waitForTimeout(100);
  }
  const growing = seen.every((c, i) => i === 0 || c > seen[i - 1]);
  check('the log grew line by line while the task printed', growing && seen.filter(c => c > 0 && c < 40).length >= 5,
        JSON.stringify(seen));
  await page.screenshot({ path: join(out, 'http-page-build.png'), fullPage: true });
  await page.waitForSelector('#log-state[data-done="1"]', { timeout: 30000 });
  const text = await page.textContent('#log');
  check('the finished log has all 40 lines, UTF-8 intact', (text.match(/^tick \d+ ü$/mg) || []).length === 40);
  await page.waitForSelector('h1 [data-status="succeeded"]', { timeout: 10000 })
    .then(() => check('the build header turns succeeded by itself', true))
    .catch(e => check('the build header turns succeeded by itself', false, e.message));

  // 4. a 100 MB log: its tail at once, the rest on demand
  const h0 = Date.now();
  await page.goto(base + '/#/p/ci/j/huge/b/' + hugeNo);
  await page.waitForFunction(() => /THE-END/.test(document.getElementById('log') && document.getElementById('log').textContent),
                             null, { timeout: 20000 });
  const took = Date.now() - h0;
  console.log('# 100 MB log: its tail shown in ' + took + ' ms');
  check('the tail of the 100 MB log shows within 10 s', took < 10000, took);
  const len = await page.evaluate(() => document.getElementById('log').textContent.length);
  check('only the tail was loaded', len > 1000 && len < 1024 * 1024, len);
  check('"load earlier" is offered', await page.isVisible('#earlier'));
  const r0 = Date.now();
  await page.evaluate(() => 1 + 1);
  check('the page stays responsive', Date.now() - r0 < 2000);
  await page.click('#earlier');
  await page.waitForFunction(l => document.getElementById('log').textContent.length > l, len, { timeout: 10000 })
    .then(() => check('"load earlier" prepends earlier lines', true))
    .catch(e => check('"load earlier" prepends earlier lines', false, e.message));
  const first = await page.evaluate(() => document.getElementById('log').textContent.split('\n')[0]);
  check('earlier text starts at a whole line', first.startsWith('a line of the huge log'), first);
  await page.screenshot({ path: join(out, 'http-page-huge.png') });
  // its one step's own log opens at its tail too, with "load earlier"
  await page.click('button.stepx');
  await page.waitForFunction(() => /THE-END\n$/.test((document.querySelector('.steplog pre') || {}).textContent || ''), null, { timeout: 20000 })
    .then(() => check('the huge step\'s own log shows its tail', true))
    .catch(e => check('the huge step\'s own log shows its tail', false, e.message));
  const slen = await page.evaluate(() => document.querySelector('.steplog pre').textContent.length);
  check('only the step\'s tail was loaded', slen > 1000 && slen <= 256 * 1024, slen);
  check('the step offers "load earlier"', await page.isVisible('.steplog [data-earlier]'));
  await page.click('.steplog [data-earlier]');
  await page.waitForFunction(l => document.querySelector('.steplog pre').textContent.length > l, slen, { timeout: 10000 })
    .then(() => check('the step\'s "load earlier" prepends whole earlier lines', true))
    .catch(e => check('the step\'s "load earlier" prepends whole earlier lines', false, e.message));
  const sfirst = await page.evaluate(() => document.querySelector('.steplog pre').textContent.split('\n')[0]);
  check('the step\'s earlier text starts at a whole line', sfirst.startsWith('a line of the huge log'), sfirst);

  // 5. workers and a resource page render
  await page.goto(base + '/#/workers');
  await page.waitForSelector('table.workers tr[data-worker]', { timeout: 10000 });
  check('the workers page lists the embedded worker', true);
  await page.goto(base + '/#/p/ci/list');
  await page.waitForSelector('table.resources tr[data-resource="git.app"]', { timeout: 10000 });
  check('the pipeline page lists its resources', true);
  check('no script error on any page', errors.length === 0, errors.join(' | '));
} catch (e) {
  check('the page test ran to the end', false, e.stack);
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(fails + ' failed');
process.exit(fails ? 1 : 0);
