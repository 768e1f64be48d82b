import { expect, test, type Page, type Route } from "@playwright/test";
import { audit, login, tabTo } from "./support/page";
import { E2E } from "./support/env";
import { newHolder, proDeposit, proToken } from "./support/stack";

// WEB.md 7 (Documents), one journey: a keyboard-only upload with its progress and validation, masking,
// a professional's deposit with its author, a download, a deletion after "Confirmer"; then the bad files.
const PDF = Buffer.from("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
  + "trailer<</Root 1 0 R>>\n%%EOF\n");
const EXE = Buffer.concat([Buffer.from("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00", "latin1"), Buffer.alloc(64)]);

/** The browser's POSTs to the object store (the presigned uploads), not the API's. */
const isUpload = (url: URL) => url.origin === new URL(E2E.aws).origin;

function row(page: Page, title: string) {
  return page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: title, exact: true }) });
}

test("documents: a keyboard-only upload, masking, a professional's deposit with its author, download, deletion", async ({ page }) => {
  const holder = await newHolder();
  await login(page, holder);
  await expect(page).toHaveURL(/\/espace\/documents$/);
  await expect(page.getByText("Aucun document pour le moment.")).toBeVisible();
  await audit(page, "documents-empty");

  // Keyboard only: every control reached with Tab and used with Enter / typing; the file itself is
  // given to the chooser (the OS dialog cannot be driven).
  await tabTo(page, page.getByRole("button", { name: "Ajouter un document" }));
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Ajouter un document" })).toBeFocused();
  await tabTo(page, page.getByRole("button", { name: "Envoyer" }));
  await page.keyboard.press("Enter");
  // every wrong field is told next to itself, in French, before anything is sent
  await expect(page.getByText("Indiquez le titre du document.")).toBeVisible();
  await expect(page.getByText("Choisissez la catégorie du document.")).toBeVisible();
  await expect(page.getByText("Choisissez le fichier à ajouter.")).toBeVisible();
  await audit(page, "documents-add-errors");

  const title = "Compte rendu de radiologie";
  await tabTo(page, page.getByLabel("Titre"));
  await page.keyboard.type(title);
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Catégorie")).toBeFocused();
  await page.keyboard.type("Imagerie");
  await expect(page.getByLabel("Catégorie")).toHaveValue("RADIO_SC");
  const chooser = page.getByLabel("Fichier");
  await tabTo(page, chooser);
  await chooser.setInputFiles({ name: "lettre.docx", mimeType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", buffer: PDF });
  await expect(page.getByText("Type de fichier non accepté : PDF, texte, RTF, JPEG, PNG ou TIFF.")).toBeVisible();
  await chooser.setInputFiles({ name: "radio.pdf", mimeType: "application/pdf", buffer: PDF });
  await expect(page.getByText("Type de fichier non accepté")).toHaveCount(0);

  // The bytes go straight to storage; held there a moment to see the progress bar.
  let release!: () => void;
  const held = new Promise<void>((resolve) => { release = resolve; });
  const hold = async (route: Route) => { await held; await route.continue(); };
  await page.route(isUpload, hold);
  await tabTo(page, page.getByRole("button", { name: "Envoyer" }));
  await page.keyboard.press("Enter");
  await expect(page.getByRole("progressbar", { name: "Envoi du fichier" })).toBeVisible();
  await audit(page, "documents-uploading");
  release();
  const mine = row(page, title);
  await expect(page.getByText(`« ${title} » a été envoyé. Il est en cours de vérification.`)).toBeVisible();
  await page.unroute(isUpload, hold);
  await expect(mine.getByText("En cours de vérification")).toBeVisible();
  await expect(mine.getByText("Disponible")).toBeVisible({ timeout: 30_000 }); // the local stack's poller validated it
  await expect(mine).toContainText("Imagerie médicale");
  await expect(mine).toContainText("Vous-même");
  await audit(page, "documents-list");

  await tabTo(page, page.getByRole("button", { name: `Masquer aux professionnels « ${title} »` }));
  await page.keyboard.press("Enter");
  await expect(mine.getByText("Masqué aux professionnels")).toBeVisible();
  await tabTo(page, page.getByRole("button", { name: `Ne plus masquer « ${title} »` }));
  await page.keyboard.press("Enter");
  await expect(page.getByRole("button", { name: `Masquer aux professionnels « ${title} »` })).toBeVisible();
  await expect(mine.getByText("Masqué aux professionnels")).toHaveCount(0);

  // A professional deposits a document: the holder sees who, and cannot delete it (BR-24), only mask it.
  const doctor = await proToken("10000000777", "10", "Dr Claire Martin");
  await proDeposit(doctor, holder.nir, { title: "Résultats d'analyses", category: "BIOLOGIE", bytes: PDF });
  await page.reload();
  const deposit = row(page, "Résultats d'analyses");
  await expect(deposit).toContainText("Dr Claire Martin (Médecin)");
  await expect(deposit.getByText("Disponible")).toBeVisible({ timeout: 30_000 });
  await expect(deposit.getByRole("button", { name: /^Supprimer/ })).toHaveCount(0);
  await expect(deposit.getByRole("button", { name: /^Masquer aux professionnels/ })).toBeVisible();

  // The filter "Catégorie" asks the API for one category (?category=).
  await page.getByLabel("Catégorie").selectOption("BIOLOGIE");
  await expect(page.getByRole("heading", { name: "Documents : Biologie" })).toBeVisible();
  await expect(deposit).toBeVisible();
  await expect(row(page, title)).toHaveCount(0);
  await page.getByLabel("Catégorie").selectOption("");
  await expect(row(page, title)).toBeVisible();

  const downloading = page.waitForEvent("download");
  await deposit.getByRole("button", { name: /^Télécharger/ }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^document-[0-9a-f]+\.pdf$/); // never the title (a health datum)
  const saved = await download.path();
  expect((await import("node:fs")).readFileSync(saved).equals(PDF)).toBe(true);
  await expect(page).toHaveURL(/\/espace\/documents$/);

  // Deleting one's own upload asks first; the dialog's button is "Confirmer".
  await tabTo(page, page.getByRole("button", { name: `Supprimer « ${title} »` }));
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog", { name: "Supprimer ce document ?" });
  await expect(dialog).toBeVisible();
  await expect(dialog).toHaveCSS("opacity", "1"); // the DSFR's opening transition is over
  await page.waitForTimeout(300);
  await audit(page, "documents-delete-dialog");
  await dialog.getByRole("button", { name: "Confirmer" }).click();
  await expect(page.getByText(`« ${title} » a été supprimé.`)).toBeVisible();
  await expect(row(page, title)).toHaveCount(0);
  await page.reload();
  await expect(row(page, "Résultats d'analyses")).toBeVisible();
  await expect(row(page, title)).toHaveCount(0);
});

test("documents: an interrupted upload is retried without an orphan; a disguised program is refused with the reason", async ({ page }) => {
  const holder = await newHolder();
  await login(page, holder);
  const add = async (title: string, file: { name: string; mimeType: string; buffer: Buffer }) => {
    await page.getByRole("button", { name: "Ajouter un document" }).click();
    await page.getByLabel("Titre").fill(title);
    await page.getByLabel("Catégorie").selectOption("AUTR_DOC");
    await page.getByLabel("Fichier").setInputFiles(file);
    await page.getByRole("button", { name: "Envoyer" }).click();
  };

  // The connection drops during the first upload: the page says so and offers "Réessayer".
  let drops = 1;
  await page.route(isUpload, (route) => (drops-- > 0 ? route.abort("connectionreset") : route.continue()));
  await add("Ordonnance de kinésithérapie", { name: "ordonnance.pdf", mimeType: "application/pdf", buffer: PDF });
  await expect(page.getByRole("alert").filter({ hasText: "L’envoi du fichier a été interrompu" })).toBeVisible();
  await audit(page, "documents-upload-interrupted");
  await page.getByRole("button", { name: "Réessayer" }).click();
  const retried = row(page, "Ordonnance de kinésithérapie");
  await expect(retried.getByText("Disponible")).toBeVisible({ timeout: 30_000 });
  await page.unroute(isUpload);
  await page.reload();
  await expect(row(page, "Ordonnance de kinésithérapie")).toHaveCount(1); // the interrupted one was deleted

  // A program renamed .pdf: accepted by the browser's checks, refused by the server's magic bytes (BR-23).
  await add("Facture", { name: "facture.pdf", mimeType: "application/pdf", buffer: EXE });
  const refused = row(page, "Facture");
  await expect(refused.getByText("Refusé")).toBeVisible({ timeout: 30_000 });
  await expect(refused).toContainText("Le fichier n'est pas un PDF valide.");
  await expect(refused.getByRole("button", { name: /^Télécharger/ })).toHaveCount(0);
  await audit(page, "documents-rejected");
});
