import { useEffect, useRef, useState } from "react";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Select } from "@codegouvfr/react-dsfr/Select";
import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { createModal } from "@codegouvfr/react-dsfr/Modal";
import { api } from "../api/client";
import { FormError, useAction } from "../components/forms";
import { useTitle } from "../components/useTitle";
import { useEspaceId } from "../session/session";
import { CATEGORIES } from "../format";
import { DocumentItem, type Doc } from "../components/documents/DocumentItem";
import { UploadForm } from "../components/documents/UploadForm";
import { useDocuments } from "../components/documents/useDocuments";

const deleteDialog = createModal({ id: "supprimer-document", isOpenedByDefault: false });

/** WEB.md 7: the list (title, category, date, author, status), filter "Catégorie", "Ajouter un document",
 * and each document's actions in its row. The page the login lands on. */
export default function Documents() {
  useTitle("Documents");
  const espaceId = useEspaceId();
  const [category, setCategory] = useState("");
  const [adding, setAdding] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [target, setTarget] = useState<Doc | null>(null);
  const noticeRef = useRef<HTMLDivElement>(null);
  const [focusNotice, setFocusNotice] = useState(false);
  const docs = useDocuments(espaceId, category);
  // After an upload or a deletion the control used is gone: the focus goes to what happened.
  useEffect(() => {
    if (focusNotice && notice && !adding) noticeRef.current?.focus();
    setFocusNotice(false);
  }, [focusNotice, notice, adding]);
  const tell = (text: string, focus = false) => {
    setNotice(text);
    setFocusNotice(focus);
  };

  const action = useAction(async (run: () => Promise<{ error?: unknown } | void>) => run());
  const download = (doc: Doc) => action.run(async () => {
    const { data, error } = await api.GET("/espaces/{espace_id}/documents/{document_id}", {
      params: { path: { espace_id: espaceId, document_id: doc.id } },
    });
    if (data?.download) window.location.assign(data.download.url); // an attachment: the page stays
    if (data && !data.download) return { error: { code: "not_available", detail: "Ce document n’est pas encore disponible." } };
    return { error };
  });
  const mask = (doc: Doc, masked: boolean) => action.run(async () => {
    const { data, error } = await api.PATCH("/espaces/{espace_id}/documents/{document_id}", {
      params: { path: { espace_id: espaceId, document_id: doc.id } }, body: { masked },
    });
    if (data) {
      docs.replaced(data);
      tell(masked ? `« ${data.title} » est masqué aux professionnels.` : `« ${data.title} » n’est plus masqué.`);
    }
    return { error };
  });
  const remove = (doc: Doc) => action.run(async () => {
    const { error, response } = await api.DELETE("/espaces/{espace_id}/documents/{document_id}", {
      params: { path: { espace_id: espaceId, document_id: doc.id } },
    });
    if (response.ok) {
      docs.removed(doc.id);
      tell(`« ${doc.title} » a été supprimé.`, true);
    }
    return { error };
  });

  if (adding) {
    return (
      <>
        <h1>Documents</h1>
        <UploadForm espaceId={espaceId} onCancel={() => setAdding(false)} onUploaded={(doc) => {
          docs.added(doc);
          setAdding(false);
          tell(`« ${doc.title} » a été envoyé. Il est en cours de vérification.`, true);
        }} />
      </>
    );
  }
  return (
    <>
      <h1>Documents</h1>
      <p>Les documents de santé de cet espace : les vôtres et ceux déposés par les professionnels de santé.</p>
      <div aria-live="polite" ref={noticeRef} tabIndex={-1}>{notice && <Alert severity="success" small description={notice} className="fr-mb-2w" />}</div>
      <FormError errors={action.errors} />
      <div className="mes-doc-tools">
        <Button iconId="fr-icon-add-line" onClick={() => { setNotice(null); setAdding(true); }}>
          Ajouter un document
        </Button>
        <Select label="Catégorie" nativeSelectProps={{ name: "categorie", value: category,
          onChange: (e) => setCategory(e.target.value) }}>
          <option value="">Toutes les catégories</option>
          {Object.entries(CATEGORIES).map(([code, label]) => <option key={code} value={code}>{label}</option>)}
        </Select>
      </div>
      <h2 className="fr-h4">{category ? `Documents : ${CATEGORIES[category]}` : "Tous les documents"}</h2>
      {docs.failed && <p role="alert">Les documents n’ont pas pu être chargés. Réessayez plus tard.</p>}
      {docs.items === null && !docs.failed && <p aria-live="polite">Chargement…</p>}
      {docs.items?.length === 0 && <p>Aucun document pour le moment.</p>}
      {docs.items && docs.items.length > 0 && (
        <ul className="mes-doc-list fr-raw-list">
          {docs.items.map((doc) => (
            <DocumentItem key={doc.id} doc={doc} busy={action.busy} onDownload={download} onMask={mask}
              onDelete={(d) => { setTarget(d); deleteDialog.open(); }} />
          ))}
        </ul>
      )}
      {docs.cursor && <Button priority="secondary" onClick={() => void docs.more()}>Afficher plus de documents</Button>}
      <deleteDialog.Component title="Supprimer ce document ?" buttons={[
        { children: "Annuler", priority: "secondary" },
        { children: "Confirmer", onClick: () => target && void remove(target) },
      ]}>
        {target ? `« ${target.title} » sera supprimé définitivement de cet espace santé.` : ""}
      </deleteDialog.Component>
    </>
  );
}
