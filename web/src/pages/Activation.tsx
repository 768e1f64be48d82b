import { useState } from "react";
import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Link } from "react-router-dom";
import { api } from "../api/client";
import { useTitle } from "../components/useTitle";
import { Identification } from "../components/enrol/Identification";
import { ActivationForm, emptyActivation, type ActivationValues } from "../components/enrol/ActivationForm";
import { ActivationConfirm } from "../components/enrol/ActivationConfirm";
import { StepHeading } from "../components/enrol/StepHeading";
import { TOKEN_EXPIRED, bearer, isExpiredToken } from "../components/enrol/enrolment";
import { paths } from "../paths";

type Step = { name: "identify" } | { name: "form"; token: string }
  | { name: "confirm"; token: string; challengeId: string; channels: string[] } | { name: "done" };

/** WEB.md 4 (BR-10): identification → contacts, identifier, password, terms → the codes → active. */
export default function Activation() {
  useTitle("Activer mon espace santé");
  const [step, setStep] = useState<Step>({ name: "identify" });
  const [values, setValues] = useState<ActivationValues>(emptyActivation);
  const [notice, setNotice] = useState<string | null>(null);
  const expired = () => {
    setStep({ name: "identify" });
    setNotice(TOKEN_EXPIRED);
  };

  const request = async (token: string, v: ActivationValues) => {
    const mobile = v.mobile.trim() || undefined;
    const { data, error } = await api.POST("/enrolment/activation", {
      headers: bearer(token),
      body: { email: v.email.trim(), mobile, otp_channel: mobile ? v.otp_channel : "email", login: v.login.trim(),
        password: v.password, accept_terms: v.accept_terms as true },
    });
    if (data) setStep({ name: "confirm", token, challengeId: data.challenge_id, channels: data.channels });
    return isExpiredToken(error) ? expired() : { error };
  };

  return (
    <div className="fr-grid-row">
      <div className="fr-col-12 fr-col-md-10 fr-col-lg-8">
        <h1>Activer mon espace santé</h1>
        {notice && <Alert severity="warning" small description={notice} className="fr-mb-2w" />}
        {step.name === "identify" && (
          <Identification onIdentified={async (identity) => {
            const { data, error } = await api.POST("/enrolment/sessions", { body: identity });
            if (data) {
              setNotice(null);
              setStep({ name: "form", token: data.enrolment_token });
            }
            return { error };
          }}>
            <p>Munissez-vous de votre carte Vitale et du code provisoire reçu par courrier ou par e-mail.</p>
          </Identification>
        )}
        {step.name === "form" && (
          <>
            <StepHeading>Vos coordonnées et vos identifiants de connexion</StepHeading>
            <ActivationForm values={values} onChange={setValues} onSubmit={(v) => request(step.token, v)} />
          </>
        )}
        {step.name === "confirm" && (
          <>
            <StepHeading>Vérification de vos coordonnées</StepHeading>
            <ActivationConfirm channels={step.channels} onBack={() => setStep({ name: "form", token: step.token })}
              onConfirm={async (codes) => {
                const { data, error } = await api.POST("/enrolment/activation/confirm", {
                  headers: bearer(step.token), body: { challenge_id: step.challengeId, ...codes },
                });
                if (data) {
                  setValues(emptyActivation);
                  setStep({ name: "done" });
                }
                return isExpiredToken(error) ? expired() : { error };
              }} />
          </>
        )}
        {step.name === "done" && (
          <>
            <StepHeading>Activation terminée</StepHeading>
            <Alert severity="success" title="Votre espace santé est activé" className="fr-mb-3w"
              description="Connectez-vous avec votre identifiant et votre mot de passe ; un code à usage unique vous sera envoyé à chaque connexion." />
            <Link className="fr-btn" to={paths.login}>Se connecter</Link>
          </>
        )}
      </div>
    </div>
  );
}
