/** The measurement types of the API (mes.domain.measurements), as the holder reads them. */
import type { Schemas } from "../../api/client";

export type Measurement = Schemas["MeasurementOut"];

export type MeasureType = { type: string; label: string; unit: string; unitLabel: string; step: string };

export const MEASURE_TYPES: MeasureType[] = [
  { type: "weight", label: "Poids", unit: "kg", unitLabel: "kg", step: "0.1" },
  { type: "height", label: "Taille", unit: "cm", unitLabel: "cm", step: "1" },
  { type: "blood_pressure", label: "Tension artérielle", unit: "mmHg", unitLabel: "mmHg", step: "1" },
  { type: "glycemia", label: "Glycémie", unit: "g/L", unitLabel: "g/L", step: "0.01" },
  { type: "temperature", label: "Température", unit: "°C", unitLabel: "°C", step: "0.1" },
  { type: "heart_rate", label: "Fréquence cardiaque", unit: "bpm", unitLabel: "battements par minute", step: "1" },
  { type: "oxygen_saturation", label: "Saturation en oxygène", unit: "%", unitLabel: "%", step: "1" },
  { type: "hba1c", label: "HbA1c", unit: "%", unitLabel: "%", step: "0.1" },
];

export function measureType(type: string): MeasureType {
  return MEASURE_TYPES.find((t) => t.type === type) ?? { type, label: type, unit: "", unitLabel: "", step: "any" };
}

const number = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 2 });

/** "68,5 kg", "135/85 mmHg". */
export function formatMeasure(m: Measurement): string {
  const unit = measureType(m.type).unit || m.unit;
  if (m.type === "blood_pressure") return `${m.systolic ?? "?"}/${m.diastolic ?? "?"} ${unit}`;
  return `${number.format(Number(m.value))} ${unit}`;
}

/** A typed number ("68,5" or "68.5") as the API wants it; anything else is sent as typed, for the API
 * to refuse next to the field in French. */
export function parseNumber(text: string): number | string {
  const cleaned = text.trim().replace(",", ".");
  const value = Number(cleaned);
  return cleaned !== "" && Number.isFinite(value) ? value : text.trim();
}

/** The ISO time of a measurement taken on `date` (YYYY-MM-DD, local): at the current time of day, so two
 * readings of one day differ, to the second, without ever being in the future. */
export function measuredAt(date: string, now = new Date()): string {
  const [y, m, d] = date.split("-").map(Number);
  const at = new Date(y, (m ?? 1) - 1, d ?? 1, now.getHours(), now.getMinutes(), now.getSeconds());
  const when = at > now ? now : at;
  return when.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Each type's readings, oldest first (the API answers newest first). */
export function byType(items: Measurement[]): Map<string, Measurement[]> {
  const groups = new Map<string, Measurement[]>();
  for (const t of MEASURE_TYPES) {
    const readings = items.filter((m) => m.type === t.type).sort((a, b) => a.measured_at.localeCompare(b.measured_at));
    if (readings.length) groups.set(t.type, readings);
  }
  return groups;
}
