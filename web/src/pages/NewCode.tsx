import { useState } from "react";
import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { RadioButtons } from "@codegouvfr/react-dsfr/RadioButtons";
import { Link } from "react-router-dom";
import { api } from "../api/client";
import { FormError, fieldState, useSubmit } from "../components/forms";
import { useTitle } from "../components/useTitle";
import { IdentityFields } from "../components/enrol/Identification";
import { StepHeading } from "../components/enrol/StepHeading";
import { emptyIdentity, identityBody, type IdentityValues } from "../components/enrol/identity";
import { paths } from "../paths";

/**
 * WEB.md 1 "Recevoir un nouveau code" (BR-09): the code goes to the contact on file; the answer is
 * the same whether or not the person exists (no enumeration), so the page shows the API's message.
 */
export default function NewCode() {
  useTitle("Recevoir un nouveau code");
  const [identity, setIdentity] = useState<IdentityValues>(emptyIdentity);
  const [channel, setChannel] = useState<"email" | "sms">("email");
  const [sent, setSent] = useState<string | null>(null);
  const { errors, busy, submit } = useSubmit(async () => {
    const { data, error } = await api.POST("/enrolment/codes", { body: { ...identityBody(identity), channel } });
    if (data) {
      setSent(data.detail);
      setIdentity(emptyIdentity);
    }
    return { error };
  });
  return (
    <div className="fr-grid-row">
      <div className="fr-col-12 fr-col-md-10 fr-col-lg-8">
        <h1>Recevoir un nouveau code provisoire</h1>
        {sent ? (
          <>
            <StepHeading>Demande enregistrée</StepHeading>
            <Alert severity="info" small description={sent} className="fr-mb-3w" />
            <p>Le nouveau code remplace le précédent, qui ne fonctionne plus.</p>
            <ul className="fr-btns-group fr-btns-group--inline-md">
              <li><Link className="fr-btn" to={paths.activation}>Activer mon espace santé</Link></li>
              <li><Link className="fr-btn fr-btn--secondary" to={paths.opposition}>M’opposer à la création de mon espace santé</Link></li>
            </ul>
          </>
        ) : (
          <form onSubmit={submit} noValidate>
            <p>
              Votre code provisoire a expiré, a déjà servi ou est perdu ? Un nouveau code est envoyé aux coordonnées
              connues de votre caisse d’assurance maladie.
            </p>
            <FormError errors={errors} />
            <IdentityFields values={identity} onChange={setIdentity} errors={errors} />
            <RadioButtons legend="Recevoir le nouveau code par" name="channel" {...fieldState(errors, "channel")}
              options={[
                { label: "E-mail", nativeInputProps: { value: "email", checked: channel === "email", onChange: () => setChannel("email") } },
                { label: "SMS", nativeInputProps: { value: "sms", checked: channel === "sms", onChange: () => setChannel("sms") } },
              ]} />
            <Button type="submit" disabled={busy}>Recevoir un nouveau code</Button>
          </form>
        )}
      </div>
    </div>
  );
}
