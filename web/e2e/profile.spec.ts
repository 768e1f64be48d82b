import { expect, test, type Locator, type Page } from "@playwright/test";
import { audit, expectNothingStored, login } from "./support/page";
import { lastSent, newHolder } from "./support/stack";
import { E2E } from "./support/env";
import path from "node:path";

/** A local date `days` ago, as an <input type="date"> takes it. */
function daysAgo(days: number): string {
  const d = new Date();
  d.setDate(d.getDate() - days);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** What the API answers a request whose token has expired (then the renewal fails with `expired`). */
const tokenRefused = {
  status: 401, contentType: "application/problem+json",
  body: JSON.stringify({ type: "about:blank", title: "Unauthorized", status: 401, code: "unauthorized",
    detail: "Authentification requise." }),
};
const expired = {
  status: 401, contentType: "application/problem+json",
  body: JSON.stringify({ type: "about:blank", title: "Session expirée", status: 401, code: "session_expired",
    detail: "Votre session a expiré. Reconnectez-vous." }),
};

const section = (page: Page, name: string) => page.getByRole("form", { name, exact: true });
const row = (form: Locator, name: string) => form.getByRole("group", { name, exact: true });

async function save(form: Locator, title: string): Promise<void> {
  await form.getByRole("button", { name: `Enregistrer la section « ${title} »` }).click();
  await expect(form.getByText(`Section « ${title} » enregistrée.`)).toBeVisible();
}

async function addMeasure(page: Page, type: string, value: string, date: string): Promise<void> {
  await page.getByRole("button", { name: "Ajouter une mesure" }).click();
  await page.getByLabel("Type de mesure").selectOption(type);
  await page.getByLabel("Valeur").fill(value);
  await page.getByLabel("Date de la mesure").fill(date);
  await page.getByRole("button", { name: "Enregistrer la mesure" }).click();
}

test("profil médical: sections saved one at a time, an error next to its field, weights on a chart, an edit kept across an expired session", async ({ page }) => {
  const holder = await newHolder();
  await login(page, holder);
  await page.getByRole("link", { name: "Profil médical" }).first().click();
  await expect(page.getByRole("heading", { name: "Profil médical", level: 1 })).toBeVisible();
  const vaccinations = section(page, "Vaccinations");
  await expect(vaccinations).toBeVisible();
  await audit(page, "profile");

  // Vaccinations by disease (BR-19): one with the vaccine's name, one without; the second dated in the
  // future first: the API's error (field items.1.date) shows next to that row's date, in French.
  await vaccinations.getByRole("button", { name: "Ajouter une vaccination" }).click();
  await vaccinations.getByRole("button", { name: "Ajouter une vaccination" }).click();
  const first = row(vaccinations, "Vaccination 1");
  await first.getByLabel("Maladie(s)").fill("Tétanos, diphtérie, poliomyélite");
  await first.getByLabel("Nom du vaccin").fill("Revaxis");
  await first.getByLabel("Date de la vaccination").fill("2019-05");
  const second = row(vaccinations, "Vaccination 2");
  await second.getByLabel("Maladie(s)").fill("Grippe");
  await second.getByLabel("Date de la vaccination").fill("2099");
  await vaccinations.getByRole("button", { name: "Enregistrer la section « Vaccinations »" }).click();
  const wrong = second.locator(".fr-input-group--error");
  await expect(wrong).toHaveCount(1);
  await expect(wrong.getByLabel("Date de la vaccination")).toBeVisible();
  await expect(wrong).toContainText("Date de la vaccination (vaccination 2)");
  await expect(wrong).toContainText("la date ne peut pas être dans le futur");
  await expect(first.locator(".fr-input-group--error")).toHaveCount(0);
  await audit(page, "profile-error");
  await second.getByLabel("Date de la vaccination").fill(String(new Date().getFullYear() - 1));
  await save(vaccinations, "Vaccinations");
  await expect(wrong).toHaveCount(0);

  // Allergies (severity from its list), blood group, trusted person: each section on its own.
  const allergies = section(page, "Allergies et intolérances");
  await allergies.getByRole("button", { name: "Ajouter une allergie" }).click();
  await row(allergies, "Allergie 1").getByLabel("Allergie ou intolérance").fill("Pénicilline");
  await row(allergies, "Allergie 1").getByLabel("Type d’allergie").selectOption("medication");
  await row(allergies, "Allergie 1").getByLabel("Gravité").selectOption("severe");
  await save(allergies, "Allergies et intolérances");
  const blood = section(page, "Groupe sanguin");
  await blood.getByLabel(/^Groupe ABO/).selectOption("A");
  await blood.getByLabel("Rhésus").selectOption("+");
  await save(blood, "Groupe sanguin");
  const trusted = section(page, "Personne de confiance");
  await trusted.getByLabel("Prénom").fill("Hélène");
  await trusted.getByLabel(/^Nom/).fill("Durand");
  await trusted.getByLabel("Téléphone").fill("06 12 34 56 78");
  await save(trusted, "Personne de confiance");

  // A reload reads everything back from the API.
  await page.reload();
  await expect(row(section(page, "Vaccinations"), "Vaccination 1").getByLabel("Nom du vaccin")).toHaveValue("Revaxis");
  await expect(row(section(page, "Vaccinations"), "Vaccination 2").getByLabel("Nom du vaccin")).toHaveValue("");
  await expect(row(section(page, "Vaccinations"), "Vaccination 2").getByLabel("Maladie(s)")).toHaveValue("Grippe");
  await expect(row(section(page, "Allergies et intolérances"), "Allergie 1").getByLabel("Gravité")).toHaveValue("severe");
  await expect(section(page, "Groupe sanguin").getByLabel("Rhésus")).toHaveValue("+");
  await expect(section(page, "Personne de confiance").getByLabel("Prénom")).toHaveValue("Hélène");

  // Measurements: the unit follows the type; an impossible weight is refused next to "Valeur".
  await page.getByRole("button", { name: "Ajouter une mesure" }).click();
  await page.getByLabel("Type de mesure").selectOption("weight");
  await expect(page.locator(".mes-unit")).toHaveText("kg");
  await page.getByLabel("Valeur").fill("7250");
  await page.getByLabel("Date de la mesure").fill(daysAgo(60));
  await page.getByRole("button", { name: "Enregistrer la mesure" }).click();
  const valueGroup = page.locator(".fr-input-group--error").filter({ has: page.getByLabel("Valeur") });
  await expect(valueGroup).toContainText("Le poids");
  await audit(page, "profile-measure-form");
  await page.getByLabel("Valeur").fill("72,5");
  await page.getByRole("button", { name: "Enregistrer la mesure" }).click();
  await expect(page.getByText("Mesure enregistrée : Poids, 72,5 kg.")).toBeVisible();
  await addMeasure(page, "weight", "71,8", daysAgo(30));
  await expect(page.getByText("Mesure enregistrée : Poids, 71,8 kg.")).toBeVisible();
  await addMeasure(page, "weight", "70.4", daysAgo(0));
  await expect(page.getByText("Mesure enregistrée : Poids, 70,4 kg.")).toBeVisible();

  // The chart (a canvas) and its text alternative: a caption and the values as a table.
  const chart = page.getByRole("figure", { name: /^Poids \(kg\) : 3 mesures/ });
  await expect(chart).toBeVisible();
  await expect(chart.locator("canvas").first()).toBeVisible();
  const values = chart.getByRole("table");
  await expect(values).toContainText("Valeurs de la mesure « Poids »");
  await expect(values.getByRole("row")).toHaveCount(4);
  await expect(values.getByRole("row").nth(1)).toContainText("70,4 kg");
  await expect(values).toContainText("71,8 kg");
  await expect(values.getByRole("row").nth(3)).toContainText("72,5 kg");
  await expect(chart).toContainText("la dernière 70,4 kg");
  await chart.screenshot({ path: path.join(E2E.screenshots, "profile-weight-chart.png") }); // for the README

  // Blood pressure: two values in mmHg, two lines on its own chart.
  await page.getByRole("button", { name: "Ajouter une mesure" }).click();
  await page.getByLabel("Type de mesure").selectOption("blood_pressure");
  await expect(page.locator(".mes-unit").first()).toHaveText("mmHg");
  await page.getByLabel("Pression systolique").fill("135");
  await page.getByLabel("Pression diastolique").fill("85");
  await page.getByRole("button", { name: "Enregistrer la mesure" }).click();
  const pressure = page.getByRole("figure", { name: /^Tension artérielle \(mmHg\) : 1 mesure,/ });
  await expect(pressure.locator("canvas").first()).toBeVisible();
  await expect(pressure.getByRole("table")).toContainText("135/85 mmHg");

  // HbA1c (issue 12: also what PCH-01 stores for LOINC 4548-4): a series in %, one decimal.
  await addMeasure(page, "hba1c", "7,2", daysAgo(90));
  await expect(page.getByText("Mesure enregistrée : HbA1c, 7,2 %.")).toBeVisible();
  await addMeasure(page, "hba1c", "6,4", daysAgo(1));
  const hba1c = page.getByRole("figure", { name: /^HbA1c \(%\) : 2 mesures/ });
  await expect(hba1c.locator("canvas").first()).toBeVisible();
  await expect(hba1c.getByRole("table").getByRole("row").nth(1)).toContainText("6,4 %");
  await hba1c.screenshot({ path: path.join(E2E.screenshots, "profile-hba1c-chart.png") });
  await audit(page, "profile-measures");

  // The session expires while a section is being edited (the API answers 401 and the renewal fails):
  // back to the login, then back here with the unsaved edit, kept in memory only.
  const person = section(page, "Personne de confiance");
  await person.getByLabel("Lien avec vous").fill("Sœur aînée");
  await page.route("**/api/auth/refresh", (route) => route.fulfill(expired));
  await page.route("**/api/espaces/*/profile/trusted_person", (route) => route.fulfill(tokenRefused));
  await person.getByRole("button", { name: "Enregistrer la section « Personne de confiance »" }).click();
  await expect(page).toHaveURL(/\/connexion$/);
  await expect(page.getByText("Votre session a expiré")).toBeVisible();
  await expectNothingStored(page, ["Sœur aînée", "Revaxis", "Pénicilline"]);
  await page.unrouteAll();
  await page.getByLabel("Identifiant").fill(holder.login);
  await page.getByLabel("Mot de passe").fill(holder.password);
  await page.getByRole("button", { name: "Se connecter" }).click();
  await expect(page.getByLabel("Code à usage unique")).toBeVisible();
  await page.getByLabel("Code à usage unique").fill(await lastSent(holder.email, "otp"));
  await page.getByRole("button", { name: "Valider" }).click();
  await expect(page).toHaveURL(/\/espace\/profil$/);
  await expect(person.getByLabel("Lien avec vous")).toHaveValue("Sœur aînée");
  await expect(person.getByText("Vos modifications non enregistrées de cette rubrique ont été conservées")).toBeVisible();
  await expect(section(page, "Vaccinations").getByText("Vos modifications non enregistrées")).toHaveCount(0);
  await save(person, "Personne de confiance");
  await page.reload();
  await expect(section(page, "Personne de confiance").getByLabel("Lien avec vous")).toHaveValue("Sœur aînée");
});
