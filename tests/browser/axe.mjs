// Accessibility by measurement: axe-core (from tests/browser/node_modules)
// runs on a page as the visitor sees it, in both themes. Every violation is
// kept; e2e.mjs fails the run at its end if there is any, listing them all.
//
// Both themes: the page is checked as served, then with <html data-theme>
// set to the other theme. The stylesheet themes by that attribute alone
// (the switcher forms only differ in which button is aria-pressed), so this
// measures the other theme's colours without leaving an error state, which
// a switch through POST /prefs would.

import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Every violation found so far: `{ where, rule, impact, help, nodes }`. */
export const violations = [];

/** Pages audited so far, for the closing line. */
let audited = 0;

/** axe-core's results for the page as it is now (`rules`: axe's per-rule options). */
async function run(page, rules = {}) {
  // NOTE: evaluated through the DevTools protocol, which the page's
  // Content-Security-Policy (no inline script) does not govern.
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE_SOURCE);
  return page.evaluate((r) => window.axe.run(document, { resultTypes: ['violations'], rules: r }), rules);
}

/** Keeps `results`' violations, found at `where`. */
function keep(results, where) {
  audited += 1;
  for (const v of results.violations) {
    violations.push({
      where,
      rule: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${(n.failureSummary ?? '').split('\n').slice(1).join(' ').trim()}`),
    });
  }
}

/**
 * Audits an email's HTML part as rendered on its own. It has one look (no
 * themes), and the rules about a whole page's structure (one main
 * landmark, a level-one heading, everything inside landmarks) are left out:
 * a mail client shows the email inside its own page, which has those.
 */
export async function auditEmail(page, where) {
  const off = { enabled: false };
  keep(await run(page, { 'landmark-one-main': off, 'page-has-heading-one': off, region: off }), where);
}

/** Audits `page` in its own theme and in the other one; `where` names it in reports. */
export async function audit(page, where) {
  const served = await page.getAttribute('html', 'data-theme');
  const dark = served === 'dark' || (served === 'auto' && (await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches)));
  const themes = dark ? ['dark', 'light'] : ['light', 'dark'];
  try {
    for (const theme of themes) {
      await page.evaluate((t) => { document.documentElement.dataset.theme = t; }, theme);
      keep(await run(page), `${where} (${theme})`);
    }
  } finally {
    await page.evaluate((t) => { document.documentElement.dataset.theme = t; }, served);
  }
}

/** One line per violation (and its elements), or null when there is none. */
export function report() {
  if (violations.length === 0) return null;
  return violations
    .map((v) => `${v.where}: ${v.rule} [${v.impact}] ${v.help}\n${v.nodes.map((n) => `      ${n}`).join('\n')}`)
    .join('\n');
}

/** How many page states were audited. */
export function auditedCount() {
  return audited;
}
