import { useCallback, useEffect, useState } from "react";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Input } from "@codegouvfr/react-dsfr/Input";
import { Select } from "@codegouvfr/react-dsfr/Select";
import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { api } from "../../api/client";
import { FormError, fieldState, useSubmit } from "../forms";
import { todayIso } from "./FieldInput";
import { MeasureChart } from "./MeasureChart";
import { MEASURE_TYPES, byType, formatMeasure, measureType, measuredAt, parseNumber, type Measurement } from "./measures";

const MAX_PAGES = 5;

/** "Mesures" (BR-19): readings appended as a time series, one chart per type. */
export function Measurements({ espaceId }: { espaceId: string }) {
  const [items, setItems] = useState<Measurement[] | null>(null);
  const [failed, setFailed] = useState(false);
  const [adding, setAdding] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);

  const load = useCallback(async () => {
    const all: Measurement[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const { data } = await api.GET("/espaces/{espace_id}/measurements", {
        params: { path: { espace_id: espaceId }, query: { limit: 100, ...(cursor ? { cursor } : {}) } } });
      if (!data) return setFailed(true);
      all.push(...data.items);
      if (!data.next_cursor) break;
      cursor = data.next_cursor;
    }
    setFailed(false);
    setItems(all);
  }, [espaceId]);

  useEffect(() => {
    void load();
  }, [load]);

  const groups = byType(items ?? []);
  return (
    <section className="fr-mb-6w">
      <h2 id="section-mesures">Mesures</h2>
      <p className="fr-text--lg">Poids, taille, tension, glycémie… Chaque mesure s’ajoute aux précédentes et apparaît sur le graphique de son type.</p>
      <div aria-live="polite" role="status">
        {saved && <Alert severity="success" small className="fr-mb-2w" description={`Mesure enregistrée : ${saved}.`} />}
      </div>
      {adding ? (
        <MeasureForm espaceId={espaceId} onCancel={() => setAdding(false)} onSaved={async (m) => {
          setSaved(`${measureType(m.type).label}, ${formatMeasure(m)}`);
          setAdding(false);
          await load();
        }} />
      ) : (
        <Button iconId="fr-icon-add-line" className="fr-mb-3w" onClick={() => { setSaved(null); setAdding(true); }}>
          Ajouter une mesure
        </Button>
      )}
      {failed && <p role="alert">Les mesures n’ont pas pu être chargées. Réessayez plus tard.</p>}
      {items !== null && groups.size === 0 && <p>Aucune mesure enregistrée pour l’instant.</p>}
      {[...groups].map(([type, readings]) => <MeasureChart key={type} type={type} readings={readings} />)}
    </section>
  );
}

function MeasureForm({ espaceId, onSaved, onCancel }: {
  espaceId: string; onSaved: (m: Measurement) => Promise<void>; onCancel: () => void;
}) {
  const [type, setType] = useState("");
  const [value, setValue] = useState("");
  const [systolic, setSystolic] = useState("");
  const [diastolic, setDiastolic] = useState("");
  const [date, setDate] = useState(todayIso());
  const t = type ? measureType(type) : null;
  const pressure = type === "blood_pressure";

  const { errors, busy, submit } = useSubmit(async () => {
    const reading = pressure
      ? { systolic: parseNumber(systolic), diastolic: parseNumber(diastolic) }
      : { value: parseNumber(value) };
    const { data, error } = await api.POST("/espaces/{espace_id}/measurements", {
      params: { path: { espace_id: espaceId } },
      // Values typed wrongly are sent as typed: the API answers in French next to the field.
      body: { type, measured_at: date ? measuredAt(date) : "", ...(t ? { unit: t.unit } : {}), ...reading } as never,
    });
    if (data) await onSaved(data);
    return { error };
  });

  const unit = t ? <span className="mes-unit" aria-hidden="true">{t.unit}</span> : undefined;
  const numberProps = (current: string, set: (v: string) => void) => ({
    inputMode: "decimal" as const, autoComplete: "off", value: current, onChange: (e: React.ChangeEvent<HTMLInputElement>) => set(e.target.value) });
  return (
    <form aria-labelledby="titre-nouvelle-mesure" onSubmit={submit} noValidate className="fr-mb-4w mes-measure-form">
      <h3 id="titre-nouvelle-mesure" className="fr-h5">Nouvelle mesure</h3>
      <FormError errors={errors} />
      <Select label="Type de mesure" {...fieldState(errors, "type")}
        nativeSelectProps={{ name: "type", value: type, required: true, onChange: (e) => setType(e.target.value) }}>
        <option value="">Choisir un type de mesure</option>
        {MEASURE_TYPES.map((m) => <option key={m.type} value={m.type}>{`${m.label} (${m.unitLabel})`}</option>)}
      </Select>
      {pressure ? (
        <>
          <Input label="Pression systolique (chiffre du haut)" hintText="en mmHg, par exemple 130" addon={unit}
            {...fieldState(errors, "systolic")} nativeInputProps={{ name: "systolic", ...numberProps(systolic, setSystolic) }} />
          <Input label="Pression diastolique (chiffre du bas)" hintText="en mmHg, par exemple 80" addon={unit}
            {...fieldState(errors, "diastolic")} nativeInputProps={{ name: "diastolic", ...numberProps(diastolic, setDiastolic) }} />
        </>
      ) : (
        <Input label="Valeur" hintText={t ? `en ${t.unitLabel}` : "l’unité dépend de la mesure choisie"} addon={unit}
          {...fieldState(errors, "value")} nativeInputProps={{ name: "value", ...numberProps(value, setValue) }} />
      )}
      <Input label="Date de la mesure" {...fieldState(errors, "measured_at")}
        nativeInputProps={{ name: "measured_at", type: "date", max: todayIso(), value: date, onChange: (e) => setDate(e.target.value) }} />
      <div className="fr-btns-group fr-btns-group--inline-md">
        <Button type="submit" disabled={busy}>Enregistrer la mesure</Button>
        <Button type="button" priority="secondary" onClick={onCancel}>Annuler</Button>
      </div>
    </form>
  );
}
