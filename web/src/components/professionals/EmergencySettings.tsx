import { useEffect, useState } from "react";
import { ToggleSwitch } from "@codegouvfr/react-dsfr/ToggleSwitch";
import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { api, asProblem, type Schemas } from "../../api/client";

type Emergency = Schemas["EmergencySettings"];
type Mode = keyof Emergency;

const MODES: { mode: Mode; label: string; help: string }[] = [
  { mode: "samu", label: "Accès en urgence par le SAMU",
    help: "Le médecin régulateur du SAMU (centre 15) peut consulter vos documents pendant 24 heures lors d’un appel d’urgence." },
  { mode: "break_glass", label: "Accès en urgence par un professionnel de santé (bris de glace)",
    help: "Un professionnel de santé peut consulter vos documents pendant 24 heures si vous ne pouvez pas donner votre accord, en indiquant pourquoi." },
  { mode: "masked_documents", label: "Inclure les documents masqués lors d’un accès en urgence",
    help: "Les documents que vous avez masqués aux professionnels sont alors aussi consultables." },
];

/** BR-34: the three emergency modes, each allowed unless the holder refuses it (PATCH …/settings). */
export function EmergencySettings({ espaceId }: { espaceId: string }) {
  const [emergency, setEmergency] = useState<Emergency | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    setEmergency(null);
    void api.GET("/espaces/{espace_id}/settings", { params: { path: { espace_id: espaceId } } }).then(({ data }) => {
      if (data) setEmergency(data.emergency);
      else setMessage({ ok: false, text: "Les réglages d’urgence n’ont pas pu être chargés. Réessayez plus tard." });
    });
  }, [espaceId]);

  const change = async (mode: Mode, allowed: boolean, label: string) => {
    setBusy(true);
    setMessage(null);
    try {
      const { data, error } = await api.PATCH("/espaces/{espace_id}/settings", {
        params: { path: { espace_id: espaceId } }, body: { emergency: { [mode]: allowed } } });
      if (data) {
        setEmergency(data.emergency);
        setMessage({ ok: true, text: `${label} : ${allowed ? "autorisé" : "refusé"}. Ce choix est enregistré.` });
      } else setMessage({ ok: false, text: asProblem(error).detail });
    } catch (error) {
      setMessage({ ok: false, text: asProblem(error).detail });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="fr-mt-6w">
      <h2 id="titre-urgence">Accès en cas d’urgence</h2>
      <p>Chaque accès en urgence est limité à 24 heures, inscrit dans l’historique des accès, et vous en êtes informé.</p>
      {emergency && (
        <fieldset className="fr-fieldset" aria-labelledby="titre-urgence">
          {MODES.map(({ mode, label, help }) => (
            <div className="fr-fieldset__element" key={mode}>
              <ToggleSwitch label={label} helperText={help} checked={emergency[mode]} disabled={busy}
                labelPosition="left" showCheckedHint={false} onChange={(checked) => void change(mode, checked, label)} />
            </div>
          ))}
        </fieldset>
      )}
      <div aria-live="polite" role="status">
        {message && <Alert severity={message.ok ? "success" : "error"} small description={message.text} />}
      </div>
    </section>
  );
}
