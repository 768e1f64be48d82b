import { expect, test } from "@playwright/test";
import fs from "node:fs";
import { audit, login } from "./support/page";
import { newHolder, pro, proDeposit, proToken } from "./support/stack";

// WEB.md 9 (Messagerie), one journey: a professional writes with an attachment (BR-37), the holder reads,
// answers, saves the attachment into the documents (BR-39); the professional ends it (BR-38).
const PDF = Buffer.from("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
  + "trailer<</Root 1 0 R>>\n%%EOF\n");

async function until<T>(what: () => Promise<T>, ok: (value: T) => boolean, seconds = 30): Promise<T> {
  for (let i = 0; i < seconds * 2; i += 1) {
    const value = await what();
    if (ok(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error("still not there");
}

test("messagerie: a professional's message with an attachment, the answer, the attachment saved, the conversation closed", async ({ page }) => {
  const holder = await newHolder();
  const doctor = await proToken("10000000888", "10", "Dr Paul Bernard");
  const ins = holder.nir;
  await pro(doctor, "POST", `/pro/patients/${ins}/authorisations`, { basis: "consent" });
  const documentId = await proDeposit(doctor, ins, { title: "Bilan sanguin de novembre", category: "BIOLOGIE", bytes: PDF });
  await until(() => pro(doctor, "GET", `/pro/patients/${ins}/documents/${documentId}`), (d) => d.status === "available");
  const { conversation_id: conversationId } = await pro(doctor, "POST", `/pro/patients/${ins}/conversations`, {
    subject: "Vos résultats d'analyses", body: "Bonjour,\nvos résultats sont normaux. Le compte rendu est joint.",
    attachments: [documentId],
  });

  await login(page, holder);
  await page.getByRole("link", { name: "Messagerie" }).click();
  await expect(page.getByRole("heading", { name: "Messagerie", level: 1 })).toBeVisible();
  const item = page.getByRole("listitem").filter({ hasText: "Vos résultats d'analyses" });
  await expect(item).toContainText("Dr Paul Bernard (Médecin)");
  await expect(item).toContainText("En cours");
  await audit(page, "messages-list");

  await item.getByRole("link", { name: "Vos résultats d'analyses" }).click();
  await expect(page.getByRole("heading", { name: "Vos résultats d'analyses", level: 1 })).toBeVisible();
  await expect(page.getByText("vos résultats sont normaux. Le compte rendu est joint.")).toBeVisible();
  await expect(page.getByText("Bilan sanguin de novembre", { exact: true })).toBeVisible();
  await audit(page, "conversation");

  // An empty answer is refused next to the field, in French, before anything is sent.
  await page.getByRole("button", { name: "Envoyer" }).click();
  await expect(page.getByLabel("Votre message")).toHaveAccessibleDescription(/Écrivez votre message avant de l’envoyer/);
  await page.getByLabel("Votre message").fill("Merci docteur, je prends rendez-vous pour le contrôle.");
  await page.getByRole("button", { name: "Envoyer" }).click();
  await expect(page.getByText("Votre message a été envoyé.")).toBeVisible();
  await expect(page.getByRole("listitem").filter({ hasText: "Merci docteur, je prends rendez-vous" })).toContainText("Vous");
  const seenByDoctor = await pro(doctor, "GET", `/pro/conversations/${conversationId}`);
  expect(seenByDoctor.items.map((m: { body: string }) => m.body)).toContain("Merci docteur, je prends rendez-vous pour le contrôle.");

  // The attachment: seen (downloaded), then saved into the holder's documents (a copy, BR-39).
  const downloading = page.waitForEvent("download");
  await page.getByRole("button", { name: "Télécharger « Bilan sanguin de novembre »" }).click();
  expect(fs.readFileSync(await (await downloading).path()).equals(PDF)).toBe(true);
  await page.getByRole("button", { name: "Enregistrer dans mes documents « Bilan sanguin de novembre »" }).click();
  await expect(page.getByText("« Bilan sanguin de novembre » a été enregistré dans vos documents.")).toBeVisible();
  await audit(page, "conversation-saved");

  await page.getByRole("link", { name: "Documents" }).click();
  const copies = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: "Bilan sanguin de novembre" }) });
  await expect(copies).toHaveCount(2); // the professional's deposit and the holder's own copy
  const copy = copies.filter({ hasText: "Vous-même" });
  await expect(copy.getByText("Disponible")).toBeVisible({ timeout: 30_000 });
  await expect(copy.getByRole("button", { name: /^Supprimer/ })).toBeVisible(); // the copy is the holder's (BR-24)

  // The professional ends the conversation: no reply field any more (BR-38).
  await pro(doctor, "POST", `/pro/conversations/${conversationId}/close`);
  await page.getByRole("link", { name: "Messagerie" }).click();
  await expect(page.getByRole("listitem").filter({ hasText: "Vos résultats d'analyses" })).toContainText("Clôturée");
  await page.getByRole("link", { name: "Vos résultats d'analyses" }).click();
  await expect(page.getByText("Conversation clôturée par le professionnel")).toBeVisible();
  await expect(page.getByLabel("Votre message")).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Envoyer" })).toHaveCount(0);
  await audit(page, "conversation-closed");
});
