import { useEffect, useState } from "react";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { api, type Schemas } from "../../api/client";
import { FormError, useAction } from "../forms";
import { formatDateTime } from "../../format";

const POLL_MS = 2000;

type State =
  | { step: "idle" }
  | { step: "pending"; exportId: string }
  | { step: "ready"; download: Schemas["Download"]; until: number }
  | { step: "failed" };

/** Polls GET …/exports/{id} until the archive is built (or failed); stops when the page goes away. */
function usePoll(espaceId: string, state: State, setState: (s: State) => void) {
  useEffect(() => {
    if (state.step !== "pending") return;
    let live = true;
    const timer = window.setInterval(async () => {
      const { data } = await api.GET("/espaces/{espace_id}/exports/{export_id}", {
        params: { path: { espace_id: espaceId, export_id: state.exportId } },
      });
      if (!live || !data) return;
      if (data.status === "ready" && data.download) {
        setState({ step: "ready", download: data.download, until: Date.now() + data.download.expires_in * 1000 });
      } else if (data.status === "failed") {
        setState({ step: "failed" });
      }
    }, POLL_MS);
    return () => {
      live = false;
      window.clearInterval(timer);
    };
  }, [espaceId, state, setState]);
}

/**
 * WEB.md 12 "Télécharger mes données": POST …/exports, then the archive is built in the background
 * and a link "Télécharger l'archive" appears. The link is a short-lived presigned address of the
 * archive (its key holds opaque ids only, never the NIR): nothing the holder typed.
 */
export function DataExport({ espaceId }: { espaceId: string }) {
  const [state, setState] = useState<State>({ step: "idle" });
  usePoll(espaceId, state, setState);
  const start = useAction(async () => {
    const { data, error } = await api.POST("/espaces/{espace_id}/exports", {
      params: { path: { espace_id: espaceId } }, body: {},
    });
    if (data) setState({ step: "pending", exportId: data.export_id });
    return { error };
  });
  return (
    <section aria-labelledby="export-title" className="fr-mb-6w">
      <h2 id="export-title">Mes données</h2>
      <p>
        Une archive (format zip) de toutes les données de cet espace : documents, profil médical, messages,
        historique des accès, remboursements et paramètres. Elle reste disponible 7 jours.
      </p>
      <FormError errors={start.errors} />
      <div aria-live="polite">
        {state.step === "pending" && <p>Préparation de l’archive en cours… Vous pouvez rester sur cette page.</p>}
        {state.step === "failed" && (
          <Alert severity="error" small className="fr-mb-2w"
            description="L’archive n’a pas pu être préparée. Vous pouvez la demander à nouveau." />
        )}
        {state.step === "ready" && (
          <p>
            <a className="fr-link fr-icon-download-line fr-link--icon-left" href={state.download.url} download>
              Télécharger l’archive
            </a>
            <span className="fr-hint-text">{`Lien valable jusqu’au ${formatDateTime(new Date(state.until).toISOString())}.`}</span>
          </p>
        )}
      </div>
      {state.step !== "pending" && (
        <Button priority="secondary" iconId="fr-icon-download-line" disabled={start.busy}
          onClick={() => void start.run()}>
          Télécharger mes données
        </Button>
      )}
    </section>
  );
}
