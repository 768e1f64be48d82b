import { Table } from "@codegouvfr/react-dsfr/Table";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { api, type Schemas } from "../api/client";
import { useTitle } from "../components/useTitle";
import { usePages } from "../components/usePages";
import { useEspaceId } from "../session/session";
import { formatDateTime, professionLabel, actionLabel, channelLabel } from "../format";

/** WEB.md 11: who (name, profession), what, when — newest first, as the API returns it. */
export default function AccessLog() {
  useTitle("Historique des accès");
  const espaceId = useEspaceId();
  const { items, cursor, failed, more } = usePages<Schemas["LogEntry"]>(espaceId, async (after) =>
    (await api.GET("/espaces/{espace_id}/access-log", {
      params: { path: { espace_id: espaceId }, query: after ? { cursor: after } : {} },
    })).data);

  return (
    <>
      <h1>Historique des accès</h1>
      <p>Les professionnels de santé qui ont consulté ou alimenté cet espace, du plus récent au plus ancien.</p>
      {failed && <p role="alert">L’historique n’a pas pu être chargé. Réessayez plus tard.</p>}
      {items === null && !failed && <p aria-live="polite">Chargement…</p>}
      {items && items.length === 0 && <p>Aucun professionnel n’a encore accédé à cet espace.</p>}
      {items && items.length > 0 && (
        <div className="mes-table-scroll">
          <Table
            caption="Accès des professionnels de santé"
            headers={["Date", "Professionnel", "Profession", "Action"]}
            data={items.map((entry) => [
              formatDateTime(entry.at),
              entry.name ?? `RPPS ${entry.rpps}`,
              professionLabel(entry.profession),
              actionLabel(entry.action, entry.decision, entry.mode, entry.target) + channelLabel(entry.channel),
            ])}
          />
        </div>
      )}
      {cursor && <Button priority="secondary" onClick={() => void more()}>Afficher plus</Button>}
    </>
  );
}
