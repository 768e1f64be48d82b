import { Link } from "react-router-dom";
import { Badge } from "@codegouvfr/react-dsfr/Badge";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { api, type Schemas } from "../api/client";
import { useTitle } from "../components/useTitle";
import { usePages } from "../components/usePages";
import { useEspaceId } from "../session/session";
import { formatDateTime, professionLabel } from "../format";
import { paths } from "../paths";

type Conversation = Schemas["ConversationOut"];

/** The professional who wrote, as the holder reads it. */
export function professionalOf(c: Conversation): string {
  const who = c.professional.name ?? "Un professionnel de santé";
  return `${who} (${professionLabel(c.professional.profession)})`;
}

/** WEB.md 9: the conversations (subject, professional, date), newest activity first. */
export default function Messages() {
  useTitle("Messagerie");
  const espaceId = useEspaceId();
  const { items, cursor, failed, more } = usePages<Conversation>(espaceId, async (after) =>
    (await api.GET("/espaces/{espace_id}/conversations", {
      params: { path: { espace_id: espaceId }, query: after ? { cursor: after } : {} },
    })).data);

  return (
    <>
      <h1>Messagerie</h1>
      <p>Les échanges sécurisés avec vos professionnels de santé. Seul un professionnel peut ouvrir une conversation ;
        vous pouvez lui répondre tant qu’il ne l’a pas clôturée.</p>
      {failed && <p role="alert">Les conversations n’ont pas pu être chargées. Réessayez plus tard.</p>}
      {items === null && !failed && <p aria-live="polite">Chargement…</p>}
      {items?.length === 0 && <p>Aucune conversation pour le moment.</p>}
      {items && items.length > 0 && (
        <ul className="mes-doc-list fr-raw-list">
          {items.map((c) => (
            <li key={c.id} className="mes-doc fr-py-2w">
              <h2 className="fr-h6 fr-mb-1v"><Link to={paths.conversation(c.id)}>{c.subject}</Link></h2>
              <p className="fr-text--sm fr-mb-1v">{professionalOf(c)}</p>
              <p className="fr-text--sm fr-mb-0">
                {`Dernier message le ${formatDateTime(c.last_message_at)} · ${c.message_count} message${c.message_count > 1 ? "s" : ""} `}
                {c.status === "closed"
                  ? <Badge small as="span">Clôturée</Badge>
                  : <Badge small severity="info" as="span">En cours</Badge>}
              </p>
            </li>
          ))}
        </ul>
      )}
      {cursor && <Button priority="secondary" onClick={() => void more()}>Afficher plus de conversations</Button>}
    </>
  );
}
