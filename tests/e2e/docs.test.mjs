// The API reference page: /docs renders the served OpenAPI document with
// Swagger UI (static assets, no CDN) in a real Chromium, under its strict
// Content-Security-Policy, with every path of the document on the page.
// Saves build/screenshots/api-reference.png (`make docs-screenshot` copies
// it to docs/api-reference.png for the README).
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { chromium } from "playwright-core";
import { ROOT, startWorker } from "./harness.mjs";

describe("the API reference page", () => {
  let worker;
  let browser;

  before(async () => {
    worker = await startWorker();
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
      // A host name that is not localhost (Swagger UI shows its online
      // validator badge on any other), resolved to this machine.
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--host-resolver-rules=MAP docs.example 127.0.0.1"],
    });
  });

  after(async () => {
    await browser?.close();
    await worker?.stop();
  });

  test("/docs shows every path of /openapi.json, offline and within its CSP", async () => {
    const document = await (await fetch(`${worker.url}/openapi.json`)).json();
    const docs = await fetch(`${worker.url}/docs/`);
    assert.equal(docs.status, 200);
    assert.match(docs.headers.get("content-security-policy"), /script-src 'self'/);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = [];
    page.on("console", (message) => message.type() === "error" && problems.push(message.text()));
    page.on("pageerror", (error) => problems.push(String(error)));
    const elsewhere = [];
    page.on("request", (request) => {
      if (!request.url().startsWith(worker.url) && !request.url().startsWith("data:")) elsewhere.push(request.url());
    });
    await page.goto(`${worker.url}/docs`);
    await page.waitForSelector(".opblock", { timeout: 30_000 });
    const shown = await page.$$eval(".opblock-summary-path", (nodes) => nodes.map((n) => n.getAttribute("data-path") || n.textContent));
    const methods = await page.$$eval(".opblock-summary-method", (nodes) => nodes.map((n) => n.textContent.trim().toLowerCase()));
    let operations = 0;
    for (const [route, item] of Object.entries(document.paths)) {
      assert.ok(shown.some((text) => text.replace(/\u200b/g, "") === route), `${route} is not on the page`);
      operations += Object.keys(item).length;
    }
    assert.equal(methods.length, operations, "one block per operation");
    assert.ok(await page.getByText(document.info.title).first().isVisible());
    assert.deepEqual(problems, [], "no console errors or CSP violations");
    assert.deepEqual(elsewhere, [], "nothing is loaded from another origin");

    // On a host that is not localhost, as deployed: still nothing from elsewhere.
    const deployed = new URL(worker.url);
    deployed.hostname = "docs.example";
    const remote = await browser.newPage();
    const remoteProblems = [];
    const remoteElsewhere = [];
    remote.on("console", (message) => message.type() === "error" && remoteProblems.push(message.text()));
    remote.on("request", (request) => {
      if (!request.url().startsWith(deployed.origin) && !request.url().startsWith("data:")) remoteElsewhere.push(request.url());
    });
    await remote.goto(`${deployed.origin}/docs`);
    await remote.waitForSelector(".opblock", { timeout: 30_000 });
    await remote.waitForTimeout(500);
    assert.deepEqual(remoteProblems, [], "no console errors or CSP violations on a deployed host");
    assert.deepEqual(remoteElsewhere, [], "nothing is loaded from another origin on a deployed host");
    assert.equal(await remote.locator(".errors-wrapper, img[src*='validator']").count(), 0);

    const dir = path.join(ROOT, "build", "screenshots");
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: path.join(dir, "api-reference.png") });
  });
});
