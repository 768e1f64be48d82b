import { useEffect, useRef, useState } from "react";
import { Input } from "@codegouvfr/react-dsfr/Input";
import { Select } from "@codegouvfr/react-dsfr/Select";
import { Upload } from "@codegouvfr/react-dsfr/Upload";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { api, type Problem, type Schemas } from "../../api/client";
import { FormError, fieldState, useSubmit } from "../forms";
import { CATEGORIES } from "../../format";
import { ACCEPT, checkFile, contentTypeOf, sendToStorage } from "./upload";

type Props = { espaceId: string; onUploaded: (document: Schemas["DocumentOut"]) => void; onCancel: () => void };

const interrupted: Problem = {
  type: "about:blank", title: "Envoi interrompu", status: 0, code: "upload_interrupted",
  detail: "L’envoi du fichier a été interrompu. Vérifiez votre connexion puis choisissez « Réessayer » : "
    + "le fichier sera envoyé à nouveau.",
};

/**
 * WEB.md 7: "Titre", "Catégorie", "Fichier", "Envoyer"; the file goes straight to storage with a
 * progress bar. Retry rule (issue 11): an interrupted upload leaves a `pending` document that nothing
 * expires; the page deletes it at once (DELETE, an own upload) and, if that failed too, before it
 * announces the file again on "Réessayer" — one document per file, no orphan.
 */
export function UploadForm({ espaceId, onUploaded, onCancel }: Props) {
  const [title, setTitle] = useState("");
  const [category, setCategory] = useState("");
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [failed, setFailed] = useState(false);
  const abandoned = useRef<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);

  const forget = async (documentId: string) => {
    const { response } = await api.DELETE("/espaces/{espace_id}/documents/{document_id}", {
      params: { path: { espace_id: espaceId, document_id: documentId } },
    }).catch(() => ({ response: null }));
    abandoned.current = response && (response.ok || response.status === 404) ? null : documentId;
  };

  const { errors, setErrors, busy, submit } = useSubmit(async () => {
    const wrong = {
      title: title.trim() ? "" : "Indiquez le titre du document.",
      category: category ? "" : "Choisissez la catégorie du document.",
      filename: checkFile(file) ?? "",
    };
    if (wrong.title || wrong.category || wrong.filename || !file) return setErrors({ fields: wrong, form: null });
    if (abandoned.current) await forget(abandoned.current);
    if (abandoned.current) return { error: interrupted };
    type Announce = Schemas["DocumentUploadRequest"];
    const { data, error } = await api.POST("/espaces/{espace_id}/documents", {
      params: { path: { espace_id: espaceId } },
      // the server checks the category and the type again (unknown ones: an error next to the field)
      body: { title, category: category as Announce["category"], filename: file.name,
        content_type: contentTypeOf(file) as Announce["content_type"], size: file.size },
    });
    if (!data) return { error };
    setFailed(false);
    setProgress(0);
    try {
      await sendToStorage(data.upload, file, setProgress);
    } catch {
      setProgress(null);
      setFailed(true);
      await forget(data.document.id);
      return { error: interrupted };
    }
    onUploaded(data.document);
  });

  const fileError = errors.fields.filename || errors.fields.content_type || errors.fields.size;
  return (
    <form onSubmit={submit} noValidate aria-labelledby="ajout-titre">
      <h2 id="ajout-titre" ref={heading} tabIndex={-1}>Ajouter un document</h2>
      <FormError errors={errors} />
      <Input label="Titre" {...fieldState(errors, "title")}
        nativeInputProps={{ name: "title", required: true, maxLength: 200, value: title,
          onChange: (e) => setTitle(e.target.value) }} />
      <Select label="Catégorie" {...fieldState(errors, "category")}
        nativeSelectProps={{ name: "category", required: true, value: category,
          onChange: (e) => setCategory(e.target.value) }}>
        <option value="" disabled>Choisir une catégorie</option>
        {Object.entries(CATEGORIES).map(([code, label]) => <option key={code} value={code}>{label}</option>)}
      </Select>
      <Upload label="Fichier" hint="PDF, texte, RTF, JPEG, PNG ou TIFF ; 5 Mo au plus."
        {...(fileError ? { state: "error" as const, stateRelatedMessage: fileError } : {})}
        nativeInputProps={{ name: "file", accept: ACCEPT, required: true,
          onChange: (e) => {
            const chosen = e.target.files?.[0] ?? null;
            setFile(chosen);
            setErrors({ fields: chosen ? { filename: checkFile(chosen) ?? "" } : {}, form: null });
          } }} />
      {progress !== null && (
        <div className="fr-my-2w">
          <label htmlFor="envoi-progression" className="fr-label">Envoi du fichier</label>
          <progress id="envoi-progression" className="mes-progress" max={100} value={progress}>{`${progress} %`}</progress>
          <p className="fr-hint-text" aria-live="polite">{`${progress} % envoyés`}</p>
        </div>
      )}
      <ul className="fr-btns-group fr-btns-group--inline-sm">
        <li>
          {failed
            ? <Button type="submit" disabled={busy}>Réessayer</Button>
            : <Button type="submit" disabled={busy}>Envoyer</Button>}
        </li>
        <li><Button type="button" priority="secondary" onClick={onCancel} disabled={busy}>Annuler</Button></li>
      </ul>
    </form>
  );
}
