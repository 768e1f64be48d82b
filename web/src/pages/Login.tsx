import { useEffect, useState } from "react";
import { Input } from "@codegouvfr/react-dsfr/Input";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { useLocation, useNavigate } from "react-router-dom";
import { api, type Schemas } from "../api/client";
import { FormError, fieldState, useAction, useSubmit } from "../components/forms";
import { useTitle } from "../components/useTitle";
import { useSession } from "../session/session";
import { paths } from "../paths";

type Challenge = { id: string; channel: string; channels: string[]; resendAt: number };

const channelName: Record<string, string> = { email: "e-mail", sms: "SMS" };

function challengeOf(body: Schemas["LoginResponse"] | Schemas["OtpResendResponse"], channels: string[]): Challenge {
  return { id: body.challenge_id, channel: body.channel, channels, resendAt: Date.now() + (body.resend_after ?? 30) * 1000 };
}

/** Seconds left before a resend is allowed, ticking once a second. */
function useSecondsLeft(until: number | null): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (until === null) return;
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, [until]);
  return until === null ? 0 : Math.max(0, Math.ceil((until - now) / 1000));
}

export function Login() {
  useTitle("Se connecter");
  const location = useLocation();
  const from = (location.state as { from?: string; expired?: boolean } | null) ?? {};
  const [challenge, setChallenge] = useState<Challenge | null>(null);
  return (
    <div className="fr-grid-row">
      <div className="fr-col-12 fr-col-md-8 fr-col-lg-6">
        <h1>Se connecter à Mon espace santé</h1>
        {from.expired && (
          <Alert severity="info" small className="fr-mb-2w"
            description="Votre session a expiré (30 minutes sans activité, ou déconnexion depuis un autre onglet). Reconnectez-vous pour revenir à la page où vous étiez." />
        )}
        {challenge ? (
          <OtpStep challenge={challenge} onChallenge={setChallenge} returnTo={from.from} />
        ) : (
          <PasswordStep onChallenge={setChallenge} />
        )}
      </div>
    </div>
  );
}

function PasswordStep({ onChallenge }: { onChallenge: (c: Challenge) => void }) {
  const [login, setLogin] = useState("");
  const [password, setPassword] = useState("");
  const { errors, busy, submit } = useSubmit(async () => {
    const { data, error } = await api.POST("/auth/login", { body: { login, password } });
    if (data) onChallenge(challengeOf(data, data.channels ?? [data.channel]));
    return { error };
  });
  return (
    <form onSubmit={submit} noValidate>
      <FormError errors={errors} />
      <Input label="Identifiant" {...fieldState(errors, "login")}
        nativeInputProps={{ name: "login", autoComplete: "username", required: true, value: login,
          onChange: (e) => setLogin(e.target.value) }} />
      <Input label="Mot de passe" {...fieldState(errors, "password")}
        nativeInputProps={{ name: "password", type: "password", autoComplete: "current-password", required: true,
          value: password, onChange: (e) => setPassword(e.target.value) }} />
      <Button type="submit" disabled={busy}>Se connecter</Button>
    </form>
  );
}

function OtpStep({ challenge, onChallenge, returnTo }: {
  challenge: Challenge; onChallenge: (c: Challenge) => void; returnTo?: string;
}) {
  const session = useSession();
  const navigate = useNavigate();
  const [otp, setOtp] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const secondsLeft = useSecondsLeft(challenge.resendAt);
  const { errors, busy, submit } = useSubmit(async () => {
    const { data, error } = await api.POST("/auth/otp", { body: { challenge_id: challenge.id, otp } });
    if (data) {
      await session.signIn(data.access_token);
      navigate(returnTo && returnTo.startsWith("/espace/") ? returnTo : paths.documents, { replace: true });
    }
    return { error };
  });
  const resend = useAction<"email" | "sms" | undefined>(async (channel) => {
    const { data, error } = await api.POST("/auth/otp/resend", {
      body: channel ? { challenge_id: challenge.id, channel } : { challenge_id: challenge.id },
    });
    if (data) {
      onChallenge(challengeOf(data, challenge.channels));
      setNotice(`Un nouveau code vous a été envoyé par ${channelName[data.channel] ?? data.channel}.`);
      setOtp("");
    }
    return { error };
  });
  const other = challenge.channels.find((c) => c !== challenge.channel) as "email" | "sms" | undefined;
  const waiting = secondsLeft > 0;
  return (
    <>
      <p>
        Un code à usage unique vous a été envoyé par {channelName[challenge.channel] ?? challenge.channel}. Il est
        valable quelques minutes.
      </p>
      {notice && <Alert severity="success" small description={notice} className="fr-mb-2w" />}
      <form onSubmit={submit} noValidate>
        <FormError errors={errors} />
        <FormError errors={resend.errors} />
        <Input label="Code à usage unique" hintText="6 chiffres" {...fieldState(errors, "otp")}
          nativeInputProps={{ name: "otp", inputMode: "numeric", autoComplete: "one-time-code", maxLength: 6,
            required: true, value: otp, onChange: (e) => setOtp(e.target.value.trim()) }} />
        <Button type="submit" disabled={busy}>Valider</Button>
      </form>
      <div className="fr-mt-3w">
        <p className="fr-text--sm" aria-live="polite">
          {waiting ? `Vous pourrez demander un nouveau code dans ${secondsLeft} s.` : "Vous n’avez pas reçu le code ?"}
        </p>
        <ul className="fr-btns-group fr-btns-group--inline-md">
          <li>
            <Button priority="secondary" type="button" disabled={waiting || resend.busy}
              onClick={() => void resend.run(undefined)}>
              {waiting ? `Renvoyer le code (dans ${secondsLeft} s)` : "Renvoyer le code"}
            </Button>
          </li>
          {other && (
            <li>
              <Button priority="tertiary" type="button" disabled={waiting || resend.busy}
                onClick={() => void resend.run(other)}>
                {other === "sms" ? "Recevoir le code par SMS" : "Recevoir le code par e-mail"}
              </Button>
            </li>
          )}
        </ul>
      </div>
    </>
  );
}
