import fs from "node:fs";
import { expect, test, type Page } from "@playwright/test";
import { audit, expectNothingStored, login } from "./support/page";
import { lastSent, newChild, newHolder, newPerson, type Person } from "./support/stack";

/** The NIR as printed on a card, in groups: the page takes it with or without spaces. */
const spaced = (nir: string) => `${nir[0]} ${nir.slice(1, 3)} ${nir.slice(3, 5)} ${nir.slice(5, 7)} ${nir.slice(7, 10)} ${nir.slice(10, 13)} ${nir.slice(13)}`;

async function identityFields(page: Page, person: Pick<Person, "nir" | "birth_date" | "vitale_serial">) {
  await page.getByLabel("Numéro de sécurité sociale").fill(spaced(person.nir));
  await page.getByLabel("Date de naissance").fill(person.birth_date);
  await page.getByLabel("Numéro de série de la carte Vitale").fill(person.vitale_serial);
}

async function identify(page: Page, person: Person, code = person.code ?? "") {
  await identityFields(page, person);
  await page.getByLabel("Code provisoire").fill(code);
  await page.getByRole("button", { name: "Continuer" }).click();
}

test("opposition: identification with the serial's help, the dialog, the receipt and its PDF", async ({ page }) => {
  const person = await newPerson();
  await page.goto("/");
  await page.getByRole("link", { name: "M’opposer à la création de mon espace santé" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "M’opposer à la création de mon espace santé" })).toBeVisible();
  // Where the serial is, with and without photo, and which digits (the seeds' complaint).
  await page.getByRole("button", { name: "Où trouver le numéro de série de ma carte Vitale ?" }).click();
  await expect(page.getByRole("img", { name: /Carte avec photo.*11 derniers chiffres/ })).toBeVisible();
  await expect(page.getByRole("img", { name: /Carte sans photo.*tous ses chiffres/ })).toBeVisible();
  await audit(page, "opposition-identification");

  // A wrong code: one message for the form, the same whichever field is wrong (no field named).
  await identify(page, person, "AAAAAAAAAAAA");
  const refused = page.getByRole("alert").filter({ hasText: "Les informations saisies ne permettent pas de vous identifier" });
  await expect(refused).toBeVisible();
  await expect(page.getByLabel("Code provisoire")).not.toHaveAccessibleDescription(/identifier/);
  await audit(page, "opposition-identification-refused");

  await page.getByLabel("Code provisoire").fill(person.code ?? "");
  await page.getByRole("button", { name: "Continuer" }).click();
  const oppose = page.getByRole("button", { name: "Confirmer mon opposition" });
  await expect(oppose).toBeVisible();
  await audit(page, "opposition-confirm");
  await oppose.click();
  const dialog = page.getByRole("dialog", { name: "Confirmer votre opposition" });
  await expect(dialog).toBeVisible();
  await expect(dialog).toHaveCSS("opacity", "1"); // the DSFR fades the dialog in: audit it once shown
  await audit(page, "opposition-dialog");
  await dialog.getByRole("button", { name: "Confirmer", exact: true }).click();

  await expect(page.getByText("Votre opposition est enregistrée")).toBeVisible();
  const receiptId = (await page.locator("dd code").textContent())?.trim() ?? "";
  expect(receiptId).not.toBe("");
  await expect(page.getByText(/\d{1,2} \S+ 20\d\d à \d\d:\d\d/)).toBeVisible();
  await audit(page, "opposition-receipt");

  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Télécharger le justificatif" }).click(),
  ]);
  expect(download.suggestedFilename()).toBe(`justificatif-opposition-${receiptId}.pdf`);
  const bytes = fs.readFileSync(await download.path());
  expect(bytes.subarray(0, 5).toString("latin1")).toBe("%PDF-");
  expect(bytes.toString("latin1")).toContain(receiptId); // the receipt of this opposition (uncompressed text)
  await expectNothingStored(page, [person.nir, person.code ?? "", person.vitale_serial]);
});

test("activation: a wrong e-mail beside its field, the codes by e-mail and SMS, then the login by SMS", async ({ page }) => {
  const person = await newPerson();
  await page.goto("/");
  await page.getByRole("link", { name: "Activer mon espace santé" }).click();
  await identify(page, person);
  const email = page.getByLabel("Adresse e-mail");
  await expect(email).toBeVisible();
  await email.fill("camille@exemple");
  await page.getByLabel("Numéro de téléphone portable").fill(person.mobile);
  await page.getByRole("radio", { name: "SMS" }).check({ force: true });
  const login = `e2e.${Date.now().toString(36)}`;
  await page.getByLabel("Identifiant").fill(login);
  const password = page.getByLabel("Mot de passe", { exact: true });
  await password.fill("court");
  await expect(page.getByText("entre 12 et 128 caractères")).toHaveClass(/fr-message--error/);
  const secret = "une phrase de passe pour le test";
  await password.fill(secret);
  await expect(page.getByText("entre 12 et 128 caractères")).toHaveClass(/fr-message--valid/);
  await page.getByRole("button", { name: "Lire les conditions générales d’utilisation" }).click();
  const terms = page.getByRole("dialog", { name: "Conditions générales d’utilisation" });
  await expect(terms).toHaveCSS("opacity", "1");
  await audit(page, "activation-terms");
  await terms.getByRole("button", { name: "Fermer" }).click();
  await expect(terms).toBeHidden();
  await page.getByRole("checkbox", { name: "J’accepte les conditions générales d’utilisation" }).check({ force: true });
  await page.getByRole("button", { name: "Valider" }).click();
  await expect(email).toHaveAccessibleDescription(/adresse e-mail est invalide/);
  await audit(page, "activation-form-error");

  await email.fill(person.email);
  await page.getByRole("button", { name: "Valider" }).click();
  const byEmail = page.getByLabel("Code reçu par e-mail");
  await expect(byEmail).toBeVisible();
  await expect(page.getByLabel("Code reçu par SMS")).toBeVisible();
  await audit(page, "activation-codes");
  const emailOtp = await lastSent(person.email, "otp");
  const smsOtp = await lastSent(person.mobile, "otp");
  await byEmail.fill(emailOtp);
  await page.getByLabel("Code reçu par SMS").fill(smsOtp);
  await page.getByRole("button", { name: "Activer mon espace santé" }).click();
  await expect(page.getByText("Votre espace santé est activé")).toBeVisible();
  await audit(page, "activation-done");
  await expectNothingStored(page, [person.nir, person.code ?? "", secret, emailOtp, smsOtp]);

  // The codes of connection go by SMS, as chosen.
  await page.getByRole("link", { name: "Se connecter" }).click();
  await page.getByLabel("Identifiant").fill(login);
  await page.getByLabel("Mot de passe").fill(secret);
  await page.getByRole("button", { name: "Se connecter" }).click();
  await expect(page.getByText("Un code à usage unique vous a été envoyé par SMS")).toBeVisible();
  await page.getByLabel("Code à usage unique").fill(await lastSent(person.mobile, "otp"));
  await page.getByRole("button", { name: "Valider" }).click();
  await expect(page.getByRole("button", { name: "Se déconnecter" })).toBeVisible();
});

test("a new code: the same neutral message whoever asks, the code only to the contact on file", async ({ page }) => {
  const person = await newPerson();
  const ask = async (who: Pick<Person, "nir" | "birth_date" | "vitale_serial">) => {
    await page.goto("/");
    await page.getByRole("link", { name: "Recevoir un nouveau code" }).click();
    await identityFields(page, who);
    await page.getByRole("radio", { name: "E-mail" }).check({ force: true });
    await page.getByRole("button", { name: "Recevoir un nouveau code" }).click();
    const message = page.getByText(/un nouveau code vient d'être envoyé/);
    await expect(message).toBeVisible();
    return message.textContent();
  };
  await page.goto("/nouveau-code");
  await audit(page, "new-code");
  // Somebody else's birth date: nothing is sent, and the page says exactly the same.
  const other = await ask({ ...person, birth_date: "1950-01-01" });
  expect(await lastSent(person.email, "code")).toBe(person.code);
  const mine = await ask(person);
  expect(mine).toBe(other);
  await audit(page, "new-code-sent");
  const renewed = await lastSent(person.email, "code");
  expect(renewed).not.toBe(person.code);
  await expectNothingStored(page, [person.nir, renewed]);
});

test("a child: added with its code, then its espace through the switch", async ({ page }) => {
  const holder = await newHolder();
  const child = await newChild(holder);
  const code = await lastSent(holder.email, "code");
  await login(page, holder);
  await page.getByRole("link", { name: "Ajouter un enfant" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Ajouter un enfant" })).toBeVisible();
  await audit(page, "add-child");
  await identify(page, child, code);
  await expect(page.getByText(`L’espace de ${child.first_name} est ajouté`)).toBeVisible();
  await audit(page, "add-child-done");
  await page.getByRole("button", { name: `Espace de ${child.first_name}` }).click();
  await expect(page.getByText(`Espace affiché : ${child.first_name}`)).toBeVisible();
  await page.getByRole("link", { name: "Historique des accès" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Historique des accès" })).toBeVisible();
  await expect(page.getByText(`Espace affiché : ${child.first_name}`)).toBeVisible();
  await audit(page, "child-access-log");
  await expectNothingStored(page, [child.nir, code, holder.password]);
});
