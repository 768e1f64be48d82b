import { useEffect, useState } from "react";
import { ToggleSwitch } from "@codegouvfr/react-dsfr/ToggleSwitch";
import { RadioButtons } from "@codegouvfr/react-dsfr/RadioButtons";
import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { api, type Schemas } from "../../api/client";
import { FormError, fieldState, useAction } from "../forms";

type Settings = Schemas["SettingsOut"];
type Change = Schemas["SettingsPatch"];

const NOTIFICATIONS: { key: keyof Settings["notifications"]; label: string; hint: string }[] = [
  { key: "documents", label: "Nouveaux documents",
    hint: "Un e-mail quand un professionnel de santé ajoute un document." },
  { key: "messages", label: "Nouveaux messages",
    hint: "Un e-mail (ou un SMS si vous recevez vos codes par SMS) quand un professionnel vous écrit." },
  { key: "accesses", label: "Accès à mon espace",
    hint: "Un e-mail quand un professionnel de santé consulte ou alimente votre espace." },
];

/**
 * WEB.md 12: notifications, the one-time-code channel and "Masquer par défaut les nouveaux documents";
 * each change is saved at once (PATCH …/settings) and confirmed. The code channel only concerns the
 * holder's own espace (a child's guardian logs in with their own codes): `own` shows it.
 */
export function Preferences({ espaceId, own }: { espaceId: string; own: boolean }) {
  const [settings, setSettings] = useState<Settings | null>(null);
  const [failed, setFailed] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    void api.GET("/espaces/{espace_id}/settings", { params: { path: { espace_id: espaceId } } }).then(({ data }) => {
      if (!live) return;
      if (data) setSettings(data);
      else setFailed(true);
    });
    return () => {
      live = false;
    };
  }, [espaceId]);

  // The control shows the change at once; the answer confirms it, or the previous value comes back.
  const save = useAction<{ change: Change; shown: Settings; what: string }>(async ({ change, shown, what }) => {
    setSaved(null);
    const before = settings;
    setSettings(shown);
    const { data, error } = await api.PATCH("/espaces/{espace_id}/settings", {
      params: { path: { espace_id: espaceId } }, body: change,
    });
    setSettings(data ?? before);
    if (data) setSaved(what);
    return { error };
  });

  if (failed) return <p role="alert">Vos paramètres n’ont pas pu être chargés. Réessayez plus tard.</p>;
  if (!settings) return <p aria-live="polite">Chargement…</p>;
  return (
    <section aria-labelledby="preferences-title" className="fr-mb-6w">
      <h2 id="preferences-title">Préférences</h2>
      <div aria-live="polite">
        {saved && <Alert severity="success" small description={saved} className="fr-mb-2w" />}
      </div>
      <FormError errors={save.errors} />
      <fieldset className="fr-fieldset" aria-describedby="notifications-hint">
        <legend className="fr-fieldset__legend">Notifications</legend>
        <p id="notifications-hint" className="fr-hint-text fr-ml-2v">
          Les messages ne contiennent jamais de donnée de santé.
        </p>
        {NOTIFICATIONS.map(({ key, label, hint }) => (
          <div className="fr-fieldset__element" key={key}>
            <ToggleSwitch label={label} helperText={hint} disabled={save.busy} checked={settings.notifications[key]}
              onChange={(checked) => void save.run({
                change: { notifications: { [key]: checked } },
                shown: { ...settings, notifications: { ...settings.notifications, [key]: checked } },
                what: `Notifications « ${label} » ${checked ? "activées" : "désactivées"}.`,
              })} />
          </div>
        ))}
      </fieldset>
      {own && (
        <RadioButtons legend="Recevoir mes codes de connexion par" name="otp_channel" disabled={save.busy}
          hintText={settings.otp_channels.includes("sms") ? undefined
            : "Le SMS n’est possible qu’avec un numéro de téléphone portable vérifié lors de l’activation."}
          {...fieldState(save.errors, "otp_channel")}
          options={(["email", "sms"] as const).map((channel) => ({
            label: channel === "email" ? "E-mail" : "SMS",
            nativeInputProps: {
              value: channel,
              checked: settings.otp_channel === channel,
              disabled: !settings.otp_channels.includes(channel),
              onChange: () => void save.run({
                change: { otp_channel: channel },
                shown: { ...settings, otp_channel: channel },
                what: `Vos codes de connexion vous seront envoyés par ${channel === "email" ? "e-mail" : "SMS"}.`,
              }),
            },
          }))} />
      )}
      <ToggleSwitch label="Masquer par défaut les nouveaux documents" disabled={save.busy}
        helperText="Les documents ajoutés ensuite seront masqués aux professionnels de santé ; vous pourrez les démasquer un par un."
        checked={settings.documents_masked_by_default}
        onChange={(checked) => void save.run({
          change: { documents_masked_by_default: checked },
          shown: { ...settings, documents_masked_by_default: checked },
          what: checked ? "Les nouveaux documents seront masqués par défaut." : "Les nouveaux documents ne seront plus masqués par défaut.",
        })} />
    </section>
  );
}
