import { useEffect, useState } from "react";
import { Link, useParams } from "react-router-dom";
import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Input } from "@codegouvfr/react-dsfr/Input";
import { api, type Schemas } from "../api/client";
import { FormError, fieldState, useSubmit } from "../components/forms";
import { useTitle } from "../components/useTitle";
import { useEspaceId } from "../session/session";
import { formatDateTime } from "../format";
import { paths } from "../paths";
import { Attachments } from "../components/messages/Attachments";
import { professionalOf } from "./Messages";

type Message = Schemas["MessageOut"];
type ConversationInfo = Schemas["ConversationOut"];

/** WEB.md 9: one conversation — its messages (oldest first), attachments, and "Votre message" +
 * "Envoyer" while it is open; once the professional ended it (BR-38), no reply field. */
export default function Conversation() {
  const { conversationId = "" } = useParams();
  const espaceId = useEspaceId();
  const [info, setInfo] = useState<ConversationInfo | null>(null);
  const [messages, setMessages] = useState<Message[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  useTitle(info ? `${info.subject} — Messagerie` : "Messagerie");

  const load = async (after: string | null) => {
    const { data } = await api.GET("/espaces/{espace_id}/conversations/{conversation_id}", {
      params: { path: { espace_id: espaceId, conversation_id: conversationId }, query: after ? { cursor: after } : {} },
    });
    if (!data) return setFailed(true);
    if (data.conversation) setInfo(data.conversation);
    const older = [...data.items].reverse(); // the API answers newest first
    setMessages((previous) => (after ? [...older, ...previous] : older));
    setCursor(data.next_cursor ?? null);
  };
  useEffect(() => {
    setInfo(null);
    setMessages([]);
    void load(null);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [espaceId, conversationId]);

  if (failed) {
    return (
      <>
        <h1>Messagerie</h1>
        <p role="alert">Cette conversation n’a pas pu être chargée.</p>
        <Link to={paths.messages}>Retour aux conversations</Link>
      </>
    );
  }
  if (!info) return <p aria-live="polite">Chargement…</p>;
  return (
    <>
      <p><Link to={paths.messages} className="fr-link fr-icon-arrow-left-line fr-link--icon-left">Retour aux conversations</Link></p>
      <h1>{info.subject}</h1>
      <p>{`Avec ${professionalOf(info)}`}</p>
      {cursor && <Button priority="secondary" onClick={() => void load(cursor)}>Afficher les messages précédents</Button>}
      <ol className="mes-messages fr-raw-list">
        {messages.map((m) => (
          <li key={m.id} className={`mes-message mes-message--${m.author}`}>
            <h2 className="fr-h6 fr-mb-1v">
              {m.author === "holder" ? "Vous" : info.professional.name ?? "Le professionnel"}
              <span className="fr-text--sm fr-text--regular">{` — ${formatDateTime(m.at)}`}</span>
            </h2>
            <p className="mes-message__body">{m.body}</p>
            <Attachments espaceId={espaceId} conversationId={conversationId} items={m.attachments}
              fromProfessional={m.author === "professional"} />
          </li>
        ))}
      </ol>
      {info.status === "closed"
        ? <Alert severity="info" small description="Conversation clôturée par le professionnel" className="fr-mt-2w" />
        : <Reply espaceId={espaceId} conversationId={conversationId}
            onSent={(m) => setMessages((previous) => [...previous, m])} onClosed={() => void load(null)} />}
    </>
  );
}

function Reply({ espaceId, conversationId, onSent, onClosed }: {
  espaceId: string; conversationId: string; onSent: (m: Message) => void; onClosed: () => void;
}) {
  const [body, setBody] = useState("");
  const [sent, setSent] = useState(false);
  const { errors, setErrors, busy, submit } = useSubmit(async () => {
    setSent(false);
    if (!body.trim()) return setErrors({ fields: { body: "Écrivez votre message avant de l’envoyer." }, form: null });
    const { data, error } = await api.POST("/espaces/{espace_id}/conversations/{conversation_id}/messages", {
      params: { path: { espace_id: espaceId, conversation_id: conversationId } }, body: { body, attachments: [] },
    });
    if (data) {
      onSent(data);
      setBody("");
      setSent(true);
    } else if ((error as { code?: string } | undefined)?.code === "conversation_closed") onClosed();
    return { error };
  });
  return (
    <form onSubmit={submit} noValidate className="fr-mt-3w">
      <FormError errors={errors} />
      <Input label="Votre message" textArea {...fieldState(errors, "body")}
        nativeTextAreaProps={{ name: "body", required: true, maxLength: 10_000, rows: 5, value: body,
          onChange: (e) => setBody(e.target.value) }} />
      <Button type="submit" disabled={busy}>Envoyer</Button>
      <p aria-live="polite" className="fr-text--sm fr-mt-1w">{sent ? "Votre message a été envoyé." : ""}</p>
    </form>
  );
}
