import fs from "node:fs";
import { expect, test, type Page } from "@playwright/test";
import { audit, expectNothingStored, login } from "./support/page";
import { lastSent, newHolder, type Holder } from "./support/stack";

/** DSFR radios, checkboxes and switches draw over their input: `check({ force: true })`.
 * WEB.md 12 "Paramètres", "Session" and BR-14: one journey each for the settings and the export,
 * the session that ends server-side, and the closure. */

async function openSettings(page: Page) {
  await page.getByRole("link", { name: "Paramètres" }).click();
  await expect(page.getByRole("heading", { name: "Paramètres", level: 1 })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Préférences" })).toBeVisible();
}

/** The login page filled in, the code read from the outbox of `to` (e-mail or mobile). */
async function loginWithCode(page: Page, holder: Holder, to: string) {
  await page.getByLabel("Identifiant").fill(holder.login);
  await page.getByLabel("Mot de passe").fill(holder.password);
  await page.getByRole("button", { name: "Se connecter" }).click();
  const otp = page.getByLabel("Code à usage unique");
  await expect(otp).toBeVisible();
  await otp.fill(await lastSent(to, "otp"));
  await page.getByRole("button", { name: "Valider" }).click();
}

test("settings: each change saved and kept after a reload; the export gives a zip", async ({ page }) => {
  const holder = await newHolder({ mobile: true });
  await login(page, holder);
  await openSettings(page);
  await audit(page, "settings");

  await page.getByLabel("Nouveaux messages", { exact: true }).uncheck({ force: true });
  await expect(page.getByText("Notifications « Nouveaux messages » désactivées.")).toBeVisible();
  await page.getByLabel("SMS", { exact: true }).check({ force: true });
  await expect(page.getByText("Vos codes de connexion vous seront envoyés par SMS.")).toBeVisible();
  await page.getByLabel("Masquer par défaut les nouveaux documents").check({ force: true });
  await expect(page.getByText("Les nouveaux documents seront masqués par défaut.")).toBeVisible();
  await audit(page, "settings-saved");

  await page.reload();
  await expect(page.getByRole("heading", { name: "Préférences" })).toBeVisible();
  await expect(page.getByLabel("Nouveaux messages", { exact: true })).not.toBeChecked();
  await expect(page.getByLabel("Nouveaux documents", { exact: true })).toBeChecked();
  await expect(page.getByLabel("SMS", { exact: true })).toBeChecked();
  await expect(page.getByLabel("Masquer par défaut les nouveaux documents")).toBeChecked();

  await page.getByRole("button", { name: "Télécharger mes données" }).click();
  const link = page.getByRole("link", { name: "Télécharger l’archive" });
  await expect(link).toBeVisible({ timeout: 60_000 });
  const href = (await link.getAttribute("href")) ?? "";
  expect(href).toMatch(/^https?:\/\//);
  expect(href).not.toContain(holder.nir);
  await audit(page, "settings-export-ready");
  const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
  expect(download.suggestedFilename()).toMatch(/\.zip$/);
  const bytes = fs.readFileSync(await download.path());
  expect(bytes.subarray(0, 2).toString("latin1")).toBe("PK");
  await expectNothingStored(page, [holder.password, holder.nir]);
});

test("a session ended server-side sends the holder to the login, then back to the same page", async ({ page }) => {
  const holder = await newHolder();
  await login(page, holder);
  const call = page.waitForRequest((r) => r.url().includes("/api/espaces/") && !!r.headers()["authorization"]);
  await openSettings(page);
  const authorization = (await call).headers()["authorization"];
  // Logged out from elsewhere with the same session cookie and token (what another tab's "Se
  // déconnecter" does): the token is revoked and the session ended on the server, not in the page.
  const cookie = (await page.context().cookies()).find((c) => c.name === "mes_session");
  expect(cookie).toBeTruthy();
  const out = await fetch(new URL("/api/auth/logout", page.url()), {
    method: "POST", headers: { Authorization: authorization, Cookie: `mes_session=${cookie!.value}` },
  });
  expect(out.status).toBe(204);

  // The next action of the page gets 401, the renewal fails: the login, with the address kept.
  await page.getByLabel("Nouveaux documents", { exact: true }).uncheck({ force: true });
  await expect(page).toHaveURL(/\/connexion$/);
  await expect(page.getByText("Votre session a expiré")).toBeVisible();
  await audit(page, "login-expired");
  await loginWithCode(page, holder, holder.email);
  await expect(page).toHaveURL(/\/espace\/parametres$/);
  await expect(page.getByRole("heading", { name: "Préférences" })).toBeVisible();
  // Nothing was replayed behind the holder's back: the refused change is not saved.
  await expect(page.getByLabel("Nouveaux documents", { exact: true })).toBeChecked();
  await expectNothingStored(page, [holder.password, holder.nir]);
});

test("closure: password, deletion choice, the dialog, the home page says what follows, the login is refused",
  async ({ page }) => {
    const holder = await newHolder();
    await login(page, holder);
    await openSettings(page);
    await page.getByLabel("Supprimer mes données").check({ force: true });
    const password = page.getByLabel("Mot de passe");
    await page.getByRole("button", { name: "Clôturer mon espace santé" }).click();
    await expect(page.getByText("Saisissez votre mot de passe pour clôturer l’espace.")).toBeVisible();
    await password.fill("pas le bon mot de passe");
    await page.getByRole("button", { name: "Clôturer mon espace santé" }).click();
    const dialog = page.getByRole("dialog", { name: "Clôturer cet espace santé ?" });
    await expect(dialog).toBeVisible();
    await dialog.getByRole("button", { name: "Confirmer" }).click();
    await expect(page.getByText("Mot de passe incorrect.")).toBeVisible();
    await audit(page, "settings-closure-error");

    await password.fill(holder.password);
    await page.getByRole("button", { name: "Clôturer mon espace santé" }).click();
    await expect(dialog).toBeVisible();
    await expect(dialog).toContainText("supprimées dans un délai de 30 jours");
    await audit(page, "settings-closure-dialog");
    await dialog.getByRole("button", { name: "Confirmer" }).click();

    await expect(page.getByText("Votre espace santé est clôturé")).toBeVisible();
    expect(new URL(page.url()).pathname).toBe("/");
    await expect(page.getByText(/supprimées définitivement au plus tard le \d+/)).toBeVisible();
    await expect(page.getByRole("button", { name: "Se déconnecter" })).toHaveCount(0);
    await audit(page, "home-closed");
    await expectNothingStored(page, [holder.password, holder.nir]);

    await page.getByRole("link", { name: "Se connecter" }).click();
    await page.getByLabel("Identifiant").fill(holder.login);
    await page.getByLabel("Mot de passe").fill(holder.password);
    await page.getByRole("button", { name: "Se connecter" }).click();
    await expect(page.getByRole("alert")).toContainText("Les informations saisies ne permettent pas de vous identifier");
    await expect(page.getByLabel("Code à usage unique")).toHaveCount(0);
    await audit(page, "login-closed");
  });
