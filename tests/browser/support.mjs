// Shared by the browser test's scripts (e2e.mjs, keyboard.mjs, axe.mjs):
// where the server, outbox and screenshots are, the catalogs, the emails in
// the outbox, screenshot pixels, and the Visitor that drives one page.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { audit, auditedCount, report as axeReport } from './axe.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const [argBase, argOutbox, argShots] = process.argv.slice(2);
export const BASE = (argBase ?? process.env.SLOTWISE_BASE_URL ?? '').replace(/\/$/, '');
export const OUTBOX = argOutbox ?? process.env.SLOTWISE_OUTBOX;
export const SHOTS = argShots ?? process.env.SLOTWISE_SCREENSHOTS ?? path.join(here, '..', '..', 'target', 'browser-screenshots');
export const CHROMIUM = process.env.SLOTWISE_CHROMIUM ?? '/usr/bin/chromium';

// Chromium's flags: no sandbox (root in a container), no GPU, and nothing
// that reaches the network on its own (this machine has no internet).
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
];

/** The app's reference format (`XXXX-XXXX`, no 0/O/1/I/L/U). */
export const REFERENCE = /^[A-HJKMNP-TV-Z2-9]{4}-[A-HJKMNP-TV-Z2-9]{4}$/;
/** Luminance limits (0 = black, 1 = white) of a themed screenshot. */
const DARK_MAX = 0.3;
const LIGHT_MIN = 0.7;

export class Failure extends Error {}

export function check(condition, message) {
  if (!condition) throw new Failure(message);
}

export function log(message) {
  console.log(`e2e: ${message}`);
}

// ------------------------------------------------------------ catalogs

/** One-line messages of a Fluent catalog: id → text (variables kept as `{ $x }`). */
function catalog(lang) {
  const text = fs.readFileSync(path.join(here, '..', '..', 'locales', lang, 'main.ftl'), 'utf8');
  const messages = new Map();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z][A-Za-z0-9_-]*) = (.*)$/.exec(line);
    if (m) messages.set(m[1], m[2]);
  }
  return messages;
}

const CATALOGS = { en: catalog('en'), de: catalog('de') };

/** The message `id` in `lang` with `{ $name }` replaced from `args`. */
export function msg(lang, id, args = {}) {
  const text = CATALOGS[lang].get(id);
  check(text !== undefined, `locales/${lang}/main.ftl has no one-line message ${id}`);
  return text.replace(/\{ \$([a-z-]+) \}/g, (_, name) => String(args[name]));
}

/** English catalog texts a German page must not show (the other way round for English). */
function foreignTexts(lang) {
  const other = lang === 'de' ? 'en' : 'de';
  const texts = [];
  for (const [id, text] of CATALOGS[other]) {
    const own = CATALOGS[lang].get(id);
    if (text.includes('{') || text.length < 8 || own === text || id.startsWith('language-')) continue;
    texts.push(text);
  }
  return texts;
}

// ---------------------------------------------------------------- mail

/** Decodes a quoted-printable body. */
function decodeQuotedPrintable(body) {
  const bytes = [];
  const raw = Buffer.from(body.replace(/=\r?\n/g, ''), 'latin1');
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0x3d && /^[0-9A-Fa-f]{2}$/.test(raw.toString('latin1', i + 1, i + 3))) {
      bytes.push(parseInt(raw.toString('latin1', i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(raw[i]);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The decoded parts of type `wanted` (`text/plain`, `text/html`) of a MIME message. */
export function parts(raw, wanted) {
  const split = raw.search(/\r?\n\r?\n/);
  const head = raw.slice(0, split).replace(/\r?\n[ \t]+/g, ' ');
  const body = raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const header = (name) => {
    const m = new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head);
    return m ? m[1].trim() : '';
  };
  const type = header('Content-Type').toLowerCase() || 'text/plain';
  if (type.startsWith('multipart/')) {
    const boundary = /boundary="?([^";]+)"?/i.exec(header('Content-Type'))[1];
    const inner = body.split(`--${boundary}--`)[0].split(`--${boundary}`).slice(1);
    return inner.flatMap((part) => parts(part.replace(/^\r?\n/, ''), wanted));
  }
  if (!type.startsWith(wanted)) return [];
  const encoding = header('Content-Transfer-Encoding').toLowerCase();
  if (encoding === 'base64') return [Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')];
  if (encoding === 'quoted-printable') return [decodeQuotedPrintable(body)];
  // 7bit/8bit: the file was read as latin1, one char per byte.
  return [Buffer.from(body, 'latin1').toString('utf8')];
}

export function emails() {
  return fs
    .readdirSync(OUTBOX)
    .filter((f) => f.endsWith('.eml'))
    .map((f) => path.join(OUTBOX, f));
}

/** Waits for an .eml that was not in `before`: its file, raw text, decoded plain text and HTML. */
export async function newEmail(before) {
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    const fresh = emails()
      .filter((f) => !before.has(f))
      .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
    if (fresh.length > 0) {
      // The app's sender may still be writing the file: let it finish.
      await new Promise((r) => setTimeout(r, 200));
      const raw = fs.readFileSync(fresh[0], 'latin1');
      return { file: fresh[0], raw, text: parts(raw, 'text/plain').join('\n'), html: parts(raw, 'text/html').join('\n') };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Failure(`no new email appeared in ${OUTBOX}`);
}

/** The one standalone run of 6 digits in an email's text. */
export function codeIn(email) {
  const codes = email.text.match(/(?<![0-9])[0-9]{6}(?![0-9])/g) ?? [];
  check(codes.length === 1, `expected one 6-digit code in ${email.file}, found ${JSON.stringify(codes)}:\n${email.text}`);
  return codes[0];
}

// -------------------------------------------------------------- pixels

/** Average luminance (0..1) of a PNG, decoded by the browser itself. */
async function luminance(context, png) {
  const page = await context.newPage();
  try {
    await page.goto('about:blank');
    return await page.evaluate(async (url) => {
      const img = new Image();
      img.src = url;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      const g = canvas.getContext('2d');
      g.drawImage(img, 0, 0);
      const { data } = g.getImageData(0, 0, canvas.width, canvas.height);
      let sum = 0;
      for (let i = 0; i < data.length; i += 4) sum += 0.2126 * data[i] + 0.7152 * data[i + 1] + 0.0722 * data[i + 2];
      return sum / (data.length / 4) / 255;
    }, `data:image/png;base64,${png.toString('base64')}`);
  } finally {
    await page.close();
  }
}

// ---------------------------------------------------------------- pages

/** One visitor in one browser profile. */
export class Visitor {
  constructor(name, context, page, lang, width) {
    Object.assign(this, { name, context, page, lang, width, shot: 0 });
  }

  /** Saves the viewport (and the full page) as `<visitor>-NN-<label>.png`; returns the viewport PNG. */
  async screenshot(label) {
    this.shot += 1;
    const base = `${this.name}-${String(this.shot).padStart(2, '0')}-${label}`;
    const viewport = await this.page.screenshot({ path: path.join(SHOTS, `${base}.png`) });
    await this.page.screenshot({ path: path.join(SHOTS, `${base}-full.png`), fullPage: true });
    log(`saved ${base}.png`);
    return viewport;
  }

  /** Asserts the theme attribute and that the screenshot's pixels match it. */
  async expectTheme(theme, png, what) {
    const attr = await this.page.getAttribute('html', 'data-theme');
    check(attr === theme, `${what}: <html data-theme> is ${attr}, expected ${theme}`);
    const lum = await luminance(this.context, png);
    log(`${what}: average luminance ${lum.toFixed(3)} (${theme})`);
    const looksDark = theme === 'dark' || (theme === 'auto' && this.scheme === 'dark');
    if (looksDark) check(lum < DARK_MAX, `${what}: dark theme but the screenshot is light (luminance ${lum.toFixed(3)})`);
    else check(lum > LIGHT_MIN, `${what}: light theme but the screenshot is dark (luminance ${lum.toFixed(3)})`);
  }

  /** Checks what every page must have: language, no overflow, no foreign texts. */
  async expectPage(what, { h1, status } = {}) {
    const page = this.page;
    const lang = await page.getAttribute('html', 'lang');
    check(lang === this.lang, `${what}: <html lang> is ${lang}, expected ${this.lang}`);
    if (h1 !== undefined) {
      const got = (await page.textContent('h1'))?.trim();
      check(got === h1, `${what}: heading is ${JSON.stringify(got)}, expected ${JSON.stringify(h1)}`);
    }
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `${what}: the page is ${overflow}px wider than the ${this.width}px viewport`);
    const text = await page.innerText('body');
    for (const foreign of foreignTexts(this.lang)) {
      check(!text.includes(foreign), `${what}: page in ${this.lang} shows ${JSON.stringify(foreign)}`);
    }
    if (status !== undefined) this.expectStatus(what, status);
  }

  /** Navigates by submitting `form`'s button and waits for the next page. */
  async submit(selector) {
    const [response] = await Promise.all([this.page.waitForNavigation(), this.page.click(selector)]);
    this.lastStatus = response?.status();
    return response;
  }

  async goto(url) {
    const response = await this.page.goto(`${BASE}${url}`);
    this.lastStatus = response?.status();
    return response;
  }

  expectStatus(what, status) {
    check(this.lastStatus === status, `${what}: status ${this.lastStatus}, expected ${status}`);
  }

  expectPath(what, wanted) {
    const got = new URL(this.page.url()).pathname;
    check(got === wanted, `${what}: at ${got}, expected ${wanted}`);
  }

  /** The step indicator says "Step n of 5" in the page's language. */
  async expectStep(number, what) {
    const text = await this.page.innerText('nav[aria-label] p');
    const wanted = msg(this.lang, 'step-of', { number, count: 5 });
    check(text.trim() === wanted, `${what}: step indicator reads ${JSON.stringify(text)}, expected ${JSON.stringify(wanted)}`);
    const current = await this.page.innerText('ol.steps li[aria-current="step"]');
    check(current.startsWith(`${number}.`), `${what}: current step is ${JSON.stringify(current)}`);
  }

  /**
   * The error summary lists exactly `entries` — [href, label id, message id] — in
   * this order, each a link reading "<label>: <message>" in the page's language.
   */
  async expectSummary(what, entries) {
    const links = await this.page.$$eval('#error-summary li a', (as) => as.map((a) => [a.getAttribute('href'), a.textContent.trim()]));
    const wanted = entries.map(([href, label, message]) => [href, `${msg(this.lang, label)}: ${msg(this.lang, message)}`]);
    check(JSON.stringify(links) === JSON.stringify(wanted), `${what}: error summary is ${JSON.stringify(links)}, expected ${JSON.stringify(wanted)}`);
    for (const [href] of entries) {
      check((await this.page.$(href)) !== null, `${what}: the summary links to ${href}, which is not on the page`);
    }
  }

  /** Runs axe-core on the page as it is (see axe.mjs); violations fail the run at its end. */
  async audit(label) {
    await audit(this.page, `${this.name} ${label}`);
  }

  async switchTo(name, value) {
    await this.submit(`form.switcher button[name="${name}"][value="${value}"]`);
    this.expectStatus(`switching ${name} to ${value}`, 200);
  }
}

export async function launch(name, viewport, options) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), `slotwise-chromium-${name}-`));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport,
    ...options,
  });
  context.setDefaultTimeout(15000);
  context.setDefaultNavigationTimeout(20000);
  return { context, profile };
}


/**
 * Runs the browser script `script`: checks its arguments and Chromium, runs
 * `body`, then fails on any axe-core violation found meanwhile. A failure is
 * one line on stderr and exit code 1; success ends with "all checks passed".
 */
export function runScript(script, body) {
  const run = async () => {
    check(/^http:\/\/127\.0\.0\.1:\d+$/.test(BASE), `usage: node ${script} <http://127.0.0.1:PORT> <outbox-dir> <screenshot-dir> (got ${BASE})`);
    check(OUTBOX && fs.existsSync(OUTBOX), `the outbox folder ${OUTBOX} does not exist`);
    check(fs.existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (apt-get install chromium)`);
    fs.mkdirSync(SHOTS, { recursive: true });
    await body();
    const found = axeReport();
    check(found === null, `axe-core found violations:\n${found}`);
    log(`axe-core: no violation on ${auditedCount()} page states`);
    log(`all checks passed; screenshots in ${SHOTS}`);
  };
  run().catch((error) => {
    console.error(`${script}: FAILED: ${error instanceof Failure ? error.message : error.stack ?? error}`);
    process.exit(1);
  });
}
