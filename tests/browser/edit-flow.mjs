// The editing workflow in a real browser (Debian's Chromium, driven by puppeteer-core):
// an editor logs in, opens a document's edit form (checked with axe-core), corrects its
// date, sends it to review and logs out; a reviewer logs in, opens the draft from
// /drafts (checked with axe-core), sees the diff with the old and the new date, and
// publishes it; the public page and /search, seen by a reader who is not logged in,
// show the new date. Any Content-Security-Policy violation or script error fails the run.
//
//   node tests/browser/edit-flow.mjs BASE_URL EDITOR_EMAIL REVIEWER_EMAIL PASSWORD SLUG OLD_DATE NEW_DATE
//
// SLUG is a document's; OLD_DATE its published date and NEW_DATE the correction (EDTF).
// CHROMIUM names the browser (default /usr/bin/chromium). Exits 0 when every step
// passed; otherwise prints the failed step and exits 1. tests/browser_edit.rs runs it.

import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import puppeteer from "puppeteer-core";

const require = createRequire(import.meta.url);
const [base, editor, reviewer, password, slug, oldDate, newDate] = process.argv.slice(2);
if (!base || !editor || !reviewer || !password || !slug || !oldDate || !newDate) {
  console.error(
    "usage: node edit-flow.mjs BASE_URL EDITOR_EMAIL REVIEWER_EMAIL PASSWORD SLUG OLD_DATE NEW_DATE",
  );
  process.exit(2);
}
const site = base.replace(/\/+$/, "");
const recordPath = `/documents/${slug}`;

/** Fails the run with a message saying which step went wrong. */
function check(ok, message) {
  if (!ok) throw new Error(message);
}

function step(what) {
  console.log(`ok: ${what}`);
}

const axeSource = await readFile(require.resolve("axe-core/axe.min.js"), "utf8");

/** Runs axe-core on the page; fails on a serious or critical violation. */
async function accessible(page, what) {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  await page.evaluate(axeSource);
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document);
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5),
    }));
  });
  for (const v of found) {
    console.log(`axe (${what}): ${v.impact}: ${v.id}: ${v.help} (${v.nodes.join(", ")})`);
  }
  const serious = found.filter((v) => v.impact === "serious" || v.impact === "critical");
  check(
    serious.length === 0,
    `${what} has serious or critical accessibility violations: ${serious.map((v) => v.id).join(", ")}`,
  );
  step(`axe-core: no serious or critical violation on ${what} (${found.length} lesser)`);
}

/** Clicks `handle` and waits for the page it leads to; returns the response. */
async function clickAndWait(page, handle) {
  const [response] = await Promise.all([page.waitForNavigation({ waitUntil: "load" }), handle.click()]);
  return response;
}

async function goto(page, path) {
  const r = await page.goto(`${site}${path}`, { waitUntil: "load" });
  check(r && r.status() === 200, `GET ${path} answered ${r && r.status()} at ${page.url()}`);
  return r;
}

/** The submit button whose visible label is `label` (inside `scope`, a selector). */
async function button(page, label, scope = "body") {
  const handle = await page.evaluateHandle(
    (label, scope) =>
      [...document.querySelectorAll(`${scope} button`)].find(
        (b) => b.textContent.replace(/\s+/g, " ").trim() === label,
      ) || null,
    label,
    scope,
  );
  return handle.asElement();
}

async function login(page, email) {
  await goto(page, "/login");
  await page.type("form input[name=email]", email);
  await page.type("form input[name=password]", password);
  const submit = await page.$("form:has(input[name=password]) button");
  check(submit !== null, "the login form has no button");
  const r = await clickAndWait(page, submit);
  check(r && r.status() === 200, `after login the page answered ${r && r.status()}`);
  check(!new URL(page.url()).pathname.startsWith("/login"), `still on the login page as ${email}`);
  step(`logged in as ${email}`);
}

async function logout(page) {
  const out = await button(page, "Log out");
  check(out !== null, 'no "Log out" button');
  await clickAndWait(page, out);
  const still = await button(page, "Log out");
  check(still === null, 'a "Log out" button is still shown after logout');
  step("logged out");
}

/** The `datetime` of the date in a record page's facts. */
async function shownDate(page) {
  return page.evaluate(() => {
    const t = document.querySelector("dl.facts time");
    return t ? t.getAttribute("datetime") : null;
  });
}

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  // As in login-flow.mjs: root in CI, small /dev/shm in containers.
  args: ["--no-sandbox", "--headless=new", "--disable-dev-shm-usage"],
});

let failed = null;
try {
  const page = await browser.newPage();
  const cspViolations = [];
  const pageErrors = [];
  page.on("console", (msg) => {
    if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
  });
  page.on("pageerror", (err) => pageErrors.push(String(err)));

  // 1. The editor corrects the date and sends it to review.
  await login(page, editor);
  await goto(page, recordPath);
  check((await shownDate(page)) === oldDate, `the page does not show ${oldDate} before the edit`);
  const editLink = await page.$(`a[href$="${recordPath}/edit"]`);
  check(editLink !== null, "the record page has no link to its edit form");
  await clickAndWait(page, editLink);
  check(new URL(page.url()).pathname === `${recordPath}/edit`, `not on the edit form: ${page.url()}`);
  await accessible(page, "the edit form");
  const date = await page.$("form.edit-form input[name=date]");
  check(date !== null, "the edit form has no date field");
  check(
    (await page.evaluate((el) => el.value, date)) === oldDate,
    `the date field does not hold ${oldDate}`,
  );
  await date.click({ clickCount: 3 });
  await page.keyboard.press("Backspace");
  await date.type(newDate);
  await page.type("form.edit-form textarea[name=comment]", "Corrected from the signed text.");
  const send = await button(page, "Send to review", "form.edit-form");
  check(send !== null, 'the editor has no "Send to review" button');
  check((await button(page, "Publish", "form.edit-form")) === null, "an editor is offered Publish");
  await clickAndWait(page, send);
  const draftPath = new URL(page.url()).pathname;
  check(/^\/drafts\/\d+$/.test(draftPath), `sending to review did not lead to the draft: ${page.url()}`);
  step(`sent to review: ${draftPath}`);
  await logout(page);

  // A reader still sees the old date.
  const reader = await browser.createBrowserContext();
  const readerPage = await reader.newPage();
  await readerPage.goto(`${site}${recordPath}`, { waitUntil: "load" });
  check((await shownDate(readerPage)) === oldDate, "a reader sees the draft's date before it is published");
  step("a reader still sees the published date");

  // 2. The reviewer finds the draft, sees the diff and publishes it.
  await login(page, reviewer);
  await goto(page, "/drafts");
  const link = await page.$(`a[href$="${draftPath}"]`);
  check(link !== null, `/drafts does not list ${draftPath}`);
  await clickAndWait(page, link);
  check(new URL(page.url()).pathname === draftPath, `not on the draft: ${page.url()}`);
  await accessible(page, "the draft page");
  const diff = await page.evaluate(() =>
    [...document.querySelectorAll("table.diff tbody tr")].map((tr) => ({
      field: tr.querySelector("th").textContent.trim(),
      removed: [...tr.querySelectorAll("del")].map((d) => d.textContent).join(" "),
      added: [...tr.querySelectorAll("ins")].map((d) => d.textContent).join(" "),
    })),
  );
  const dateRow = diff.find((r) => /date/i.test(r.field));
  check(dateRow, `the diff has no date row: ${JSON.stringify(diff)}`);
  check(dateRow.removed.includes(oldDate), `the diff does not show the old date: ${JSON.stringify(dateRow)}`);
  check(dateRow.added.includes(newDate), `the diff does not show the new date: ${JSON.stringify(dateRow)}`);
  step(`the diff: ${dateRow.field}: ${dateRow.removed} → ${dateRow.added}`);
  await page.type("#publish-comment", "Checked against the text.");
  const publish = await button(page, "Publish");
  check(publish !== null, 'the reviewer has no "Publish" button');
  const published = await clickAndWait(page, publish);
  check(published && published.status() === 200, `publishing answered ${published && published.status()}`);
  step(`published, now at ${page.url()}`);
  await logout(page);

  // 3. A reader sees the new date on the page and in the search.
  await readerPage.goto(`${site}${recordPath}`, { waitUntil: "load" });
  check(
    (await shownDate(readerPage)) === newDate,
    `the public page shows ${await shownDate(readerPage)}, not ${newDate}`,
  );
  step(`the public page shows ${newDate}`);
  await readerPage.goto(`${site}/search?q=${encodeURIComponent(`"Founding Act"`)}`, { waitUntil: "load" });
  const hit = await readerPage.evaluate((path) => {
    const a = [...document.querySelectorAll("a")].find((x) => new URL(x.href).pathname === path);
    const t = a && a.parentElement.querySelector("time");
    return t ? t.getAttribute("datetime") : null;
  }, recordPath);
  check(hit === newDate, `the search shows the document dated ${hit}, not ${newDate}`);
  step(`the search shows ${newDate}`);
  await reader.close();

  check(cspViolations.length === 0, `Content-Security-Policy violations: ${cspViolations.join(" | ")}`);
  check(pageErrors.length === 0, `script errors on the pages: ${pageErrors.join(" | ")}`);
  step("no CSP violation and no script error on any page");
} catch (e) {
  failed = e;
} finally {
  await browser.close();
}
if (failed) {
  console.error(`FAILED: ${failed.message}`);
  process.exit(1);
}
console.log("edit flow: all steps passed");
