// A booking without the mouse: Tab, Shift+Tab, Space, Enter and typing
// only, from the landing page to the reference on the done page (opening
// another day of the slot step on the way). Every
// element it stops on must show where the focus is, and the skip link must
// skip the header.

import fs from 'node:fs';

import { BASE, REFERENCE, Failure, check, codeIn, emails, launch, log, msg, newEmail, Visitor } from './support.mjs';

/** Whether the focused element (or the option card around a radio) draws a focus ring. */
async function focusIsVisible(page) {
  return page.evaluate(() => {
    const focused = document.activeElement;
    if (!focused || focused === document.body) return false;
    const ring = focused.closest('label.option, label.time') ?? focused;
    const style = getComputedStyle(ring);
    return style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  });
}

/** Presses Tab until an element matching `selector` has the focus, and checks it shows. */
async function tabTo(v, selector, max = 80) {
  for (let i = 0; i < max; i++) {
    if (await v.page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) {
      check(await focusIsVisible(v.page), `keyboard: ${selector} on ${v.page.url()} has the focus but shows no focus ring`);
      return;
    }
    await v.page.keyboard.press('Tab');
  }
  throw new Failure(`keyboard: ${max} presses of Tab never reached ${selector} on ${v.page.url()}`);
}

/** Presses `key` on the focused element and waits for the page it leads to. */
async function pressAndLoad(v, key) {
  const [response] = await Promise.all([v.page.waitForNavigation(), v.page.keyboard.press(key)]);
  v.lastStatus = response?.status();
}

/** Books with the keyboard alone, in English on a desktop; returns the reference. */
export async function keyboardOnly() {
  const { context, profile } = await launch('keyboard', { width: 1280, height: 900 }, { locale: 'en-GB', colorScheme: 'light' });
  try {
    const v = new Visitor('keyboard-en', context, context.pages()[0] ?? (await context.newPage()), 'en', 1280);
    await v.goto('/');
    await v.page.keyboard.press('Tab');
    const first = await v.page.evaluate(() => document.activeElement?.className);
    check(first === 'skip', `keyboard: the first Tab lands on ${JSON.stringify(first)}, not the skip link`);
    check(await focusIsVisible(v.page), 'keyboard: the focused skip link shows no focus ring');
    await v.page.keyboard.press('Enter');
    await v.page.keyboard.press('Tab');
    const inMain = await v.page.evaluate(() => document.activeElement?.closest('main') !== null);
    check(inMain, 'keyboard: after the skip link, Tab does not go on inside <main>');
    await tabTo(v, 'a.button.primary[href="/book"]');
    await pressAndLoad(v, 'Enter');
    v.expectPath('keyboard: start', '/book/service');

    await tabTo(v, 'input[name="service"]');
    await v.page.keyboard.press('Space');
    await tabTo(v, 'form[action="/book/service"] button.primary');
    await pressAndLoad(v, 'Enter');
    v.expectPath('keyboard: after service', '/book/slot');

    // Another day than the open one: Enter on its line opens it, and Tab
    // goes on into its times.
    await tabTo(v, 'details.day:not([open]) > summary');
    await v.page.keyboard.press('Enter');
    const opened = await v.page.evaluate(() => document.activeElement?.parentElement?.open === true);
    check(opened, 'keyboard: Enter on a day did not open it');
    await tabTo(v, 'details.day[open] input[name="slot"]');
    await v.page.keyboard.press('Space');
    const slot = await v.page.evaluate(() => (document.activeElement?.checked ? document.activeElement.value : null));
    check(slot, 'keyboard: Space did not choose the focused time');
    await tabTo(v, 'details[open] form[action="/book/slot"] button.primary');
    await pressAndLoad(v, 'Enter');
    v.expectPath('keyboard: after slot', '/book/details');

    await tabTo(v, '#name');
    await v.page.keyboard.type('Kim Keyboard');
    await tabTo(v, '#email');
    await v.page.keyboard.type('kim@example.test');
    const before = new Set(emails());
    await tabTo(v, 'form[action="/book/details"] button.primary');
    await pressAndLoad(v, 'Enter');
    v.expectPath('keyboard: after details', '/book/verify');

    const code = codeIn(await newEmail(before));
    await tabTo(v, '#code');
    await v.page.keyboard.type(code);
    await pressAndLoad(v, 'Enter');
    v.expectPath('keyboard: after verify', '/book/confirm');

    await tabTo(v, 'form[action="/book/confirm"] button.primary');
    await pressAndLoad(v, 'Enter');
    v.expectPath('keyboard: after confirm', '/book/done');
    await v.expectPage('keyboard: done', { h1: msg('en', 'done-title'), status: 200 });
    const reference = (await v.page.textContent('#booking-ref'))?.trim();
    check(REFERENCE.test(reference ?? ''), `keyboard: done shows ${JSON.stringify(reference)}, not a reference`);
    await v.screenshot('done');
    log(`keyboard only: booked ${reference} at ${slot} (${BASE})`);
    return reference;
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}
