/**
 * A profile section between the API and its form: the stored JSON becomes strings the inputs edit,
 * and back into the body of PUT …/profile/{section}. Fields the form does not show are kept as stored
 * (a PUT replaces the whole section). An API error's `field` path (e.g. `items.1.diseases.0`) is
 * mapped to the input, the row or the form it belongs to.
 */
import type { FieldDef, ListPart, Part, SectionDef } from "./sections";

type Json = Record<string, unknown>;
export type Value = string | boolean;
export type Row = { id: number; values: Record<string, Value>; original: Json };
export type FormState = { fields: Record<string, Value>; lists: Record<string, Row[]> };

let nextRowId = 1;

export function fieldKey(path: string[], name: string): string {
  return [...path, name].join(".");
}

function at(stored: Json, path: string[]): Json {
  let node: unknown = stored;
  for (const step of path) node = node && typeof node === "object" ? (node as Json)[step] : undefined;
  return node && typeof node === "object" ? (node as Json) : {};
}

function toInput(field: FieldDef, value: unknown): Value {
  if (field.kind === "checkbox") return value === true;
  if (value === undefined || value === null) return "";
  if (Array.isArray(value)) return value.join(", ");
  return String(value);
}

export function toRow(part: ListPart, entry: Json = {}): Row {
  return { id: nextRowId++, original: entry,
    values: Object.fromEntries(part.fields.map((f) => [f.name, toInput(f, entry[f.name])])) };
}

export function toState(def: SectionDef, stored: Json | null | undefined): FormState {
  const state: FormState = { fields: {}, lists: {} };
  const data = stored ?? {};
  for (const part of def.parts) {
    if (part.kind === "fields") {
      const node = at(data, part.path);
      for (const f of part.fields) state.fields[fieldKey(part.path, f.name)] = toInput(f, node[f.name]);
    } else {
      const entries = Array.isArray(data[part.path]) ? (data[part.path] as Json[]) : [];
      state.lists[part.path] = entries.map((e) => toRow(part, e));
    }
  }
  return state;
}

/** The API value of one input: trimmed text, numbers as numbers (anything else is sent as typed, for
 * the API to refuse next to the field), comma-separated words as a list; undefined when empty. */
export function fromInput(field: FieldDef, value: Value): unknown {
  if (field.kind === "checkbox") return value === true;
  const text = String(value ?? "").trim();
  if (!text) return undefined;
  if (field.kind === "number") {
    const number = Number(text.replace(",", "."));
    return Number.isFinite(number) ? number : text;
  }
  if (field.kind === "words") {
    const words = text.split(/[,;]/).map((w) => w.trim()).filter(Boolean);
    return words.length ? words : undefined;
  }
  return text;
}

function merge(original: Json, fields: FieldDef[], values: Record<string, Value>): Json {
  const out: Json = { ...original };
  for (const f of fields) {
    const value = fromInput(f, values[f.name]);
    if (value === undefined) delete out[f.name];
    else out[f.name] = value;
  }
  return out;
}

function isEmpty(fields: FieldDef[], values: Record<string, Value>): boolean {
  return fields.every((f) => f.kind === "checkbox" || fromInput(f, values[f.name]) === undefined);
}

export function toBody(def: SectionDef, state: FormState, stored: Json | null | undefined): Json {
  let body: Json = { ...(stored ?? {}) };
  for (const part of def.parts) {
    if (part.kind === "list") {
      body[part.path] = (state.lists[part.path] ?? []).map((row) => merge(row.original, part.fields, row.values));
      continue;
    }
    const values = Object.fromEntries(part.fields.map((f) => [f.name, state.fields[fieldKey(part.path, f.name)]]));
    if (part.path.length === 0) {
      body = merge(body, part.fields, values);
    } else {
      const [name] = part.path;
      if (isEmpty(part.fields, values)) delete body[name];
      else body[name] = merge(at(body, part.path), part.fields, values);
    }
  }
  return body;
}

export type Placed = { kind: "field" | "row" | "form"; key: string | null; label: string };

/** Where an API error's `field` belongs: the deepest input, row or list of the form that it names. */
export function place(def: SectionDef, field: string | null | undefined): Placed {
  const targets = new Map<string, Placed>();
  def.parts.forEach((part: Part) => {
    if (part.kind === "fields") {
      part.fields.forEach((f) => targets.set(fieldKey(part.path, f.name), { kind: "field", key: fieldKey(part.path, f.name), label: f.label }));
      return;
    }
    // Rows are numbered from the API's index: "items.1.date" is the date of the second row.
    for (let i = 0; i < 200; i++) {
      targets.set(`${part.path}.${i}`, { kind: "row", key: `${part.path}.${i}`, label: `${part.entry} ${i + 1}` });
      part.fields.forEach((f) => targets.set(`${part.path}.${i}.${f.name}`,
        { kind: "field", key: `${part.path}.${i}.${f.name}`, label: `${f.label} (${part.entry.toLowerCase()} ${i + 1})` }));
    }
  });
  const steps = (field ?? "").split(".").filter(Boolean);
  for (let n = steps.length; n > 0; n--) {
    const found = targets.get(steps.slice(0, n).join("."));
    if (found) return found;
  }
  return { kind: "form", key: null, label: def.title };
}

/** The API's French detail with its technical path (« items.0.date ») replaced by the field's label. */
export function humanDetail(detail: string, placed: Placed): string {
  return detail.replace(/« [A-Za-z0-9_.]+ »/g, `« ${placed.label} »`);
}
