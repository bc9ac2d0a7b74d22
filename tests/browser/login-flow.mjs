// The editors' login in a real browser (Debian's Chromium, driven by puppeteer-core):
// open /login, check the page with axe-core, type the email and password, submit, see the
// editor's menu (name, role, a "Log out" control), log out, and see the anonymous page.
// Any page that breaks the Content-Security-Policy fails the run too (the policy allows
// no inline script, so a page that still has one shows here first).
//
//   node tests/browser/login-flow.mjs BASE_URL EMAIL PASSWORD [NAME ROLE]
//
// NAME and ROLE, when given, must be shown in the editor's menu.
// CHROMIUM names the browser (default /usr/bin/chromium). Exits 0 when every step
// passed; otherwise prints the failed step and exits 1. tests/browser_login.rs runs it.

import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import puppeteer from "puppeteer-core";

const require = createRequire(import.meta.url);
const [base, email, password, name, role] = process.argv.slice(2);
if (!base || !email || !password) {
  console.error("usage: node login-flow.mjs BASE_URL EMAIL PASSWORD [NAME ROLE]");
  process.exit(2);
}
const site = base.replace(/\/+$/, "");

/** Fails the run with a message saying which step went wrong. */
function check(ok, message) {
  if (!ok) throw new Error(message);
}

function step(what) {
  console.log(`ok: ${what}`);
}

/** The page's log-out controls and the menu around the first, as the page sees them. */
async function menu(page) {
  return page.evaluate(() => {
    const controls = [...document.querySelectorAll("button, input[type=submit], a")].filter(
      (el) => /^\s*log\s*out\s*$/i.test(el.textContent || el.value || ""),
    );
    const control = controls[0];
    const around = control && control.closest("nav, header, [role=navigation], [role=banner]");
    return {
      controls: controls.length,
      inForm: Boolean(control && control.closest("form[method=post i]")),
      menuText: around ? around.textContent.replace(/\s+/g, " ").trim() : null,
      bodyText: document.body.textContent.replace(/\s+/g, " ").trim(),
      loginLinks: document.querySelectorAll('a[href$="/login"], a[href*="/login?"]').length,
    };
  });
}

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    // CI runs as root, where Chromium refuses to start with its sandbox; the test only
    // visits the local test server.
    "--no-sandbox",
    "--headless=new",
    // Containers often have a tiny /dev/shm; Chromium then crashes on larger pages.
    "--disable-dev-shm-usage",
  ],
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

  // 1. The login page, and its accessibility.
  const login = await page.goto(`${site}/login`, { waitUntil: "load" });
  check(login && login.status() === 200, `GET /login answered ${login && login.status()}`);
  for (const field of ["email", "password", "csrf"]) {
    check(
      (await page.$(`form input[name=${field}]`)) !== null,
      `the login page has no form field "${field}"`,
    );
  }
  step("the login page has the form (email, password, csrf)");

  const axeSource = await readFile(require.resolve("axe-core/axe.min.js"), "utf8");
  // Evaluated through the DevTools protocol, which the page's CSP does not govern: the
  // page itself is checked as served.
  await page.evaluate(axeSource);
  const axe = await page.evaluate(async () => {
    const r = await window.axe.run(document);
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5),
    }));
  });
  for (const v of axe) {
    console.log(`axe: ${v.impact}: ${v.id}: ${v.help} (${v.nodes.join(", ")})`);
  }
  const serious = axe.filter((v) => v.impact === "serious" || v.impact === "critical");
  check(
    serious.length === 0,
    `the login page has serious or critical accessibility violations: ${serious
      .map((v) => v.id)
      .join(", ")}`,
  );
  step(`axe-core: no serious or critical violation on /login (${axe.length} lesser)`);

  // 2. Log in.
  await page.type("form input[name=email]", email);
  await page.type("form input[name=password]", password);
  const submit = await page.$(
    "form:has(input[name=password]) button[type=submit], form:has(input[name=password]) button:not([type]), form:has(input[name=password]) input[type=submit]",
  );
  check(submit !== null, "the login form has no submit button");
  const [afterLogin] = await Promise.all([
    page.waitForNavigation({ waitUntil: "load" }),
    submit.click(),
  ]);
  check(
    afterLogin && afterLogin.status() === 200,
    `after login the page answered ${afterLogin && afterLogin.status()} at ${page.url()}`,
  );
  check(!new URL(page.url()).pathname.startsWith("/login"), `still on the login page: ${page.url()}`);
  const cookies = await browser.cookies();
  const session = cookies.find((c) => /dossier_session$/.test(c.name));
  check(session, `no session cookie after login (cookies: ${cookies.map((c) => c.name)})`);
  check(session.httpOnly, "the session cookie is not HttpOnly");
  check(session.sameSite === "Lax", `the session cookie is SameSite=${session.sameSite}, not Lax`);
  step(`logged in, at ${page.url()}`);

  // 3. The editor's menu.
  const loggedIn = await menu(page);
  check(loggedIn.controls >= 1, `no "Log out" control after login: ${loggedIn.bodyText.slice(0, 300)}`);
  check(loggedIn.inForm, 'the "Log out" control is not in a POST form');
  check(loggedIn.menuText !== null, 'the "Log out" control is not in a menu (nav or header)');
  if (name) {
    check(loggedIn.menuText.includes(name), `the menu does not name ${name}: ${loggedIn.menuText}`);
  }
  if (role) {
    check(
      loggedIn.menuText.toLowerCase().includes(role.toLowerCase()),
      `the menu does not say the role ${role}: ${loggedIn.menuText}`,
    );
  }
  step(`the editor's menu: ${loggedIn.menuText}`);

  // 4. Log out.
  const logout = await page.evaluateHandle(() =>
    [...document.querySelectorAll("button, input[type=submit]")].find((el) =>
      /^\s*log\s*out\s*$/i.test(el.textContent || el.value || ""),
    ),
  );
  const [afterLogout] = await Promise.all([
    page.waitForNavigation({ waitUntil: "load" }),
    logout.asElement().click(),
  ]);
  check(
    afterLogout && afterLogout.status() === 200,
    `after logout the page answered ${afterLogout && afterLogout.status()} at ${page.url()}`,
  );
  const anonymous = await menu(page);
  check(anonymous.controls === 0, 'a "Log out" control is still shown after logout');
  if (name) {
    check(!anonymous.bodyText.includes(name), `${name} is still named after logout`);
  }
  check(anonymous.loginLinks >= 1, "the anonymous page has no link to log in");
  step(`logged out, at ${page.url()}: the anonymous page`);

  // 5. The session is gone on the server, not only in the page.
  const account = await page.goto(`${site}/account`, { waitUntil: "load" });
  check(
    account.status() !== 200 || new URL(page.url()).pathname.startsWith("/login"),
    `/account still answers after logout (${account.status()} at ${page.url()})`,
  );
  step("/account is refused after logout");

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
console.log("login flow: all steps passed");
