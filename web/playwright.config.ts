import { defineConfig, devices } from "@playwright/test";
import { E2E } from "./e2e/support/env";

/**
 * The browser suite: Debian's Chromium (no browser download: none is reachable here) driving the
 * real local stack — moto, the API and the built page — started by `webServer` on ports of its own,
 * so it runs beside `make run` and the Python tests.
 */
export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results",
  fullyParallel: true,
  workers: process.env.MES_E2E_WORKERS ? Number(process.env.MES_E2E_WORKERS) : 2,
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 15_000 },
  reporter: [["list"], ["json", { outputFile: "test-results/results.json" }]],
  globalSetup: "./e2e/support/setup.ts",
  globalTeardown: "./e2e/support/teardown.ts",
  use: {
    baseURL: E2E.web,
    locale: "fr-FR",
    timezoneId: "Europe/Paris",
    trace: "off",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.MES_CHROMIUM ?? "/usr/bin/chromium",
      // The browser's own language (date fields, messages): French, as for the holders (chromium-l10n).
      env: { ...process.env, LANG: "fr_FR.UTF-8", LANGUAGE: "fr" },
      args: [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--lang=fr-FR",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
      ],
    },
  },
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"], channel: undefined } }],
  webServer: {
    // Its output goes to a file that teardown.ts scans for leaks (and that a failure can be read in).
    command: `mkdir -p ${E2E.work} && exec ${E2E.python} -m mes_local.stack > ${E2E.work}/stack.log 2>&1`,
    cwd: E2E.root,
    url: `${E2E.web}robots.txt`,
    timeout: 240_000,
    reuseExistingServer: false,
    stdout: "ignore",
    stderr: "pipe",
    env: {
      MES_AWS_ENDPOINT: E2E.aws,
      MES_API_PORT: String(E2E.apiPort),
      MES_WEB_PORT: String(E2E.webPort),
      MES_DEMO: "1",
    },
  },
});
