import { Input } from "@codegouvfr/react-dsfr/Input";
import { Select } from "@codegouvfr/react-dsfr/Select";
import { Checkbox } from "@codegouvfr/react-dsfr/Checkbox";
import type { FieldDef } from "./sections";
import type { Value } from "./values";

type Props = {
  id: string;
  field: FieldDef;
  /** Read by screen readers only after the label, so two rows' fields have different names. */
  context?: string;
  value: Value;
  error?: string;
  onChange: (value: Value) => void;
};

export function todayIso(): string {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}-${String(now.getDate()).padStart(2, "0")}`;
}

/** One field of a profile section, with its label, its hint and the API's error next to it. */
export function FieldInput({ id, field, context, value, error, onChange }: Props) {
  const label = (
    <>
      {field.label}
      {field.required && " (obligatoire)"}
      {context && <span className="fr-sr-only">{` — ${context}`}</span>}
    </>
  );
  const state = error ? { state: "error" as const, stateRelatedMessage: error } : {};
  const text = String(value ?? "");
  if (field.kind === "checkbox") {
    return (
      <Checkbox {...state} options={[{ label, nativeInputProps: { name: id, checked: value === true,
        onChange: (e) => onChange(e.target.checked) } }]} />
    );
  }
  if (field.kind === "select") {
    return (
      <Select label={label} hint={field.hint} {...state}
        nativeSelectProps={{ id, name: id, value: text, onChange: (e) => onChange(e.target.value) }}>
        <option value="">{field.required ? "Choisir" : "Non renseigné"}</option>
        {(field.options ?? []).map(([code, name]) => <option key={code} value={code}>{name}</option>)}
      </Select>
    );
  }
  if (field.kind === "textarea") {
    return (
      <Input textArea label={label} hintText={field.hint} {...state}
        nativeTextAreaProps={{ id, name: id, rows: 3, value: text, onChange: (e) => onChange(e.target.value) }} />
    );
  }
  const native = field.kind === "date"
    ? { type: "date", max: field.future ? undefined : todayIso() }
    : field.kind === "number" ? { inputMode: "decimal" as const } : {};
  return (
    <Input label={label} hintText={field.hint} {...state}
      nativeInputProps={{ id, name: id, value: text, required: field.required, ...native,
        onChange: (e) => onChange(e.target.value) }} />
  );
}
