import { useState } from "react";
import { Input } from "@codegouvfr/react-dsfr/Input";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { FormError, fieldState, useSubmit } from "../forms";
import { explained } from "./identity";

const MESSAGES = { otp: "Le code comporte 6 chiffres.", sms_otp: "Le code comporte 6 chiffres." };

type Props = {
  channels: string[];
  onConfirm: (codes: { otp: string; sms_otp?: string }) => Promise<{ error?: unknown } | void>;
  onBack: () => void;
};

/** WEB.md 4, second step: the codes that prove the e-mail (and the mobile when given), BR-10. */
export function ActivationConfirm({ channels, onConfirm, onBack }: Props) {
  const [otp, setOtp] = useState("");
  const [smsOtp, setSmsOtp] = useState("");
  const withSms = channels.includes("sms");
  const { errors: raw, busy, submit } = useSubmit(() =>
    onConfirm(withSms ? { otp: otp.trim(), sms_otp: smsOtp.trim() } : { otp: otp.trim() }));
  const errors = explained(raw, MESSAGES);
  return (
    <form onSubmit={submit} noValidate>
      <p>
        {withSms
          ? "Un code à usage unique vient d’être envoyé à votre adresse e-mail et un autre par SMS à votre téléphone portable. Ils sont valables 10 minutes."
          : "Un code à usage unique vient d’être envoyé à votre adresse e-mail. Il est valable 10 minutes."}
      </p>
      <FormError errors={errors} />
      <Input label="Code reçu par e-mail" hintText="6 chiffres" {...fieldState(errors, "otp")}
        nativeInputProps={{ name: "otp", inputMode: "numeric", autoComplete: "one-time-code", maxLength: 6, required: true,
          value: otp, onChange: (e) => setOtp(e.target.value) }} />
      {withSms && (
        <Input label="Code reçu par SMS" hintText="6 chiffres" {...fieldState(errors, "sms_otp")}
          nativeInputProps={{ name: "sms_otp", inputMode: "numeric", autoComplete: "one-time-code", maxLength: 6,
            required: true, value: smsOtp, onChange: (e) => setSmsOtp(e.target.value) }} />
      )}
      <ul className="fr-btns-group fr-btns-group--inline-md">
        <li><Button type="submit" disabled={busy}>Activer mon espace santé</Button></li>
        <li>
          <Button type="button" priority="secondary" onClick={onBack}>
            Modifier mes coordonnées ou recevoir de nouveaux codes
          </Button>
        </li>
      </ul>
    </form>
  );
}
