import { Badge } from "@codegouvfr/react-dsfr/Badge";
import { Button } from "@codegouvfr/react-dsfr/Button";
import type { Schemas } from "../../api/client";
import { categoryLabel, formatDate, professionLabel } from "../../format";

export type Doc = Schemas["DocumentOut"];

/** Who added the document, as the holder reads it (WEB.md 7: "author"). */
export function authorOf(doc: Doc): string {
  if (doc.author_type === "PATIENT") return "Vous-même";
  if (doc.author_type === "PRACTITIONER") {
    const who = doc.author_name ?? "Un professionnel de santé";
    return doc.author_profession ? `${who} (${professionLabel(doc.author_profession)})` : who;
  }
  return "Un établissement ou organisme";
}

export function Status({ doc }: { doc: Doc }) {
  if (doc.status === "available") return <Badge severity="success" small as="span">Disponible</Badge>;
  if (doc.status === "rejected") {
    return (
      <>
        <Badge severity="error" small as="span">Refusé</Badge>{" "}
        <span>{doc.rejection_reason ?? "Le fichier a été refusé."}</span>
      </>
    );
  }
  return <Badge severity="info" small as="span">En cours de vérification</Badge>;
}

type Actions = {
  onDownload: (doc: Doc) => void;
  onMask: (doc: Doc, masked: boolean) => void;
  onDelete: (doc: Doc) => void;
  busy: boolean;
};

/** One document: title, category, date, author, status, and its actions in its own row (WEB.md 7). */
export function DocumentItem({ doc, onDownload, onMask, onDelete, busy }: { doc: Doc } & Actions) {
  const own = doc.author_type === "PATIENT"; // BR-24: the holder deletes only their own uploads
  const suffix = <span className="fr-sr-only">{` « ${doc.title} »`}</span>;
  return (
    <li className="mes-doc fr-py-2w">
      <h3 className="fr-h6 fr-mb-1v">{doc.title}</h3>
      <dl className="mes-doc__facts fr-text--sm fr-mb-1w">
        <div><dt>Catégorie</dt><dd>{categoryLabel(doc.category)}</dd></div>
        <div><dt>Date</dt><dd>{formatDate(doc.created_at)}</dd></div>
        <div><dt>Ajouté par</dt><dd>{authorOf(doc)}</dd></div>
        <div><dt>État</dt><dd><span role="status"><Status doc={doc} /></span></dd></div>
        {doc.masked && <div><dt>Visibilité</dt><dd>Masqué aux professionnels</dd></div>}
      </dl>
      <ul className="fr-btns-group fr-btns-group--inline-sm fr-btns-group--sm">
        {doc.status === "available" && (
          <li><Button size="small" priority="secondary" disabled={busy} onClick={() => onDownload(doc)}>Télécharger{suffix}</Button></li>
        )}
        {doc.status !== "rejected" && (
          <li>
            <Button size="small" priority="secondary" disabled={busy} onClick={() => onMask(doc, !doc.masked)}>
              {doc.masked ? "Ne plus masquer" : "Masquer aux professionnels"}{suffix}
            </Button>
          </li>
        )}
        {own && (
          <li><Button size="small" priority="tertiary" disabled={busy} onClick={() => onDelete(doc)}>Supprimer{suffix}</Button></li>
        )}
      </ul>
    </li>
  );
}
