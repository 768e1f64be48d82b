import { useState, type ReactNode } from "react";
import { Input } from "@codegouvfr/react-dsfr/Input";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { FormError, fieldState, useSubmit } from "../forms";
import type { FormErrors } from "../../api/problem";
import { SerialHelp } from "./SerialHelp";
import {
  IDENTITY_MESSAGES, compactCode, emptyIdentity, explained, identityBody,
  type IdentificationValues, type IdentityValues,
} from "./identity";

type FieldsProps = { values: IdentityValues; onChange: (values: IdentityValues) => void; errors: FormErrors; who?: "self" | "child" };

/** NIR, birth date and carte Vitale serial (with the help on where the serial is), errors beside each. */
export function IdentityFields({ values, onChange, errors, who = "self" }: FieldsProps) {
  const shown = explained(errors, IDENTITY_MESSAGES);
  const set = (name: keyof IdentityValues) => (event: { target: { value: string } }) =>
    onChange({ ...values, [name]: event.target.value });
  return (
    <>
      <Input label="Numéro de sécurité sociale"
        hintText={who === "child" ? "Celui de l’enfant : 15 caractères, avec ou sans espaces" : "15 caractères, avec ou sans espaces, clé comprise"}
        {...fieldState(shown, "nir")}
        nativeInputProps={{ name: "nir", autoComplete: "off", spellCheck: false, required: true, value: values.nir,
          onChange: set("nir") }} />
      <Input label="Date de naissance" {...fieldState(shown, "birth_date")}
        nativeInputProps={{ name: "birth_date", type: "date", required: true, value: values.birth_date,
          onChange: set("birth_date") }} />
      <Input label="Numéro de série de la carte Vitale"
        hintText="Carte avec photo : les 11 derniers chiffres ; carte sans photo : tous les chiffres"
        {...fieldState(shown, "vitale_serial")}
        nativeInputProps={{ name: "vitale_serial", inputMode: "numeric", autoComplete: "off", required: true,
          value: values.vitale_serial, onChange: set("vitale_serial") }} />
      <SerialHelp />
    </>
  );
}

type Props = {
  /** The call with the identification (NIR and serial compacted); its problem is shown in the form. */
  onIdentified: (values: IdentificationValues) => Promise<{ error?: unknown } | void>;
  who?: "self" | "child";
  children?: ReactNode;
};

/**
 * WEB.md 2: the identification of activation, opposition, reopening and a child. A 401
 * `invalid_credentials` has no field: it is one message for the form, whichever field is wrong.
 */
export function Identification({ onIdentified, who = "self", children }: Props) {
  const [identity, setIdentity] = useState<IdentityValues>(emptyIdentity);
  const [code, setCode] = useState("");
  const { errors, busy, submit } = useSubmit(() => onIdentified({ ...identityBody(identity), code: compactCode(code) }));
  const shown = explained(errors, IDENTITY_MESSAGES);
  return (
    <form onSubmit={submit} noValidate>
      {children}
      <FormError errors={errors} />
      <IdentityFields values={identity} onChange={setIdentity} errors={errors} who={who} />
      <Input label="Code provisoire"
        hintText={who === "child" ? "12 caractères, reçus par courrier ou par e-mail pour l’enfant" : "12 caractères, reçus par courrier ou par e-mail"}
        {...fieldState(shown, "code")}
        nativeInputProps={{ name: "code", autoComplete: "off", spellCheck: false, required: true, value: code,
          onChange: (e) => setCode(e.target.value) }} />
      <Button type="submit" disabled={busy}>Continuer</Button>
    </form>
  );
}
