import { useState } from "react";
import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { createModal } from "@codegouvfr/react-dsfr/Modal";
import { api, type Schemas } from "../api/client";
import { FormError, useAction } from "../components/forms";
import { useTitle } from "../components/useTitle";
import { Identification } from "../components/enrol/Identification";
import { StepHeading } from "../components/enrol/StepHeading";
import { TOKEN_EXPIRED, bearer, downloadReceipt, isExpiredToken } from "../components/enrol/enrolment";
import { formatDate, formatDateTime } from "../format";

type Started = { token: string; deadline: string | null };

const confirmation = createModal({ id: "mes-opposition-confirm", isOpenedByDefault: false });

/** WEB.md 3 (BR-07): identification, then the opposition confirmed in a dialog, then its receipt. */
export default function Opposition() {
  useTitle("M’opposer à la création de mon espace santé");
  const [started, setStarted] = useState<Started | null>(null);
  const [receipt, setReceipt] = useState<Schemas["Receipt"] | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  return (
    <div className="fr-grid-row">
      <div className="fr-col-12 fr-col-md-10 fr-col-lg-8">
        <h1>M’opposer à la création de mon espace santé</h1>
        {notice && <Alert severity="warning" small description={notice} className="fr-mb-2w" />}
        {receipt && started ? (
          <OppositionReceipt token={started.token} receipt={receipt} />
        ) : started ? (
          <ConfirmStep started={started} onDone={setReceipt}
            onExpired={() => { setStarted(null); setNotice(TOKEN_EXPIRED); }} />
        ) : (
          <Identification onIdentified={async (values) => {
            const { data, error } = await api.POST("/enrolment/sessions", { body: values });
            if (data) {
              setNotice(null);
              setStarted({ token: data.enrolment_token, deadline: data.espace.opposition_deadline ?? null });
            }
            return { error };
          }}>
            <p>
              Sans opposition de votre part dans les six semaines qui suivent le courrier ou l’e-mail reçu,
              votre espace santé est créé automatiquement. Identifiez-vous avec votre carte Vitale et le code
              provisoire reçu.
            </p>
          </Identification>
        )}
      </div>
    </div>
  );
}

function ConfirmStep({ started, onDone, onExpired }: {
  started: Started; onDone: (receipt: Schemas["Receipt"]) => void; onExpired: () => void;
}) {
  const { errors, busy, run } = useAction(async () => {
    const { data, error } = await api.POST("/enrolment/opposition", { headers: bearer(started.token) });
    confirmation.close();
    if (data) onDone(data.receipt);
    if (isExpiredToken(error)) return onExpired();
    return { error };
  });
  return (
    <>
      <StepHeading>Votre opposition</StepHeading>
      <p>
        Vous êtes identifié(e).
        {started.deadline && ` Vous pouvez vous opposer à la création de votre espace santé jusqu’au ${formatDate(started.deadline)}.`}
      </p>
      <p>
        Après votre opposition, aucun espace santé ne sera créé pour vous. Vous pourrez changer d’avis plus tard
        en demandant un nouveau code provisoire, puis en activant votre espace.
      </p>
      <FormError errors={errors} />
      <Button type="button" {...confirmation.buttonProps}>Confirmer mon opposition</Button>
      <confirmation.Component title="Confirmer votre opposition" buttons={[
        { children: "Annuler", priority: "secondary" },
        { children: "Confirmer", doClosesModal: false, disabled: busy, onClick: () => void run() },
      ]}>
        <p>Votre espace santé ne sera pas créé. Confirmez-vous votre opposition ?</p>
      </confirmation.Component>
    </>
  );
}

function OppositionReceipt({ token, receipt }: { token: string; receipt: Schemas["Receipt"] }) {
  const { errors, busy, run } = useAction(async () => {
    const problem = await downloadReceipt(token, receipt.id);
    return problem ? { error: problem } : undefined;
  });
  return (
    <>
      <StepHeading>Justificatif d’opposition</StepHeading>
      <Alert severity="success" title="Votre opposition est enregistrée" className="fr-mb-3w"
        description="Votre espace santé ne sera pas créé. Conservez le justificatif ci-dessous." />
      <dl>
        <dt className="fr-text--bold">Numéro de justificatif</dt>
        <dd className="fr-mb-2w"><code>{receipt.id}</code></dd>
        <dt className="fr-text--bold">Date de l’opposition</dt>
        <dd className="fr-mb-2w">{formatDateTime(receipt.at)}</dd>
      </dl>
      <FormError errors={errors} />
      <Button type="button" iconId="fr-icon-download-line" disabled={busy} onClick={() => void run()}>
        Télécharger le justificatif
      </Button>
      <p className="fr-text--sm fr-mt-2w">Le justificatif est un fichier PDF.</p>
    </>
  );
}
