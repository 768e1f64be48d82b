import { useEffect, useState, type FormEvent } from "react";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { api, asProblem } from "../../api/client";
import { FieldInput } from "./FieldInput";
import type { FieldsPart, ListPart, SectionDef } from "./sections";
import { draftKey, draftOf, dropDraft, keepDraft } from "./drafts";
import { fieldKey, humanDetail, place, toBody, toRow, toState, type FormState, type Placed, type Value } from "./values";

type Json = Record<string, unknown>;
type Problem = { placed: Placed; message: string };
type Props = { def: SectionDef; espaceId: string; stored: Json | null | undefined; onSaved: (section: Json) => void };

/** One section of the profile, saved on its own with PUT …/profile/{section} (BR-19). */
export function SectionForm({ def, espaceId, stored, onSaved }: Props) {
  const key = draftKey(espaceId, def.name);
  const [state, setState] = useState<FormState>(() => draftOf(key) ?? toState(def, stored));
  // Edited and not saved yet: kept in memory across an expired session (drafts.ts).
  const [dirty, setDirty] = useState(() => draftOf(key) !== undefined);
  const [restored] = useState(dirty);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const headingId = `section-${def.name}`;

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setSaved(false);
    setProblem(null);
    const body = toBody(def, state, stored);
    try {
      const { data, error } = await api.PUT("/espaces/{espace_id}/profile/{section}", {
        params: { path: { espace_id: espaceId, section: def.name } }, body });
      if (error) {
        const p = asProblem(error);
        const placed = place(def, p.field);
        setProblem({ placed, message: humanDetail(p.detail, placed) });
        // The holder is taken to the field to correct (keyboard and screen-reader users too).
        if (placed.kind === "field") window.setTimeout(() => document.getElementById(`${def.name}-${placed.key}`)?.focus(), 0);
      } else {
        const section = data && typeof data === "object" ? (data as Json) : body;
        onSaved(section);
        setState(toState(def, section));
        setDirty(false);
        setSaved(true);
      }
    } catch (error) {
      setProblem({ placed: place(def, null), message: asProblem(error).detail });
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => (dirty ? keepDraft(key, state) : dropDraft(key)), [dirty, key, state]);

  const errorAt = (at: string) => (problem?.placed.key === at ? problem.message : undefined);
  const setField = (at: string, value: Value) => {
    setSaved(false);
    setDirty(true);
    setState((s) => ({ ...s, fields: { ...s.fields, [at]: value } }));
  };
  const setRows = (path: string, update: (rows: FormState["lists"][string]) => FormState["lists"][string]) => {
    setSaved(false);
    setDirty(true);
    setState((s) => ({ ...s, lists: { ...s.lists, [path]: update(s.lists[path] ?? []) } }));
  };

  return (
    <section className="fr-mb-6w">
      <h2 id={headingId}>{def.title}</h2>
      <p className="fr-text--lg">{def.intro}</p>
      <form aria-labelledby={headingId} onSubmit={save} noValidate>
        {restored && dirty && (
          <Alert severity="info" small className="fr-mb-2w"
            description="Vos modifications non enregistrées de cette rubrique ont été conservées pendant la reconnexion. Pensez à les enregistrer." />
        )}
        {problem?.placed.kind === "form" && <Alert severity="error" small role="alert" className="fr-mb-2w" description={problem.message} />}
        {def.parts.map((part) => part.kind === "fields"
          ? <Fields key={part.path.join(".") || "fields"} part={part} def={def} state={state} errorAt={errorAt} onChange={setField} />
          : <Rows key={part.path} part={part} def={def} rows={state.lists[part.path] ?? []} errorAt={errorAt}
              rowError={problem?.placed.kind === "row" ? problem : null} setRows={(u) => setRows(part.path, u)} />)}
        <Button type="submit" disabled={busy}>{`Enregistrer la section « ${def.title} »`}</Button>
        <div aria-live="polite" role="status">
          {saved && <Alert severity="success" small className="fr-mt-2w" description={`Section « ${def.title} » enregistrée.`} />}
        </div>
      </form>
    </section>
  );
}

function Fields({ part, def, state, errorAt, onChange }: {
  part: FieldsPart; def: SectionDef; state: FormState; errorAt: (key: string) => string | undefined;
  onChange: (key: string, value: Value) => void;
}) {
  const inputs = part.fields.map((f) => {
    const key = fieldKey(part.path, f.name);
    return <FieldInput key={key} id={`${def.name}-${key}`} field={f} value={state.fields[key]} error={errorAt(key)}
      context={part.legend ?? def.title} onChange={(v) => onChange(key, v)} />;
  });
  if (!part.legend) return <>{inputs}</>;
  return (
    <fieldset className="mes-profile-group">
      <legend className="fr-h6 fr-mb-2w">{part.legend}</legend>
      <div className="mes-profile-fields">{inputs}</div>
    </fieldset>
  );
}

function Rows({ part, def, rows, errorAt, rowError, setRows }: {
  part: ListPart; def: SectionDef; rows: FormState["lists"][string]; errorAt: (key: string) => string | undefined;
  rowError: Problem | null; setRows: (update: (rows: FormState["lists"][string]) => FormState["lists"][string]) => void;
}) {
  return (
    <>
      {rows.length === 0 && <p className="fr-text--sm">Aucune information enregistrée pour l’instant.</p>}
      {rows.map((row, index) => {
        const name = `${part.entry} ${index + 1}`;
        const rowKey = `${part.path}.${index}`;
        return (
          <fieldset key={row.id} className="mes-profile-group">
            <legend className="fr-h6 fr-mb-2w">{name}</legend>
            {rowError?.placed.key === rowKey && <Alert severity="error" small role="alert" className="fr-mb-2w" description={rowError.message} />}
            <div className="mes-profile-fields">
              {part.fields.map((f) => {
                const key = `${rowKey}.${f.name}`;
                return <FieldInput key={f.name} id={`${def.name}-${key}`} field={f} value={row.values[f.name]} context={name}
                  error={errorAt(key)} onChange={(v) => setRows((all) => all.map((r) => r.id === row.id
                    ? { ...r, values: { ...r.values, [f.name]: v } } : r))} />;
              })}
            </div>
            <Button type="button" priority="tertiary" iconId="fr-icon-delete-line" size="small"
              onClick={() => setRows((all) => all.filter((r) => r.id !== row.id))}>
              {`Retirer : ${name.toLowerCase()}`}
            </Button>
          </fieldset>
        );
      })}
      <div className="fr-mb-3w">
        <Button type="button" priority="secondary" iconId="fr-icon-add-line"
          onClick={() => setRows((all) => [...all, toRow(part)])}>
          {part.add}
        </Button>
      </div>
    </>
  );
}
