import { useState } from "react";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { api, type Schemas } from "../../api/client";
import { FormError, useAction } from "../forms";
import { categoryLabel } from "../../format";

type Attachment = Schemas["AttachmentOut"];

/** WEB.md 9: each attachment can be seen (downloaded) and saved into the holder's documents (BR-39). */
export function Attachments({ espaceId, conversationId, items, fromProfessional }: {
  espaceId: string; conversationId: string; items: Attachment[]; fromProfessional: boolean;
}) {
  if (items.length === 0) return null;
  return (
    <ul className="mes-attachments fr-raw-list">
      {items.map((a) => (
        <AttachmentRow key={a.document_id} espaceId={espaceId} conversationId={conversationId} attachment={a}
          saveable={fromProfessional} />
      ))}
    </ul>
  );
}

function AttachmentRow({ espaceId, conversationId, attachment, saveable }: {
  espaceId: string; conversationId: string; attachment: Attachment; saveable: boolean;
}) {
  const [saved, setSaved] = useState<string | null>(null);
  const download = useAction(async () => {
    const { data, error } = await api.GET("/espaces/{espace_id}/documents/{document_id}", {
      params: { path: { espace_id: espaceId, document_id: attachment.document_id } },
    });
    if (data?.download) window.location.assign(data.download.url); // an attachment: the page stays
    return { error };
  });
  const save = useAction(async () => {
    const { data, error } = await api.POST("/espaces/{espace_id}/conversations/{conversation_id}/attachments/{document_id}/save", {
      params: { path: { espace_id: espaceId, conversation_id: conversationId, document_id: attachment.document_id } },
    });
    if (data) setSaved(`« ${data.title} » a été enregistré dans vos documents. Il sera disponible après sa vérification.`);
    return { error };
  });
  const suffix = <span className="fr-sr-only">{` « ${attachment.title} »`}</span>;
  return (
    <li className="fr-py-1w">
      <p className="fr-mb-1v">
        <span className="fr-icon-attachment-line fr-icon--sm" aria-hidden="true" />{" "}
        <strong>{attachment.title}</strong>{` — ${categoryLabel(attachment.category)}, ${Math.max(1, Math.round(attachment.size / 1000))} ko`}
      </p>
      <FormError errors={download.errors} />
      <FormError errors={save.errors} />
      <ul className="fr-btns-group fr-btns-group--inline-sm fr-btns-group--sm">
        <li><Button size="small" priority="secondary" disabled={download.busy} onClick={() => void download.run()}>Télécharger{suffix}</Button></li>
        {saveable && (
          <li>
            <Button size="small" priority="secondary" disabled={save.busy || saved !== null} onClick={() => void save.run()}>
              Enregistrer dans mes documents{suffix}
            </Button>
          </li>
        )}
      </ul>
      <p aria-live="polite" className="fr-text--sm fr-mb-0">{saved}</p>
    </li>
  );
}
