import { Input } from "@codegouvfr/react-dsfr/Input";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Checkbox } from "@codegouvfr/react-dsfr/Checkbox";
import { RadioButtons } from "@codegouvfr/react-dsfr/RadioButtons";
import { PasswordInput } from "@codegouvfr/react-dsfr/blocks/PasswordInput";
import { FormError, fieldState, useSubmit } from "../forms";
import { explained } from "./identity";
import { passwordMessages } from "./password";
import { TermsLink } from "./Terms";

export type ActivationValues = {
  email: string; mobile: string; otp_channel: "email" | "sms"; login: string; password: string; accept_terms: boolean;
};

export const emptyActivation: ActivationValues = {
  email: "", mobile: "", otp_channel: "email", login: "", password: "", accept_terms: false,
};

/** What each field expects, beside it when the API finds its format wrong (BR-10, BR-13). */
const MESSAGES: Record<string, string> = {
  email: "L’adresse e-mail est invalide. Exemple : prenom.nom@exemple.fr",
  mobile: "Le numéro de mobile est invalide : 06 ou 07 suivi de 8 chiffres, ou au format international (+33…).",
  login: "L’identifiant doit faire 8 à 100 caractères parmi a-z, 0-9, « _ », « . » et « - ».",
  password: "Le mot de passe doit contenir entre 12 et 128 caractères.",
};

type Props = {
  values: ActivationValues;
  onChange: (values: ActivationValues) => void;
  onSubmit: (values: ActivationValues) => Promise<{ error?: unknown } | void>;
};

/** WEB.md 4: contacts, the one-time-code channel, identifier, password and the terms; "Valider". */
export function ActivationForm({ values, onChange, onSubmit }: Props) {
  const { errors: raw, busy, submit } = useSubmit(() => onSubmit(values));
  const errors = explained(raw, MESSAGES);
  const set = <K extends keyof ActivationValues>(name: K, value: ActivationValues[K]) => onChange({ ...values, [name]: value });
  const hasMobile = values.mobile.trim() !== "";
  return (
    <form onSubmit={submit} noValidate>
      <FormError errors={errors} />
      <Input label="Adresse e-mail" hintText="Un code vous sera envoyé pour la vérifier. Exemple : prenom.nom@exemple.fr"
        {...fieldState(errors, "email")}
        nativeInputProps={{ name: "email", type: "email", autoComplete: "email", required: true, value: values.email,
          onChange: (e) => set("email", e.target.value) }} />
      <Input label="Numéro de téléphone portable" hintText="Facultatif, pour recevoir vos codes par SMS. Exemple : 06 12 34 56 78"
        {...fieldState(errors, "mobile")}
        nativeInputProps={{ name: "mobile", type: "tel", autoComplete: "tel", value: values.mobile,
          onChange: (e) => onChange({ ...values, mobile: e.target.value,
            otp_channel: e.target.value.trim() ? values.otp_channel : "email" }) }} />
      <RadioButtons legend="Recevoir mes codes de connexion par" name="otp_channel"
        hintText={hasMobile ? "À chaque connexion, un code à usage unique vous sera envoyé." : "Le SMS n’est possible qu’avec un mobile renseigné ci-dessus."}
        {...fieldState(errors, "otp_channel")}
        options={[
          { label: "E-mail", nativeInputProps: { value: "email", checked: values.otp_channel === "email",
            onChange: () => set("otp_channel", "email") } },
          { label: "SMS", nativeInputProps: { value: "sms", checked: values.otp_channel === "sms", disabled: !hasMobile,
            onChange: () => set("otp_channel", "sms") } },
        ]} />
      <Input label="Identifiant"
        hintText="8 à 100 caractères : lettres minuscules sans accent, chiffres, « . », « _ » ou « - ». Ni un e-mail, ni un numéro de sécurité sociale, ni un IBAN."
        {...fieldState(errors, "login")}
        nativeInputProps={{ name: "login", autoComplete: "username", autoCapitalize: "none", spellCheck: false, required: true,
          value: values.login, onChange: (e) => set("login", e.target.value) }} />
      <PasswordInput label="Mot de passe" messagesHint="Votre mot de passe doit contenir :"
        messages={passwordMessages(values.password, values.login, errors.fields.password)}
        nativeInputProps={{ name: "password", autoComplete: "new-password", required: true, value: values.password,
          onChange: (e) => set("password", e.target.value) }} />
      <Checkbox {...fieldState(errors, "accept_terms")} options={[{
        label: "J’accepte les conditions générales d’utilisation",
        nativeInputProps: { name: "accept_terms", checked: values.accept_terms,
          onChange: (e) => set("accept_terms", e.target.checked) },
      }]} />
      <TermsLink />
      <Button type="submit" disabled={busy}>Valider</Button>
    </form>
  );
}
