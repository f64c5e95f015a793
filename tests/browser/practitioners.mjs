// The practitioner step (SPEC §2e) in a real browser, run by
// tests/it/browser.rs against a real server configured with README's
// "Practitioners" example (Dr. Anna Weber, Ben Roth, Cleo Keller):
//
//   node tests/browser/practitioners.mjs <base-url> <outbox-dir> <screenshot-dir>
//
// Two visitors, each booking through all six steps:
//   1. 360 px, German and dark (through the page's own switchers): asks for
//      "anyone", goes wrong once at the practitioner step, and is booked with
//      whoever was free; the confirm and done pages name that person.
//   2. desktop, English and light: asks for Ben Roth by name, sees only his
//      days (Wednesdays and Fridays), and is booked with him.
// axe-core checks the practitioner step, its error state and the pages
// after it, in both themes; any violation fails the run. A reminder email
// (due a day before, so none falls due while this runs) comes from the
// harness as an .eml (SLOTWISE_REMINDER_EML, its link SLOTWISE_REMINDER_LINK)
// and is rendered at 360 px as the other emails are (mail.mjs).

import fs from 'node:fs';

import { renderEmail } from './mail.mjs';
import { check, codeIn, emails, launch, log, msg, newEmail, parts, runScript, Visitor } from './support.mjs';

/** The README example's people, by id. */
const PEOPLE = { weber: 'Dr. Anna Weber', roth: 'Ben Roth' };

/** The step indicator reads "Step n of 6" in the visitor's language. */
async function expectStepOfSix(v, number, what) {
  const text = (await v.page.innerText('nav[aria-label] p')).trim();
  const wanted = msg(v.lang, 'step-of', { number, count: 6 });
  check(text === wanted, `${what}: step indicator reads ${JSON.stringify(text)}, expected ${JSON.stringify(wanted)}`);
}

/** The radio values of the practitioner step, in page order. */
async function offered(v) {
  return v.page.$$eval('input[name="practitioner"]', (inputs) => inputs.map((i) => i.value));
}

/** Service `service` → the practitioner step, checked and audited. */
async function toPractitionerStep(v, service, shot) {
  await v.goto('/book');
  await v.page.check(`input[name="service"][value="${service}"]`);
  await v.submit('form[action="/book/service"] button.primary');
  v.expectPath('after service', '/book/practitioner');
  await v.expectPage('practitioner', { h1: msg(v.lang, 'practitioner-title'), status: 200 });
  await expectStepOfSix(v, 2, 'practitioner');
  const values = await offered(v);
  check(JSON.stringify(values) === JSON.stringify(['weber', 'roth', 'any']), `practitioner: offered ${JSON.stringify(values)}`);
  const text = await v.page.innerText('form[action="/book/practitioner"]');
  for (const name of Object.values(PEOPLE)) check(text.includes(name), `practitioner: ${name} is not named`);
  check(text.includes(msg(v.lang, 'practitioner-any')), `practitioner: "anyone" is not offered in ${v.lang}: ${text}`);
  await v.expectTheme(v.theme, await v.screenshot(shot), 'practitioner');
  await v.audit('practitioner');
}

/** The first free time on the slot step → details → code → confirm; returns the confirm summary. */
async function slotToConfirm(v, email) {
  v.expectPath('after practitioner', '/book/slot');
  await v.expectPage('slot', { h1: msg(v.lang, 'slot-title'), status: 200 });
  await expectStepOfSix(v, 3, 'slot');
  await v.page.check('details[open] input[name="slot"] >> nth=0');
  const chosen = await v.page.$eval('input[name="slot"]:checked', (i) => i.value);
  await v.submit('details[open] form[action="/book/slot"] button.primary');
  v.expectPath('after slot', '/book/details');
  await v.page.fill('#name', 'Mira Stein');
  await v.page.fill('#email', email);
  const before = new Set(emails());
  await v.submit('form[action="/book/details"] button.primary');
  v.expectPath('after details', '/book/verify');
  await v.page.fill('#code', codeIn(await newEmail(before)));
  await v.submit('form[action="/book/verify"] button.primary');
  v.expectPath('after verify', '/book/confirm');
  await v.expectPage('confirm', { h1: msg(v.lang, 'confirm-title'), status: 200 });
  await expectStepOfSix(v, 6, 'confirm');
  await v.audit('confirm');
  return { chosen, summary: await v.page.innerText('dl.summary-list') };
}

/** Confirms; the done page and the confirmation email name `name`. */
async function confirmWith(v, name) {
  const before = new Set(emails());
  await v.submit('form[action="/book/confirm"] button.primary');
  v.expectPath('after confirm', '/book/done');
  await v.expectPage('done', { h1: msg(v.lang, 'done-title'), status: 200 });
  const done = await v.page.innerText('main');
  check(done.includes(name), `done: ${name} is not named:\n${done}`);
  await v.expectTheme(v.theme, await v.screenshot('done'), 'done');
  await v.audit('done');
  const confirmation = await newEmail(before);
  check(confirmation.text.includes(msg(v.lang, 'mail-practitioner', { practitioner: name })), `confirmation email:\n${confirmation.text}`);
}

/** The reminder the harness wrote, rendered at 360 px (German). */
async function renderReminder(context) {
  const file = process.env.SLOTWISE_REMINDER_EML;
  const link = process.env.SLOTWISE_REMINDER_LINK;
  check(file && link && fs.existsSync(file), `no reminder email to render (SLOTWISE_REMINDER_EML=${file})`);
  const raw = fs.readFileSync(file, 'latin1');
  const email = { file, raw, text: parts(raw, 'text/plain').join('\n'), html: parts(raw, 'text/html').join('\n') };
  await renderEmail(context, email, 'reminder-de', { link, texts: [msg('de', 'mail-manage-button')] });
}

/** Visitor 1: 360 px, German, dark, "anyone". */
async function anyoneInGermanOnAPhone() {
  const { context, profile } = await launch('practitioners-mobile', { width: 360, height: 780 }, {
    locale: 'en-US',
    colorScheme: 'light',
    deviceScaleFactor: 1,
    isMobile: true,
    hasTouch: true,
  });
  try {
    const v = new Visitor('practitioner-de-dark', context, await context.newPage(), 'en', 360);
    Object.assign(v, { scheme: 'light', theme: 'dark' });
    await v.goto('/');
    await v.switchTo('lang', 'de');
    v.lang = 'de';
    await v.switchTo('theme', 'dark');
    await toPractitionerStep(v, 'consultation', 'practitioner');
    await v.submit('form[action="/book/practitioner"] button.primary');
    await v.expectPage('practitioner without a choice', { h1: msg('de', 'practitioner-title'), status: 422 });
    await v.expectSummary('practitioner without a choice', [['#practitioner', 'practitioner-legend', 'err-practitioner']]);
    await v.audit('practitioner error');
    await v.page.check('input[name="practitioner"][value="any"]');
    await v.submit('form[action="/book/practitioner"] button.primary');
    const { summary } = await slotToConfirm(v, 'mira@example.test');
    const whom = Object.values(PEOPLE).find((name) => summary.includes(name));
    check(whom !== undefined, `confirm: nobody is named for "anyone":\n${summary}`);
    log(`"anyone" was given to ${whom}`);
    await confirmWith(v, whom);
    await renderReminder(context);
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

/** Visitor 2: desktop, English, light, Ben Roth by name. */
async function benRothOnADesktop() {
  const { context, profile } = await launch('practitioners-desktop', { width: 1280, height: 900 }, {
    locale: 'en-US',
    colorScheme: 'light',
  });
  try {
    const v = new Visitor('practitioner-en-light', context, await context.newPage(), 'en', 1280);
    Object.assign(v, { scheme: 'light', theme: 'auto' });
    await toPractitionerStep(v, 'consultation', 'practitioner');
    await v.page.check('input[name="practitioner"][value="roth"]');
    await v.submit('form[action="/book/practitioner"] button.primary');
    const values = await v.page.$$eval('input[name="slot"]', (inputs) => inputs.map((i) => i.value));
    check(values.length > 0, 'slot: Ben Roth offers no time this week');
    for (const value of values) {
      const weekday = new Date(`${value.slice(0, 10)}T12:00:00Z`).getUTCDay();
      check(weekday === 3 || weekday === 5, `slot: Ben Roth works Wednesdays and Fridays, but ${value} is offered`);
    }
    const { chosen, summary } = await slotToConfirm(v, 'noah@example.test');
    check(summary.includes(PEOPLE.roth), `confirm: Ben Roth is not named:\n${summary}`);
    log(`booked Ben Roth at ${chosen}`);
    await confirmWith(v, PEOPLE.roth);
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

runScript('practitioners.mjs', async () => {
  await anyoneInGermanOnAPhone();
  await benRothOnADesktop();
});
