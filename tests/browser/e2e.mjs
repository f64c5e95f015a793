// Real-browser end-to-end test of the Slotwise wizard, run by tests/browser.rs
// against a real server:
//
//   node tests/browser/e2e.mjs <base-url> <outbox-dir> <screenshot-dir>
//
// (or SLOTWISE_BASE_URL, SLOTWISE_OUTBOX, SLOTWISE_SCREENSHOTS). Headless
// Chromium from Debian (/usr/bin/chromium, or SLOTWISE_CHROMIUM) through
// playwright-core. Two visitors:
//   1. 360 px wide: switches to German and the dark theme with the page's own
//      switcher forms, books service → slot → details → code → confirm → done,
//      checks the German texts, the emails and the reference, switches to
//      light, and cancels through the link in the confirmation email.
//   2. desktop: English and light, with a wrong entry at every step that
//      validates, a dark detour on the slot step, and an error page.
// Every step is saved as a PNG; the PNGs' pixels prove dark is dark and light
// is light. Exits non-zero with a message on the first failure.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const [argBase, argOutbox, argShots] = process.argv.slice(2);
const BASE = (argBase ?? process.env.SLOTWISE_BASE_URL ?? '').replace(/\/$/, '');
const OUTBOX = argOutbox ?? process.env.SLOTWISE_OUTBOX;
const SHOTS = argShots ?? process.env.SLOTWISE_SCREENSHOTS ?? path.join(here, '..', '..', 'target', 'browser-screenshots');
const CHROMIUM = process.env.SLOTWISE_CHROMIUM ?? '/usr/bin/chromium';

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
const REFERENCE = /^[A-HJKMNP-TV-Z2-9]{4}-[A-HJKMNP-TV-Z2-9]{4}$/;
/** Luminance limits (0 = black, 1 = white) of a themed screenshot. */
const DARK_MAX = 0.3;
const LIGHT_MIN = 0.7;

class Failure extends Error {}

function check(condition, message) {
  if (!condition) throw new Failure(message);
}

function log(message) {
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
function msg(lang, id, args = {}) {
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

/** The decoded `text/plain` parts of a MIME message. */
function plainParts(raw) {
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
    return inner.flatMap((part) => plainParts(part.replace(/^\r?\n/, '')));
  }
  if (!type.startsWith('text/plain')) return [];
  const encoding = header('Content-Transfer-Encoding').toLowerCase();
  if (encoding === 'base64') return [Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')];
  if (encoding === 'quoted-printable') return [decodeQuotedPrintable(body)];
  // 7bit/8bit: the file was read as latin1, one char per byte.
  return [Buffer.from(body, 'latin1').toString('utf8')];
}

function emails() {
  return fs
    .readdirSync(OUTBOX)
    .filter((f) => f.endsWith('.eml'))
    .map((f) => path.join(OUTBOX, f));
}

/** Waits for an .eml that was not in `before`: its file, raw text and decoded plain text. */
async function newEmail(before) {
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    const fresh = emails()
      .filter((f) => !before.has(f))
      .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
    if (fresh.length > 0) {
      const raw = fs.readFileSync(fresh[0], 'latin1');
      return { file: fresh[0], raw, text: plainParts(raw).join('\n') };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Failure(`no new email appeared in ${OUTBOX}`);
}

/** The one standalone run of 6 digits in an email's text. */
function codeIn(email) {
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
class Visitor {
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

  async switchTo(name, value) {
    await this.submit(`form.switcher button[name="${name}"][value="${value}"]`);
    this.expectStatus(`switching ${name} to ${value}`, 200);
  }
}

async function launch(name, viewport, options) {
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

// ------------------------------------------------------------ visitor 1

/** 360 px, German, dark: the whole booking through the switchers. */
async function germanDarkMobile() {
  const { context, profile } = await launch('mobile', { width: 360, height: 780 }, {
    locale: 'en-US',
    colorScheme: 'light',
    deviceScaleFactor: 1,
    isMobile: true,
    hasTouch: true,
  });
  try {
    const v = new Visitor('mobile-de-dark', context, context.pages()[0] ?? (await context.newPage()), 'en', 360);
    v.scheme = 'light';
    await v.goto('/');
    v.expectStatus('landing', 200);
    await v.expectPage('landing (English)', { h1: msg('en', 'landing-title') });
    await v.expectTheme('auto', await v.screenshot('landing-en'), 'landing (auto, light browser)');

    await v.switchTo('lang', 'de');
    v.lang = 'de';
    v.expectPath('after switching language', '/');
    await v.expectPage('landing (German)', { h1: msg('de', 'landing-title') });
    await v.switchTo('theme', 'dark');
    await v.expectPage('landing (German, dark)', { h1: msg('de', 'landing-title') });
    await v.expectTheme('dark', await v.screenshot('landing'), 'landing');

    await v.submit('a.button.primary[href="/book"]');
    v.expectPath('start', '/book/service');
    await v.expectPage('service', { h1: msg('de', 'service-title'), status: 200 });
    await v.expectStep(1, 'service');
    await v.expectTheme('dark', await v.screenshot('service'), 'service');

    await v.page.click('label.option >> nth=0');
    await v.submit('form[action="/book/service"] button.primary');
    v.expectPath('after service', '/book/slot');
    await v.expectPage('slot', { h1: msg('de', 'slot-title'), status: 200 });
    await v.expectStep(2, 'slot');
    const days = await v.page.$$eval('fieldset.day > legend', (hs) => hs.map((h) => h.textContent.trim()));
    check(days.length >= 1, 'slot: no days shown');
    for (const day of days) {
      check(/^(Mo|Di|Mi|Do|Fr|Sa|So)\., \d{1,2}\. \S+ \d{4}$/.test(day), `slot: day heading ${JSON.stringify(day)} is not German`);
    }
    const times = await v.page.$$('label.time input[name="slot"]');
    check(times.length > 0, 'slot: no times offered');
    await v.expectTheme('dark', await v.screenshot('slot'), 'slot');
    // Keyboard focus must be visible: tab to the first time and look.
    await v.page.focus('label.time input[name="slot"] >> nth=0');
    await v.page.keyboard.press('ArrowRight');
    await v.screenshot('slot-keyboard-focus');

    await v.page.click('label.time >> nth=0');
    await v.submit('form[action="/book/slot"] button.primary');
    v.expectPath('after slot', '/book/details');
    await v.expectPage('details', { h1: msg('de', 'details-title'), status: 200 });
    await v.expectStep(3, 'details');
    await v.page.fill('#name', 'Jürgen Müller');
    await v.page.fill('#email', 'juergen@example.test');
    await v.page.fill('#phone', '+49 30 1234');
    await v.expectTheme('dark', await v.screenshot('details'), 'details');

    const before = new Set(emails());
    await v.submit('form[action="/book/details"] button.primary');
    v.expectPath('after details', '/book/verify');
    await v.expectPage('verify', { h1: msg('de', 'verify-title'), status: 200 });
    await v.expectStep(4, 'verify');
    const codeEmail = await newEmail(before);
    const code = codeIn(codeEmail);
    log(`code from the outbox: ${code}`);
    check(codeEmail.text.includes(msg('de', 'mail-code-intro')), `code email is not German:\n${codeEmail.text}`);
    check(/(Mo|Di|Mi|Do|Fr|Sa|So)\., \d{1,2}\. \S+, \d\d:\d\d (MEZ|MESZ)/.test(codeEmail.text), `code email date is not German:\n${codeEmail.text}`);
    await v.page.fill('#code', code);
    await v.expectTheme('dark', await v.screenshot('verify'), 'verify');

    await v.submit('form[action="/book/verify"] button.primary');
    v.expectPath('after verify', '/book/confirm');
    await v.expectPage('confirm', { h1: msg('de', 'confirm-title'), status: 200 });
    await v.expectStep(5, 'confirm');
    const summary = await v.page.innerText('dl.summary-list');
    check(/(Mo|Di|Mi|Do|Fr|Sa|So)\., \d{1,2}\. .* \d{4}, \d\d:\d\d (MEZ|MESZ)/.test(summary), `confirm: date not German: ${summary}`);
    check(summary.includes('Jürgen Müller'), `confirm: name missing: ${summary}`);
    await v.expectTheme('dark', await v.screenshot('confirm'), 'confirm');

    const beforeConfirm = new Set(emails());
    await v.submit('form[action="/book/confirm"] button.primary');
    v.expectPath('after confirm', '/book/done');
    await v.expectPage('done', { h1: msg('de', 'done-title'), status: 200 });
    const reference = (await v.page.textContent('#booking-ref'))?.trim();
    check(REFERENCE.test(reference ?? ''), `done: #booking-ref is ${JSON.stringify(reference)}, not XXXX-XXXX`);
    log(`booked ${reference}`);
    const confirmation = await newEmail(beforeConfirm);
    check(confirmation.text.includes(msg('de', 'mail-confirm-reference', { reference })), `confirmation email:\n${confirmation.text}`);
    check(/\d{4}, \d\d:\d\d (MEZ|MESZ)/.test(confirmation.text), `confirmation email date is not German:\n${confirmation.text}`);
    check(confirmation.raw.includes(`filename="${msg('de', 'mail-ics-filename')}"`), 'confirmation email: calendar file name is not German');
    await v.expectTheme('dark', await v.screenshot('done'), 'done');

    await v.switchTo('theme', 'light');
    v.expectPath('after switching theme on done', '/book/done');
    await v.expectPage('done (light)', { h1: msg('de', 'done-title') });
    await v.expectTheme('light', await v.screenshot('done-light'), 'done (light)');

    // The link in the confirmation email: see the booking, then cancel it.
    const link = confirmation.text.match(/http:\/\/\S+\/booking\/\S+/)?.[0];
    check(link?.startsWith(`${BASE}/booking/${reference}?token=`), `confirmation email has no booking link:\n${confirmation.text}`);
    await v.goto(link.slice(BASE.length));
    await v.expectPage('booking link', { h1: msg('de', 'booking-title'), status: 200 });
    check((await v.page.textContent('#booking-ref'))?.trim() === reference, 'booking link: wrong reference');
    await v.expectTheme('light', await v.screenshot('booking-link'), 'booking link');
    await v.submit(`form[action="/booking/${reference}/cancel"] button`);
    await v.expectPage('cancelled booking', { h1: msg('de', 'booking-title'), status: 200 });
    const notice = await v.page.innerText('.notice');
    check(notice.trim() === msg('de', 'booking-cancelled'), `cancelled booking: notice reads ${JSON.stringify(notice)}`);
    await v.expectTheme('light', await v.screenshot('booking-cancelled'), 'cancelled booking');
    return reference;
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------ visitor 2

/** Desktop, English, light: every validating step once wrong, a dark detour. */
async function englishLightDesktop(firstReference) {
  const { context, profile } = await launch('desktop', { width: 1280, height: 900 }, {
    locale: 'en-GB',
    colorScheme: 'dark',
  });
  try {
    const v = new Visitor('desktop-en-light', context, context.pages()[0] ?? (await context.newPage()), 'en', 1280);
    v.scheme = 'dark';
    await v.goto('/');
    await v.expectPage('landing', { h1: msg('en', 'landing-title'), status: 200 });
    await v.expectTheme('auto', await v.screenshot('landing-auto-dark-browser'), 'landing (auto, dark browser)');
    await v.switchTo('theme', 'light');
    await v.expectTheme('light', await v.screenshot('landing'), 'landing');

    await v.submit('a.button.primary[href="/book"]');
    await v.submit('form[action="/book/service"] button.primary');
    await v.expectPage('service without a choice', { h1: msg('en', 'service-title'), status: 422 });
    const summary = await v.page.innerText('#error-summary');
    check(summary.includes(msg('en', 'err-service')), `service: error summary reads ${JSON.stringify(summary)}`);
    await v.expectTheme('light', await v.screenshot('service-error'), 'service error');
    await v.page.click('label.option >> nth=1');
    await v.submit('form[action="/book/service"] button.primary');

    v.expectPath('after service', '/book/slot');
    await v.expectPage('slot', { h1: msg('en', 'slot-title'), status: 200 });
    const days = await v.page.$$eval('fieldset.day > legend', (hs) => hs.map((h) => h.textContent.trim()));
    for (const day of days) {
      check(/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]{2} \d{4}$/.test(day), `slot: day heading ${JSON.stringify(day)}`);
    }
    await v.expectTheme('light', await v.screenshot('slot'), 'slot');
    await v.switchTo('theme', 'dark');
    v.expectPath('after switching theme on the slot step', '/book/slot');
    await v.expectTheme('dark', await v.screenshot('slot-dark'), 'slot (dark)');
    await v.switchTo('theme', 'light');

    await v.page.click('label.time >> nth=0');
    await v.submit('form[action="/book/slot"] button.primary');
    v.expectPath('after slot', '/book/details');
    await v.page.fill('#name', 'Ada Lovelace');
    await v.page.fill('#email', 'not-an-address');
    await v.submit('form[action="/book/details"] button.primary');
    await v.expectPage('details with a bad address', { h1: msg('en', 'details-title'), status: 422 });
    const invalid = await v.page.getAttribute('#email', 'aria-invalid');
    const described = await v.page.getAttribute('#email', 'aria-describedby');
    check(invalid === 'true' && described === 'email-error', 'details: the error is not tied to the email field');
    await v.expectTheme('light', await v.screenshot('details-error'), 'details error');
    await v.page.fill('#email', 'ada@example.test');

    const before = new Set(emails());
    await v.submit('form[action="/book/details"] button.primary');
    v.expectPath('after details', '/book/verify');
    const code = codeIn(await newEmail(before));
    const wrong = code === '000000' ? '111111' : '000000';
    await v.page.fill('#code', wrong);
    await v.submit('form[action="/book/verify"] button.primary');
    await v.expectPage('verify with a wrong code', { h1: msg('en', 'verify-title'), status: 422 });
    await v.expectTheme('light', await v.screenshot('verify-error'), 'verify error');
    await v.page.fill('#code', code);
    await v.submit('form[action="/book/verify"] button.primary');

    v.expectPath('after verify', '/book/confirm');
    await v.expectPage('confirm', { h1: msg('en', 'confirm-title'), status: 200 });
    const when = await v.page.innerText('dl.summary-list');
    check(/(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d (CET|CEST)/.test(when), `confirm: ${when}`);
    await v.expectTheme('light', await v.screenshot('confirm'), 'confirm');
    await v.submit('form[action="/book/confirm"] button.primary');
    v.expectPath('after confirm', '/book/done');
    const reference = (await v.page.textContent('#booking-ref'))?.trim();
    check(REFERENCE.test(reference ?? ''), `done: #booking-ref is ${JSON.stringify(reference)}`);
    check(reference !== firstReference, 'done: two bookings got the same reference');
    await v.expectPage('done', { h1: msg('en', 'done-title'), status: 200 });
    await v.expectTheme('light', await v.screenshot('done'), 'done');

    await v.goto('/no/such/page');
    await v.expectPage('404 page', { h1: msg('en', 'error-title-404'), status: 404 });
    await v.expectTheme('light', await v.screenshot('not-found'), '404 page');
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

// ----------------------------------------------------------------- main

async function main() {
  check(/^http:\/\/127\.0\.0\.1:\d+$/.test(BASE), `usage: node e2e.mjs <http://127.0.0.1:PORT> <outbox-dir> <screenshot-dir> (got ${BASE})`);
  check(OUTBOX && fs.existsSync(OUTBOX), `the outbox folder ${OUTBOX} does not exist`);
  check(fs.existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  fs.mkdirSync(SHOTS, { recursive: true });
  const reference = await germanDarkMobile();
  await englishLightDesktop(reference);
  log(`all checks passed; screenshots in ${SHOTS}`);
}

main().catch((error) => {
  console.error(`e2e: FAILED: ${error instanceof Failure ? error.message : error.stack ?? error}`);
  process.exit(1);
});
