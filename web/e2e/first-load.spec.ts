import fs from "node:fs";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { E2E } from "./support/env";

/**
 * WEB.md: the first load of the home page is at most 250 KB of JS + CSS as transferred, compressed as
 * CloudFront serves it (the local server gzips too), fonts apart. Measured in the browser from the
 * Resource Timing entries of a cold load (empty cache), and written for `make bench`.
 */
test("the home page's first load is at most 250 KB of compressed JS and CSS", async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto("/", { waitUntil: "networkidle" });
  const entries = await page.evaluate(() =>
    (performance.getEntriesByType("resource") as PerformanceResourceTiming[]).map((e) => ({
      name: e.name, transfer: e.transferSize, encoded: e.encodedBodySize, decoded: e.decodedBodySize,
    })),
  );
  await context.close();
  const code = entries.filter((e) => /\.(m?js|css)(\?|$)/.test(new URL(e.name).pathname));
  expect(code.length).toBeGreaterThan(1);
  // Compressed on the wire (every file over 1 KB): what came over is smaller than what was decoded.
  const large = code.filter((e) => e.decoded > 1024);
  expect(large.filter((e) => e.encoded >= e.decoded).map((e) => e.name), "gzip on JS and CSS").toEqual([]);
  const kb = Math.round((code.reduce((sum, e) => sum + e.encoded, 0) / 1024) * 10) / 10;
  fs.mkdirSync(path.join(E2E.results, "figures"), { recursive: true });
  fs.writeFileSync(path.join(E2E.results, "figures", "first_load.json"),
    JSON.stringify({ first_load_kb: kb, files: code.map((e) => [new URL(e.name).pathname, e.encoded]) }, null, 1));
  expect(kb).toBeLessThanOrEqual(250);
});
