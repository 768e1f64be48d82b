import { useEffect } from "react";
import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { useLocation } from "react-router-dom";
import type { Schemas } from "../../api/client";
import { formatDate } from "../../format";
import { useSession } from "../../session/session";

/** What the closure page hands to the home page (router state: dates and a first name, no secret). */
export type ClosedState = {
  closed: Schemas["ClosureResponse"] & { espaceId: string; own: boolean; firstName: string };
};

/** The home page after a closure (BR-14): what happens now, until when the data are kept, how to reopen. */
export function ClosedNotice() {
  const location = useLocation();
  const closed = (location.state as ClosedState | null)?.closed;
  const session = useSession();
  const ownEspace = session.espaces.find((e) => e.own)?.id;
  // BR-14: the closure ended every session server-side; the page forgets its own now.
  const forget = closed?.own && ownEspace === closed.espaceId;
  useEffect(() => {
    if (forget) session.forget();
  }, [forget, session]);
  if (!closed) return null;
  const whose = closed.own ? "Votre espace santé" : `L’espace santé de ${closed.firstName}`;
  const kept = closed.deletion_due
    ? `Ses données seront supprimées définitivement au plus tard le ${formatDate(closed.deletion_due)}.`
    : `Ses données sont archivées jusqu’au ${formatDate(closed.archived_until)}, puis seront supprimées.`;
  return (
    <Alert severity="success" className="fr-mb-4w" title={`${whose} est clôturé`}
      description={
        <>
          <span>
            Plus personne, ni vous ni les professionnels de santé, ne peut le consulter ou l’alimenter.
            {closed.own ? " Vous avez été déconnecté(e)." : ""}
            {" "}Un e-mail de confirmation vous a été envoyé.
          </span>
          <br />
          <span>{kept}</span>
          <br />
          <span>
            {closed.deletion_due ? "Jusqu’à cette date, vous" : "Vous"} pouvez le rouvrir et retrouver ses données :
            demandez un nouveau code (« Recevoir un nouveau code »), puis « Activer mon espace santé ».
          </span>
        </>
      } />
  );
}
