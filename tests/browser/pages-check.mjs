// Every page type of the site in a real browser (Debian's Chromium, driven by
// puppeteer-core) at a phone's width and a laptop's: no horizontal scroll
// (document.scrollWidth <= innerWidth at 360, 390 and 1366 px), axe-core with no violation
// at all (every impact, the default rule set), no Content-Security-Policy violation and no
// script error, and a screenshot at 390 and 1366 px of each page.
//
//   node tests/browser/pages-check.mjs BASE_URL SHOT_DIR EMAIL PASSWORD [ONLY]
//
// EMAIL and PASSWORD are an admin's, for the pages only editors and admins see. ONLY, when given,
// is a comma-separated list of page names to check (for a quick run while working).
// CHROMIUM names the browser (default /usr/bin/chromium). Exits 0 when every page passed;
// otherwise lists every failure (not only the first) and exits 1.
// tests/browser_pages.rs runs it over a server it fills with the records these pages need.

import { mkdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import puppeteer from "puppeteer-core";

const require = createRequire(import.meta.url);
const [base, shotDir, email, password, only] = process.argv.slice(2);
if (!base || !shotDir || !email || !password) {
  console.error("usage: node pages-check.mjs BASE_URL SHOT_DIR EMAIL PASSWORD [ONLY]");
  process.exit(2);
}
const site = base.replace(/\/+$/, "");

// The one table of pages: a name (the screenshot's file name), the path, and whether
// only a logged-in editor (or admin) sees it. The records named here are the built-in dossier's,
// or ones tests/browser_pages.rs adds (the collection, the document's text).
// An SVG picture served on its own (`*.svg`, image/svg+xml) is screenshotted and must
// answer as an image; it is an image at its own size, like a PNG opened alone, so it is
// not held to the page width (the pages that show it, /…/timeline, are: there it
// scales), nor read by axe, which reads HTML documents (its title, desc and role are
// tested in the timeline module's tests).
const PAGES = [
  { name: "home", path: "/" },
  { name: "dossier", path: "/dossiers/nato-russia" },
  { name: "chronology", path: "/dossiers/nato-russia/chronology" },
  { name: "chronology-filtered", path: "/dossiers/nato-russia/chronology?body=pjc&year=1997" },
  { name: "document", path: "/documents/founding-act-1997" },
  { name: "document-text", path: "/documents/founding-act-1997/text" },
  { name: "document-text-fr", path: "/documents/founding-act-1997/text?lang=fr" },
  { name: "document-no-text", path: "/documents/pfp-framework-document/text" },
  { name: "body", path: "/bodies/pjc" },
  { name: "person", path: "/people/george-robertson" },
  { name: "event", path: "/events/founding-act-signed-1997" },
  { name: "topic", path: "/topics/peacekeeping" },
  { name: "dossier-timeline", path: "/dossiers/nato-russia/timeline" },
  { name: "body-timeline", path: "/bodies/pjc/timeline" },
  { name: "dossier-timeline-svg", path: "/dossiers/nato-russia/timeline.svg" },
  { name: "dossier-relations-svg", path: "/dossiers/nato-russia/relations.svg" },
  { name: "body-timeline-svg", path: "/bodies/pjc/timeline.svg" },
  { name: "body-relations-svg", path: "/bodies/pjc/relations.svg" },
  { name: "documents", path: "/documents" },
  { name: "documents-faceted", path: "/documents?kind=declaration&sort=date-desc" },
  { name: "bodies", path: "/bodies" },
  { name: "people", path: "/people?letter=R" },
  { name: "events", path: "/events?page=2" },
  { name: "topics", path: "/topics" },
  { name: "dossiers", path: "/dossiers" },
  { name: "collections", path: "/collections" },
  { name: "collection", path: "/collections/founding-documents" },
  { name: "search", path: "/search?q=PJC" },
  { name: "search-empty", path: "/search" },
  { name: "search-error", path: "/search?q=%22unclosed", status: 400 },
  { name: "not-found", path: "/documents/no-such-document", status: 404 },
  { name: "login", path: "/login" },
  { name: "account", path: "/account", editor: true },
  { name: "changes", path: "/changes", editor: true },
  { name: "drafts", path: "/drafts", editor: true },
  { name: "document-history", path: "/documents/founding-act-1997/history", editor: true },
  { name: "document-edit", path: "/documents/founding-act-1997/edit", editor: true },
  { name: "dossier-edit", path: "/dossiers/nato-russia/edit", editor: true },
  { name: "review-links", path: "/review/links", editor: true },
  { name: "review-gaps", path: "/review/gaps", editor: true },
  { name: "person-edit", path: "/people/george-robertson/edit", editor: true },
  { name: "merges", path: "/merges", editor: true },
  { name: "merge-preview", path: "/merges/new?type=body&into=eapc&from=nacc", editor: true },
  { name: "merge", path: "/merges/1", editor: true },
  { name: "admin-users", path: "/admin/users", editor: true },
  { name: "admin-audit", path: "/admin/audit", editor: true },
  { name: "admin-roles", path: "/admin/roles", editor: true },
];

// The static export (`dossier export site`), when STATIC_SITE names its folder: the same
// templates as files, read from file://, the search running in the page from its index.
const STATIC_PAGES = [
  { name: "static-home", file: "index.html" },
  { name: "static-document", file: "documents/founding-act-1997.html" },
  { name: "static-chronology", file: "dossiers/nato-russia/chronology.html" },
  { name: "static-search", file: "search.html?q=PJC" },
];
if (process.env.STATIC_SITE) {
  for (const p of STATIC_PAGES) {
    p.path = `file://${path.resolve(process.env.STATIC_SITE, p.file)}`;
    PAGES.push(p);
  }
}

const WIDTHS = [
  { width: 360, height: 780, shot: false },
  { width: 390, height: 844, shot: true },
  { width: 1366, height: 900, shot: true },
];

const failures = [];
function fail(page, width, message) {
  failures.push(`${page.name} (${page.path}) at ${width} px: ${message}`);
  console.log(`FAIL: ${page.name} at ${width} px: ${message}`);
}

/** What sticks out to the right at this width, for the failure message. */
async function overflow(tab, width) {
  // Against the viewport's set width: a phone's browser widens its layout viewport (and
  // innerWidth) to fit a page that is too wide, zooming out, which is the failure sought.
  return tab.evaluate((width) => {
    const w = Math.min(window.innerWidth, width);
    const doc = document.documentElement;
    const scrollWidth = Math.max(doc.scrollWidth, document.body ? document.body.scrollWidth : 0);
    const wide = [];
    if (scrollWidth > w) {
      for (const el of document.querySelectorAll("body *")) {
        const r = el.getBoundingClientRect();
        if (r.right > w + 0.5 && r.width > 0) {
          // What widens the page: an element not clipped by a scrolling ancestor, or one
          // positioned absolutely (which such an ancestor does not clip unless it is the
          // element's containing block), and its outermost such ancestor only.
          const positioned = getComputedStyle(el).position === "absolute";
          let clipped = false;
          for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
            if (getComputedStyle(a).overflowX !== "visible") {
              clipped = true;
              break;
            }
          }
          if (clipped && !positioned) continue;
          const p = el.parentElement && el.parentElement.getBoundingClientRect();
          if (!positioned && p && p.right > w + 0.5 && el.parentElement !== document.body) continue;
          const id = el.id ? `#${el.id}` : "";
          const cls = el.classList.length ? `.${[...el.classList].join(".")}` : "";
          wide.push(`${el.tagName.toLowerCase()}${id}${cls} (right edge ${Math.round(r.right)} px)`);
          if (wide.length >= 6) break;
        }
      }
    }
    return { scrollWidth, innerWidth: w, wide };
  }, width);
}

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--headless=new", "--disable-dev-shm-usage", "--hide-scrollbars"],
});

const axeSource = await readFile(require.resolve("axe-core/axe.min.js"), "utf8");
await mkdir(shotDir, { recursive: true });

try {
  const anonymous = await browser.createBrowserContext();
  const editor = await browser.createBrowserContext();
  await logIn(editor);

  const wanted = only ? new Set(only.split(",")) : null;
  for (const page of PAGES) {
    if (wanted && !wanted.has(page.name)) continue;
    const context = page.editor ? editor : anonymous;
    for (const { width, height, shot } of WIDTHS) {
      await checkPage(context, page, width, height, shot);
    }
  }
} finally {
  await browser.close();
}

async function logIn(context) {
  const tab = await context.newPage();
  await tab.goto(`${site}/login`, { waitUntil: "load" });
  await tab.type("form input[name=email]", email);
  await tab.type("form input[name=password]", password);
  await Promise.all([
    tab.waitForNavigation({ waitUntil: "load" }),
    tab.click("form:has(input[name=password]) button[type=submit]"),
  ]);
  const cookies = await context.cookies(site);
  if (!cookies.some((c) => /dossier_session$/.test(c.name))) {
    throw new Error(`logging in as ${email} gave no session cookie (at ${tab.url()})`);
  }
  await tab.close();
}

async function checkPage(context, page, width, height, shot) {
  const tab = await context.newPage();
  const problems = [];
  tab.on("console", (msg) => {
    if (/Content Security Policy/i.test(msg.text())) problems.push(`CSP: ${msg.text()}`);
  });
  tab.on("pageerror", (err) => problems.push(`script error: ${err}`));
  try {
    // Every answer fresh from the server: a cached 304 would hide its status.
    await tab.setCacheEnabled(false);
    await tab.setViewport({ width, height, deviceScaleFactor: 1, isMobile: width < 700, hasTouch: width < 700 });
    const url = page.file ? page.path : `${site}${page.path}`;
    const answer = await tab.goto(url, { waitUntil: "load" });
    if (page.file) {
      // The static search fills its results from script once the index is read.
      await new Promise((r) => setTimeout(r, 300));
    }
    const status = answer ? answer.status() : 0;
    const expected = page.status || 200;
    // A file has no HTTP status (Chromium reports 0 or 200).
    if (!(page.file && (status === 0 || status === 200)) && status !== expected) {
      fail(page, width, `answered ${status}, not ${expected}`);
      return;
    }
    const svg = ((answer && answer.headers()["content-type"]) || "").startsWith("image/svg+xml");

    const type = (answer && answer.headers()["content-type"]) || "";
    if (page.path.endsWith(".svg") && !svg) fail(page, width, `answered ${type}, not image/svg+xml`);
    const o = await overflow(tab, width);
    if (!svg && o.scrollWidth > o.innerWidth) {
      fail(page, width, `scrolls sideways: document.scrollWidth ${o.scrollWidth} > innerWidth ${o.innerWidth}; wide: ${o.wide.join(", ") || "(the root)"}`);
    }

    if (!svg) {
      await tab.evaluate(axeSource);
      const violations = await tab.evaluate(async () => {
        const r = await window.axe.run(document);
        return r.violations.map((v) => ({
          id: v.id,
          impact: v.impact,
          help: v.help,
          nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 4),
        }));
      });
      for (const v of violations) {
        fail(page, width, `axe ${v.impact} ${v.id}: ${v.help} (${v.nodes.join(", ")})`);
      }
    }
    for (const p of problems) fail(page, width, p);

    if (shot) {
      const file = path.join(shotDir, `${page.name}-${width}.png`);
      await tab.screenshot({ path: file, fullPage: false });
    }
    console.log(`ok: ${page.name} at ${width} px`);
  } catch (e) {
    fail(page, width, `could not be checked: ${e.message}`);
  } finally {
    await tab.close();
  }
}

if (failures.length) {
  console.error(`FAILED: ${failures.length} problem(s):\n${failures.join("\n")}`);
  process.exit(1);
}
console.log("pages check: all pages passed");
