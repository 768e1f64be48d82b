import { describe, expect, it } from "vitest";
import { SECTIONS, type SectionDef } from "./sections";
import { humanDetail, place, toBody, toRow, toState } from "./values";
import { byType, formatMeasure, measureType, measuredAt, parseNumber, type Measurement } from "./measures";
import { actionLabel } from "../../format";

const section = (name: string): SectionDef => SECTIONS.find((s) => s.name === name)!;

describe("profile sections", () => {
  it("cover every section of the API (BR-19)", () => {
    expect(SECTIONS.map((s) => s.name).sort()).toEqual([
      "advance_directives", "allergies", "blood_group", "care_team", "conditions", "emergency_contacts",
      "family_history", "hospitalisations", "lifestyle", "treatments", "trusted_person", "vaccinations"]);
  });

  it("send a vaccination with or without the vaccine's name, diseases as a list", () => {
    const def = section("vaccinations");
    const state = toState(def, null);
    const part = def.parts[0] as Extract<SectionDef["parts"][number], { kind: "list" }>;
    const a = toRow(part);
    a.values = { ...a.values, diseases: "Tétanos, diphtérie ; polio", vaccine: "Revaxis", date: "2019" };
    const b = toRow(part);
    b.values = { ...b.values, diseases: "Grippe", date: " 2024-10 " };
    state.lists.items = [a, b];
    expect(toBody(def, state, null)).toEqual({ items: [
      { diseases: ["Tétanos", "diphtérie", "polio"], vaccine: "Revaxis", date: "2019" },
      { diseases: ["Grippe"], date: "2024-10" }] });
  });

  it("keep what the form does not show, drop emptied fields, omit an empty nested object", () => {
    const directives = section("advance_directives");
    const stored = { written: true, text: "Pas d'acharnement", document_id: "doc-1" };
    const state = toState(directives, stored);
    state.fields.text = "  ";
    expect(toBody(directives, state, stored)).toEqual({ written: true, document_id: "doc-1" });

    const team = section("care_team");
    const teamState = toState(team, { referring_doctor: { name: "Dr Martin" }, members: [] });
    teamState.fields["referring_doctor.name"] = "";
    expect(toBody(team, teamState, { referring_doctor: { name: "Dr Martin" }, members: [] })).toEqual({ members: [] });
  });

  it("send numbers as numbers and anything else as typed, for the API to refuse", () => {
    const def = section("lifestyle");
    const state = toState(def, {});
    state.fields.tobacco_pack_years = "12,5";
    state.fields.sports = "marche, natation";
    expect(toBody(def, state, {})).toEqual({ tobacco_pack_years: 12.5, sports: ["marche", "natation"] });
    state.fields.tobacco_pack_years = "beaucoup";
    expect(toBody(def, state, {}).tobacco_pack_years).toBe("beaucoup");
  });

  it("place an API error next to the right row's field, its row, or the form", () => {
    const def = section("vaccinations");
    expect(place(def, "items.1.date")).toMatchObject({ kind: "field", key: "items.1.date" });
    expect(place(def, "items.0.diseases.0")).toMatchObject({ kind: "field", key: "items.0.diseases" });
    expect(place(def, "items.2")).toMatchObject({ kind: "row", key: "items.2", label: "Vaccination 3" });
    expect(place(def, "body")).toMatchObject({ kind: "form", key: null });
    expect(place(section("care_team"), "referring_doctor.rpps")).toMatchObject({ kind: "field", key: "referring_doctor.rpps" });
    const placed = place(def, "items.1.date");
    expect(humanDetail("Valeur invalide pour « items.1.date » : la date ne peut pas être dans le futur.", placed))
      .toBe("Valeur invalide pour « Date de la vaccination (vaccination 2) » : la date ne peut pas être dans le futur.");
  });
});

describe("measurements", () => {
  it("read a French decimal and keep a wrong value as typed", () => {
    expect(parseNumber("68,5")).toBe(68.5);
    expect(parseNumber(" 70 ")).toBe(70);
    expect(parseNumber("soixante")).toBe("soixante");
  });

  it("show HbA1c as its own series in %, with its decimal", () => {
    const reading = (at: string, value: number): Measurement =>
      ({ id: `hba1c-${at}`, type: "hba1c", measured_at: at, unit: "%", recorded_at: at, value }) as Measurement;
    expect(measureType("hba1c")).toMatchObject({ label: "HbA1c", unit: "%", step: "0.1" });
    expect(formatMeasure(reading("2026-03-01T08:00:00Z", 6.1))).toBe("6,1 %");
    const groups = byType([reading("2026-03-01T08:00:00Z", 7), reading("2026-02-01T08:00:00Z", 6.1)]);
    expect([...groups.keys()]).toEqual(["hba1c"]);
    expect(groups.get("hba1c")?.map((m) => m.value)).toEqual([6.1, 7]);
  });

  it("date a reading at the time of day, never in the future", () => {
    const now = new Date(2026, 10, 30, 15, 4, 5);
    expect(measuredAt("2026-11-02", now)).toBe(new Date(2026, 10, 2, 15, 4, 5).toISOString().replace(".000", ""));
    expect(Date.parse(measuredAt("2026-11-30", now))).toBeLessThanOrEqual(now.getTime());
  });
});

describe("access-log labels", () => {
  it("name every action the back end logs, the reason of a refusal and the emergency mode", () => {
    for (const action of ["authorisation", "list", "read", "deposit", "delete", "emergency", "access_log", "block",
      "reveal", "conversation_start", "conversation_read", "message", "conversation_close", "profile", "measurement", "consent",
      "replace"]) {
      expect(actionLabel(action, "allowed")).not.toBe(action);
    }
    expect(actionLabel("read", "refused:blocked", "refused")).toBe("Consultation d’un document (refusé : professionnel bloqué)");
    expect(actionLabel("replace", "refused:not_replaceable"))
      .toBe("Remplacement d’un document par une nouvelle version (refusé : document déjà remplacé ou retiré)");
    expect(actionLabel("list", "allowed", "samu")).toBe("Consultation de la liste des documents — en urgence, par le SAMU");
    expect(actionLabel("authorisation", "allowed", null, "care_team")).toBe("Autorisation d’accès : membre de votre équipe de soins");
    expect(actionLabel("emergency", "refused:emergency_refused", "samu"))
      .toBe("Ouverture d’un accès en urgence par le SAMU (refusé : vous avez refusé ce mode d’accès en urgence)");
    expect(actionLabel("emergency", "allowed", "break_glass")).toBe("Ouverture d’un accès en urgence par un professionnel (bris de glace)");
    expect(actionLabel("read", "allowed", "conversation")).toBe("Téléchargement d’une pièce jointe de la messagerie");
  });
});
