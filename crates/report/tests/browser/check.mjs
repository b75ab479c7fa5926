// Opens a hopscope HTML report in real headless Chromium and reports what it saw, as JSON on
// standard output; crates/report/tests/html_browser.rs asserts on it.
//
//   node check.mjs REPORT.html EXPECTED.json
//
// EXPECTED.json: {"hops": [{"src","dst","evidence": ["file:line", ...]}], "text": [strings that
// must appear as text], "tables": {"hosts-table": rows, ...}, "filter": {"table", "term"},
// "screenshot": PNG path, "narrow_screenshot": PNG path, "pdf": PDF path}
import { chromium } from "playwright-core";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [htmlPath, expectedPath] = process.argv.slice(2);
const expected = JSON.parse(readFileSync(expectedPath, "utf8"));
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const profile = mkdtempSync(join(tmpdir(), "hopscope-chromium-"));

function pngSize(path) {
  const b = readFileSync(path);
  const png = b.length > 24 && b.toString("latin1", 1, 4) === "PNG";
  return { bytes: b.length, png, width: png ? b.readUInt32BE(16) : 0, height: png ? b.readUInt32BE(20) : 0 };
}

const result = { console_errors: [], page_errors: [], dialogs: [], network: [], hops: [] };
// a fresh profile (--user-data-dir) each run; no background networking: the machine may be offline
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  viewport: { width: 1280, height: 800 },
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
try {
  const page = context.pages()[0] || await context.newPage();
  page.on("console", (m) => { if (m.type() === "error") result.console_errors.push(m.text()); });
  page.on("pageerror", (e) => result.page_errors.push(String(e)));
  page.on("dialog", (d) => { result.dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  page.on("request", (r) => { const u = r.url(); if (!u.startsWith("file:") && !u.startsWith("data:")) result.network.push(u); });

  const t0 = Date.now();
  await page.goto(pathToFileURL(resolve(htmlPath)).href, { waitUntil: "load" });
  result.load_ms = Date.now() - t0;

  // the path diagram
  result.hop_elements = await page.locator("#hop-path [data-hop-index]").count();
  const svgText = (await page.locator("#hop-path").count()) ? await page.locator("#hop-path").textContent() : "";
  result.missing_hosts = [];
  for (const h of expected.hops) {
    for (const host of [h.src, h.dst]) if (!svgText.includes(host) && !result.missing_hosts.includes(host)) result.missing_hosts.push(host);
  }
  result.svg_box = await page.evaluate(() => {
    const s = document.getElementById("hop-path");
    if (!s) return null;
    const r = s.getBoundingClientRect();
    return { top: Math.round(r.top), bottom: Math.round(r.bottom), width: Math.round(r.width) };
  });

  // screenshot of the first screen, as a person opening the file sees it
  if (expected.screenshot) {
    await page.screenshot({ path: expected.screenshot });
    result.screenshot = pngSize(expected.screenshot);
  }
  if (expected.full_screenshot) await page.screenshot({ path: expected.full_screenshot, fullPage: true });

  // click every hop: its evidence shows in #hop-detail
  for (let i = 0; i < expected.hops.length; i++) {
    const hop = page.locator(`#hop-path [data-hop-index="${i}"] .badge`);
    if (!(await hop.count())) { result.hops.push({ index: i, clicked: false }); continue; }
    await hop.click();
    const detail = (await page.locator("#hop-detail").textContent()) || "";
    const selected = await page.locator(`#hop-path [data-hop-index="${i}"].selected`).count();
    result.hops.push({
      index: i, clicked: true, selected: selected === 1,
      missing_evidence: expected.hops[i].evidence.filter((e) => !detail.includes(e)),
      has_hosts: detail.includes(expected.hops[i].src) && detail.includes(expected.hops[i].dst),
    });
  }
  // keyboard: focus a hop and press Enter
  if (expected.hops.length) {
    await page.locator('#hop-path [data-hop-index="0"]').focus();
    await page.keyboard.press("Enter");
    result.keyboard_detail = ((await page.locator("#hop-detail h3").textContent()) || "").trim();
  }

  // tables: row counts, filtering, sorting
  result.tables = {};
  for (const id of Object.keys(expected.tables || {})) {
    result.tables[id] = await page.locator(`#${id} tbody tr`).count();
  }
  if (expected.filter) {
    const { table, term } = expected.filter;
    const input = page.locator(`#${table} input[type=search]`);
    const t = Date.now();
    await input.fill(term);
    await page.waitForFunction((id) => /of/.test(document.querySelector(`#${id} .count`).textContent), table, { timeout: 5000 }).catch(() => {});
    result.filter = {
      ms: Date.now() - t,
      visible: await page.locator(`#${table} tbody tr:not([hidden])`).count(),
      count_text: await page.locator(`#${table} .count`).textContent(),
    };
    await input.fill("");
    // sorting happens in the click handler: time it inside the page, layout included
    const sortBy = (id) => page.evaluate((id) => {
      const t = performance.now();
      document.querySelector(`#${id} thead th button`).click();
      void document.body.offsetHeight;
      return performance.now() - t;
    }, id);
    const firstColumn = (id) => page.evaluate((id) => Array.from(document.querySelectorAll(`#${id} tbody tr td:first-child`), (td) => td.textContent), id);
    const ms1 = await sortBy(table);
    const asc = await firstColumn(table);
    const ms2 = await sortBy(table);
    const desc = await firstColumn(table);
    result.sort = {
      ms: Math.round(ms1 + ms2),
      ascending: asc.every((v, i) => i === 0 || asc[i - 1].localeCompare(v, "en", { numeric: true }) <= 0 || asc[i - 1].toLowerCase() <= v.toLowerCase()),
      reversed: JSON.stringify([...asc].reverse()) === JSON.stringify(desc) || asc.length < 2 || new Set(asc).size < asc.length,
      aria: await page.locator(`#${table} thead th`).first().getAttribute("aria-sort"),
    };
  }

  // the timeline: bars, zoom, hop marks
  result.timeline = await page.evaluate(() => ({
    bars: document.querySelectorAll("#timeline rect.bar-login, #timeline rect.bar-fail").length,
    marks: document.querySelectorAll("#timeline [data-hop-mark]").length,
    range: (document.querySelector("#timeline .range") || {}).textContent || "",
    empty: !!document.querySelector("#timeline .empty"),
  }));
  if (!result.timeline.empty) {
    await page.locator("#timeline .chart").focus();
    await page.keyboard.press("+");
    await page.keyboard.press("+");
    result.timeline.zoomed_range = await page.locator("#timeline .range").textContent();
    await page.keyboard.press("0");
    result.timeline.reset_range = await page.locator("#timeline .range").textContent();
    // drag across a period, then the mouse wheel
    const chart = page.locator("#timeline .chart");
    await chart.scrollIntoViewIfNeeded();
    const box = await chart.boundingBox();
    const mid = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width * 0.3, mid);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, mid, { steps: 5 });
    await page.mouse.up();
    result.timeline.dragged_range = await page.locator("#timeline .range").textContent();
    await page.locator("#timeline button", { hasText: "Reset" }).click();
    const box2 = await chart.boundingBox();
    await page.mouse.move(box2.x + box2.width * 0.5, box2.y + box2.height / 2);
    await page.mouse.wheel(0, -400);
    await page.waitForTimeout(50);
    result.timeline.wheel_range = await page.locator("#timeline .range").textContent();
    await page.locator("#timeline button", { hasText: "Reset" }).click();
  }
  // a row of the hop table selects its hop
  if (expected.hops.length > 1) {
    await page.locator('#hop-table tbody tr[data-hop="1"]').click();
    result.row_detail = ((await page.locator("#hop-detail h3").textContent()) || "").trim();
  }

  // untrusted strings read as text; nothing they hold became markup
  const bodyText = await page.evaluate(() => document.body.innerText);
  result.text_missing = (expected.text || []).filter((t) => !bodyText.includes(t));
  result.img_elements = await page.locator("img").count();
  result.script_elements = await page.locator("script").count();
  result.pwned = await page.evaluate(() => window.__pwned === true);
  result.summary = ((await page.locator("#summary").textContent()) || "").trim();
  result.h1 = ((await page.locator("h1").textContent()) || "").trim();

  // a narrow window: the page itself does not scroll sideways
  await page.setViewportSize({ width: 420, height: 800 });
  await page.waitForTimeout(150);
  result.narrow_overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (expected.narrow_screenshot) {
    await page.screenshot({ path: expected.narrow_screenshot, fullPage: false });
    result.narrow_screenshot = pngSize(expected.narrow_screenshot);
  }
  await page.setViewportSize({ width: 1280, height: 800 });

  // printed to PDF
  if (expected.pdf) {
    await page.emulateMedia({ media: "print" });
    result.print_hidden_toc = await page.evaluate(() => getComputedStyle(document.querySelector(".toc")).display === "none");
    result.print_svg_fits = await page.evaluate(() => {
      const s = document.getElementById("hop-path");
      return !s || s.getBoundingClientRect().width <= document.documentElement.clientWidth + 1;
    });
    await page.pdf({ path: expected.pdf, format: "A4", printBackground: true });
    const pdf = readFileSync(expected.pdf);
    result.pdf = { bytes: statSync(expected.pdf).size, magic: pdf.toString("latin1", 0, 5) };
  }
} catch (e) {
  result.error = String(e && e.stack || e);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(result, null, 1) + "\n");
