import { useState, type FormEvent } from "react";
import { Input } from "@codegouvfr/react-dsfr/Input";
import { RadioButtons } from "@codegouvfr/react-dsfr/RadioButtons";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { createModal } from "@codegouvfr/react-dsfr/Modal";
import { useNavigate } from "react-router-dom";
import { api, type Problem } from "../../api/client";
import { FormError, fieldState, useAction } from "../forms";
import { useSession } from "../../session/session";
import { paths } from "../../paths";
import type { ClosedState } from "./ClosedNotice";

const confirmation = createModal({ id: "mes-closure-confirm", isOpenedByDefault: false });

/** BR-14, in the holder's words: what each choice does to the data. */
const CHOICES = {
  keep: {
    label: "Conserver mes données archivées pendant 10 ans",
    hint: "Personne, ni vous ni les professionnels de santé, ne pourra plus consulter ni alimenter l’espace. "
      + "Vos données sont archivées 10 ans puis supprimées automatiquement. Pendant ce temps, vous pouvez rouvrir "
      + "votre espace et tout retrouver.",
  },
  delete: {
    label: "Supprimer mes données",
    hint: "Vos documents, votre profil médical, vos messages et l’historique des accès seront supprimés "
      + "définitivement dans un délai de 30 jours (3 mois au plus). Rouvrir votre espace avant cette date annule "
      + "la suppression ; ensuite, rien ne pourra être récupéré.",
  },
} as const;

/**
 * WEB.md 12 "Clôturer mon espace santé": password re-entered, the deletion choice, a dialog whose
 * button is "Confirmer", then POST …/closure. For the holder's own espace every session ends (BR-14)
 * and the home page says what happens now; a guardian closing a child's espace stays logged in.
 */
export function Closure({ espaceId, own, firstName }: { espaceId: string; own: boolean; firstName: string }) {
  const session = useSession();
  const navigate = useNavigate();
  const [password, setPassword] = useState("");
  const [choice, setChoice] = useState<keyof typeof CHOICES>("keep");
  const close = useAction(async () => {
    const { data, error } = await api.POST("/espaces/{espace_id}/closure", {
      params: { path: { espace_id: espaceId } }, body: { password, delete_data: choice === "delete" },
    });
    if (!data) {
      // A wrong password (401 invalid_credentials, counted as a failed login, BR-12) is said next to it.
      const problem = error as Problem | undefined;
      if (problem?.code === "invalid_credentials") {
        return { error: { ...problem, field: "password", detail: "Mot de passe incorrect." } };
      }
      return { error };
    }
    setPassword("");
    // The home page ends the local session once it is shown (ClosedNotice): ending it here would let
    // this private page's guard send the holder to the login first.
    const state: ClosedState = { closed: { ...data, espaceId, own, firstName } };
    navigate(paths.home, { replace: true, state });
    if (!own) await session.reload();
  });
  const ask = (event: FormEvent) => {
    event.preventDefault();
    if (!password) {
      close.setErrors({ fields: { password: "Saisissez votre mot de passe pour clôturer l’espace." }, form: null });
      return;
    }
    close.setErrors({ fields: {}, form: null });
    confirmation.open();
  };
  return (
    <section aria-labelledby="closure-title">
      <h2 id="closure-title">Clôturer mon espace santé</h2>
      <p>
        {own ? "Vous pouvez clôturer votre espace santé à tout moment."
          : `Vous pouvez clôturer l’espace santé de ${firstName}, dont vous êtes le représentant légal.`}
        {" "}Vos identifiants ne permettront plus de vous connecter à cet espace.
      </p>
      <form onSubmit={ask} noValidate>
        <FormError errors={close.errors} />
        <RadioButtons legend="Que deviennent les données ?" name="delete_data" {...fieldState(close.errors, "delete_data")}
          options={(Object.keys(CHOICES) as (keyof typeof CHOICES)[]).map((key) => ({
            label: CHOICES[key].label,
            hintText: CHOICES[key].hint,
            nativeInputProps: { value: key, checked: choice === key, onChange: () => setChoice(key) },
          }))} />
        <Input label="Mot de passe" hintText="Votre mot de passe de connexion, pour confirmer qu’il s’agit bien de vous"
          {...fieldState(close.errors, "password")}
          nativeInputProps={{ name: "password", type: "password", autoComplete: "current-password", required: true,
            value: password, onChange: (e) => setPassword(e.target.value) }} />
        <Button type="submit" iconId="fr-icon-close-circle-line" disabled={close.busy}>Clôturer mon espace santé</Button>
      </form>
      <confirmation.Component title="Clôturer cet espace santé ?" titleAs="h2"
        buttons={[
          { children: "Annuler", priority: "secondary" },
          { children: "Confirmer", onClick: () => void close.run() },
        ]}>
        <p>
          {choice === "delete"
            ? "L’espace sera fermé et ses données supprimées dans un délai de 30 jours."
            : "L’espace sera fermé et ses données archivées pendant 10 ans."}
          {own ? " Vous serez déconnecté(e)." : ""}
        </p>
      </confirmation.Component>
    </section>
  );
}
