import { expect, test, type Page } from "@playwright/test";
import { audit, login } from "./support/page";
import { newHolder, pro, proToken } from "./support/stack";

/** axe reads colours: let the dialog's opening or closing transition end first. */
async function settled(page: Page): Promise<void> {
  await page.evaluate(() => Promise.all(document.getAnimations().map((a) => a.finished)));
}

const rpps = () => String(10_000_000_000 + Math.floor(Math.random() * 89_999_999_999));

test("professionnels de santé and historique des accès: basis, block, administrator, emergency switches", async ({ page }) => {
  const holder = await newHolder();
  const physician = { rpps: rpps(), name: "Dr Jeanne Martin" };
  const pharmacist = { rpps: rpps(), name: "Paul Lefèvre" };
  const doctor = await proToken(physician.rpps, "10", physician.name);
  const pharmacy = await proToken(pharmacist.rpps, "21", pharmacist.name);
  const patient = `/pro/patients/${holder.nir}`;
  // What the professionals' software does (BR-30, BR-35): a care-team authorisation, then the
  // physician's consent, a read of the list and a deposit.
  await pro(pharmacy, "POST", `${patient}/authorisations`, { basis: "care_team" });
  await pro(doctor, "POST", `${patient}/authorisations`, { basis: "consent" });
  await pro(doctor, "GET", `${patient}/documents`);
  await pro(doctor, "POST", `${patient}/documents`, { title: "Compte rendu de consultation", category: "CPT_REND",
    filename: "compte-rendu.pdf", content_type: "application/pdf", size: 48213 });

  await login(page, holder);
  await page.getByRole("link", { name: "Professionnels de santé" }).first().click();
  await expect(page.getByRole("heading", { name: "Professionnels de santé", level: 1 })).toBeVisible();
  const doctorRow = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: physician.name }) });
  const pharmacistRow = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: pharmacist.name }) });
  await expect(doctorRow).toContainText("Médecin");
  await expect(doctorRow).toContainText("Accès : Votre consentement");
  await expect(pharmacistRow).toContainText("Pharmacien");
  await expect(pharmacistRow).toContainText("Accès : Membre de votre équipe de soins");
  // Only a physician may be the administrator (the former "médecin traitant DMP", BR-32).
  await expect(pharmacistRow.getByRole("button", { name: /^Désigner comme médecin administrateur/ })).toHaveCount(0);
  await audit(page, "professionals");

  // Historique des accès: who, profession, what, when — newest first (BR-35).
  await page.getByRole("link", { name: "Historique des accès" }).first().click();
  const rows = page.getByRole("table", { name: "Accès des professionnels de santé" }).getByRole("row");
  await expect(rows).toHaveCount(5);
  const expected = [
    [physician.name, "Médecin", "Ajout d’un document"],
    [physician.name, "Médecin", "Consultation de la liste des documents"],
    [physician.name, "Médecin", "Autorisation d’accès : votre consentement"],
    [pharmacist.name, "Pharmacien", "Autorisation d’accès : membre de votre équipe de soins"],
  ];
  for (const [index, cells] of expected.entries()) {
    for (const cell of cells) await expect(rows.nth(index + 1)).toContainText(cell);
  }
  await expect(rows.nth(1)).toContainText(String(new Date().getFullYear()));
  await audit(page, "access-log-entries");

  // Block: a dialog whose button is "Confirmer"; the professional's very next read is refused (BR-31).
  await page.getByRole("link", { name: "Professionnels de santé" }).first().click();
  await doctorRow.getByRole("button", { name: /^Bloquer/ }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText(physician.name);
  await settled(page);
  await audit(page, "professionals-confirm");
  await dialog.getByRole("button", { name: "Confirmer" }).click();
  await expect(page.getByRole("status").getByText(`${physician.name} est bloqué`)).toBeVisible();
  await expect(doctorRow.getByText("Bloqué", { exact: true })).toBeVisible();
  await expect(pro(doctor, "GET", `${patient}/documents`)).rejects.toThrow(/403 .*"code": ?"blocked"/);
  await expect(dialog).toBeHidden();
  await settled(page);
  await audit(page, "professionals-blocked");
  await doctorRow.getByRole("button", { name: /^Débloquer/ }).click();
  await expect(page.getByRole("status").getByText(`${physician.name} est débloqué`)).toBeVisible();
  await expect(doctorRow.getByText("Bloqué", { exact: true })).toHaveCount(0);
  expect((await pro(doctor, "GET", `${patient}/documents`)).items).toBeDefined();

  // Administrator: once designated, the physician reads the access log, an administrator's right (BR-32).
  await expect(pro(doctor, "GET", `${patient}/access-log`)).rejects.toThrow(/403/);
  await doctorRow.getByRole("button", { name: /^Désigner comme médecin administrateur/ }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Confirmer" }).click();
  await expect(doctorRow.getByText("Médecin administrateur", { exact: true })).toBeVisible();
  await expect(doctorRow.getByRole("button", { name: /^Désigner comme médecin administrateur/ })).toHaveCount(0);
  expect((await pro(doctor, "GET", `${patient}/access-log`)).items.length).toBeGreaterThan(0);

  // Emergency settings as switches (BR-34): refusing the SAMU mode is kept across a reload.
  const samu = page.getByRole("checkbox", { name: /^Accès en urgence par le SAMU/ });
  await expect(samu).toBeChecked();
  await samu.click({ force: true });
  await expect(page.getByRole("status").getByText("Accès en urgence par le SAMU : refusé")).toBeVisible();
  await page.reload();
  await expect(page.getByRole("checkbox", { name: /^Accès en urgence par le SAMU/ })).not.toBeChecked();
  await expect(page.getByRole("checkbox", { name: /^Accès en urgence par un professionnel/ })).toBeChecked();
  await audit(page, "professionals-emergency");
  // Withdrawing an authorisation (BR-30): the pharmacist's next read is refused, and it leaves the list.
  await pharmacistRow.getByRole("button", { name: /^Retirer l’autorisation/ }).click();
  await expect(page.getByRole("dialog")).toContainText(pharmacist.name);
  await page.getByRole("dialog").getByRole("button", { name: "Confirmer" }).click();
  await expect(page.getByRole("status").getByText(`${pharmacist.name} n’a plus d’autorisation`)).toBeVisible();
  await expect(pharmacistRow).toHaveCount(0);
  await expect(pro(pharmacy, "GET", `${patient}/documents`)).rejects.toThrow(/403/);

  // The refusal applies: a SAMU access is now refused, and the attempt is in the log, with why.
  await expect(pro(pharmacy, "POST", `${patient}/emergency-access`, { mode: "samu", reason: "Patient inconscient, appel du centre 15" }))
    .rejects.toThrow(/403 .*"code": ?"emergency_refused"/);
  await page.getByRole("link", { name: "Historique des accès" }).first().click();
  await expect(rows.nth(1)).toContainText(pharmacist.name);
  await expect(rows.nth(1)).toContainText(
    "Ouverture d’un accès en urgence par le SAMU (refusé : vous avez refusé ce mode d’accès en urgence)");
});
