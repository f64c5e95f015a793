// The emails as a patient's phone shows them: each email's HTML part,
// rendered on its own at 360 px. No horizontal scrolling, the booking's
// link as a button and as text (both pointing at the link of the text part),
// axe-core on it (auditEmail), and a screenshot to look at.

import path from 'node:path';

import { auditEmail } from './axe.mjs';
import { SHOTS, check, log } from './support.mjs';

const WIDTH = 360;

/**
 * Renders `email`'s HTML part in a fresh page of `context` at 360 px and
 * saves `mail-<label>.png` (the whole email). `link`: the booking's link the
 * email must offer as a button and as wrapping text (none for the code and
 * cancellation emails). `texts`: what the rendered email must say.
 */
export async function renderEmail(context, email, label, { link, texts = [] } = {}) {
  check(email.html.startsWith('<!doctype html>'), `${label} email: no HTML part in ${email.file}`);
  const page = await context.newPage();
  try {
    await page.setViewportSize({ width: WIDTH, height: 780 });
    await page.setContent(email.html, { waitUntil: 'load' });
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    check(width <= WIDTH, `${label} email: ${width}px wide at ${WIDTH}px, it scrolls sideways`);
    const shown = await page.innerText('body');
    for (const text of texts) check(shown.includes(text), `${label} email does not say ${JSON.stringify(text)}:\n${shown}`);
    const anchors = await page.$$eval('a[href]', (as) => as.map((a) => [a.href, a.textContent.trim(), a.getBoundingClientRect().height]));
    const booking = anchors.filter(([href]) => href.includes('/booking/'));
    if (link) {
      check(booking.length === 2 && booking.every(([href]) => href === link), `${label} email: links ${JSON.stringify(booking)}, expected a button and a text to ${link}`);
      const [button, text] = booking;
      check(button[2] >= 40, `${label} email: the button is ${button[2]}px tall, too small to tap`);
      check(text[1] === link, `${label} email: the link reads ${JSON.stringify(text[1])}`);
    } else {
      check(booking.length === 0, `${label} email links the booking: ${JSON.stringify(booking)}`);
    }
    await page.screenshot({ path: path.join(SHOTS, `mail-${label}.png`), fullPage: true });
    log(`saved mail-${label}.png (${width}px wide)`);
    await auditEmail(page, `email ${label}`);
  } finally {
    await page.close();
  }
}
