import fs from "node:fs";
import path from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { expect, type Page } from "@playwright/test";
import { E2E } from "./env";
import { lastSent, type Holder } from "./stack";

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 360, height: 740 };

/** Serious or critical axe violations of the page as it is now (WCAG 2.x A/AA rules). */
async function axeSerious(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** Waits until no CSS transition or animation runs (a dialog fading in has, for a moment, colours
 * that axe would measure half-transparent). */
async function settle(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await Promise.all(document.getAnimations().map((animation) => animation.finished.catch(() => undefined)));
  });
}

async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/**
 * The quality bars of WEB.md on the page as it is now: axe-core with no serious or critical
 * violation, at 1280 px and at 360 px; no horizontal scroll at 360 px; a screenshot of each width
 * in web/screenshots. Each page audited is recorded in test-results/pages/ for `make bench`.
 */
export async function audit(page: Page, name: string): Promise<void> {
  await page.waitForLoadState("networkidle");
  fs.mkdirSync(E2E.screenshots, { recursive: true });
  const original = page.viewportSize() ?? DESKTOP;
  await page.setViewportSize(DESKTOP);
  await settle(page);
  const desktop = await axeSerious(page);
  await page.screenshot({ path: path.join(E2E.screenshots, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  await page.waitForTimeout(100);
  await settle(page);
  const phone = await axeSerious(page);
  const overflow = await horizontalOverflow(page);
  await page.screenshot({ path: path.join(E2E.screenshots, `${name}-360.png`), fullPage: true });
  await page.setViewportSize(original);
  const record = path.join(E2E.results, "pages");
  fs.mkdirSync(record, { recursive: true });
  fs.writeFileSync(path.join(record, `${name}.json`),
    JSON.stringify({ page: name, axe_serious: desktop.length + phone.length, overflow_px: overflow }));
  expect(desktop, `axe at 1280 px on ${name}`).toEqual([]);
  expect(phone, `axe at 360 px on ${name}`).toEqual([]);
  expect(overflow, `horizontal scroll at 360 px on ${name}`).toBeLessThanOrEqual(0);
}

/** Logs a holder in through the page, the one-time code read from the outbox. */
export async function login(page: Page, holder: Holder): Promise<void> {
  await page.goto("/connexion");
  await page.getByLabel("Identifiant").fill(holder.login);
  await page.getByLabel("Mot de passe").fill(holder.password);
  await page.getByRole("button", { name: "Se connecter" }).click();
  const otpField = page.getByLabel("Code à usage unique");
  await expect(otpField).toBeVisible();
  await otpField.fill(await lastSent(holder.email, "otp"));
  await page.getByRole("button", { name: "Valider" }).click();
  await expect(page.getByRole("button", { name: "Se déconnecter" })).toBeVisible();
}

/** Nothing a holder typed or was sent may stay in the browser's storage or the address (WEB.md). */
export async function expectNothingStored(page: Page, secrets: string[]): Promise<void> {
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  const cookies = JSON.stringify(await page.context().cookies());
  for (const secret of secrets.filter(Boolean)) {
    expect(stored).not.toContain(secret);
    expect(page.url()).not.toContain(secret);
    expect(cookies).not.toContain(secret);
  }
}

/** Keyboard only: presses Tab (at most `max` times) until `target` has the focus. */
export async function tabTo(page: Page, target: import("@playwright/test").Locator, max = 60): Promise<void> {
  for (let i = 0; i < max; i += 1) {
    if (await target.evaluate((element) => element === document.activeElement).catch(() => false)) return;
    await page.keyboard.press("Tab");
  }
  await expect(target, `reached by Tab within ${max} presses`).toBeFocused();
}
