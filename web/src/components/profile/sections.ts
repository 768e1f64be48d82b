/**
 * The twelve sections of the medical profile (BR-19) as the holder reads them: French labels, hints
 * and code lists, one entry per field of the API's section models (mes.domain.profile). The forms are
 * built from these definitions; the API stays the judge of every value (its errors come back next to
 * the field).
 */
import type { Schemas } from "../../api/client";

export type SectionName = keyof Schemas["ProfileOut"];

export type FieldKind = "text" | "textarea" | "date" | "partialDate" | "select" | "number" | "words" | "checkbox";

export type FieldDef = {
  name: string;
  label: string;
  kind: FieldKind;
  hint?: string;
  required?: boolean;
  options?: [string, string][];
  /** For a date that may be in the future (a treatment's planned end). */
  future?: boolean;
};

/** A group of fields of an object (path [] = the section itself, ["referring_doctor"] = a nested one). */
export type FieldsPart = { kind: "fields"; path: string[]; legend?: string; fields: FieldDef[] };
/** A list of entries under `path` (e.g. "items"), each a row of fields. */
export type ListPart = { kind: "list"; path: string; entry: string; add: string; fields: FieldDef[] };
export type Part = FieldsPart | ListPart;

export type SectionDef = { name: SectionName; title: string; intro: string; parts: Part[] };

const notes: FieldDef = { name: "notes", label: "Remarques", kind: "textarea" };
const phone: FieldDef = { name: "phone", label: "Téléphone", kind: "text", hint: "par exemple : 06 12 34 56 78" };
const email: FieldDef = { name: "email", label: "Adresse e-mail", kind: "text" };
const rpps: FieldDef = { name: "rpps", label: "Numéro RPPS", kind: "text", hint: "11 chiffres, s’il est connu" };
const person: FieldDef[] = [
  { name: "first_name", label: "Prénom", kind: "text", required: true },
  { name: "last_name", label: "Nom", kind: "text", required: true },
  { name: "relationship", label: "Lien avec vous", kind: "text", hint: "par exemple : conjoint, fille, ami" },
];

export const SECTIONS: SectionDef[] = [
  {
    name: "conditions", title: "Maladies et antécédents",
    intro: "Vos maladies actuelles ou passées, et vos opérations.",
    parts: [{ kind: "list", path: "items", entry: "Antécédent", add: "Ajouter un antécédent", fields: [
      { name: "name", label: "Maladie ou antécédent", kind: "text", required: true,
        hint: "par exemple : diabète, opération de la hanche" },
      { name: "cim10", label: "Code CIM-10", kind: "text", hint: "facultatif, par exemple E11" },
      { name: "since", label: "Depuis le", kind: "date" },
      { name: "until", label: "Jusqu’au", kind: "date", hint: "laissez vide si la maladie est toujours présente" },
      notes,
    ] }],
  },
  {
    name: "hospitalisations", title: "Hospitalisations",
    intro: "Vos séjours à l’hôpital ou en clinique.",
    parts: [{ kind: "list", path: "items", entry: "Hospitalisation", add: "Ajouter une hospitalisation", fields: [
      { name: "reason", label: "Motif de l’hospitalisation", kind: "text", required: true },
      { name: "establishment", label: "Établissement", kind: "text", hint: "nom de l’hôpital ou de la clinique" },
      { name: "start_date", label: "Date d’entrée", kind: "date", required: true },
      { name: "end_date", label: "Date de sortie", kind: "date" },
      notes,
    ] }],
  },
  {
    name: "treatments", title: "Traitements",
    intro: "Les médicaments que vous prenez.",
    parts: [{ kind: "list", path: "items", entry: "Traitement", add: "Ajouter un traitement", fields: [
      { name: "name", label: "Médicament ou traitement", kind: "text", required: true },
      { name: "dosage", label: "Dosage", kind: "text", hint: "par exemple : 500 mg" },
      { name: "frequency", label: "Fréquence", kind: "text", hint: "par exemple : 2 fois par jour" },
      { name: "start_date", label: "Début du traitement", kind: "date" },
      { name: "end_date", label: "Fin prévue du traitement", kind: "date", future: true },
      { name: "prescriber", label: "Prescrit par", kind: "text" },
    ] }],
  },
  {
    name: "allergies", title: "Allergies et intolérances",
    intro: "Médicaments, aliments ou autres substances que vous ne supportez pas.",
    parts: [{ kind: "list", path: "items", entry: "Allergie", add: "Ajouter une allergie", fields: [
      { name: "substance", label: "Allergie ou intolérance", kind: "text", required: true,
        hint: "par exemple : pénicilline, arachide" },
      { name: "kind", label: "Type d’allergie", kind: "select", options: [
        ["medication", "Médicament"], ["food", "Aliment"], ["environment", "Environnement (pollen, poussière…)"],
        ["insect", "Piqûre d’insecte"], ["other", "Autre"]] },
      { name: "severity", label: "Gravité", kind: "select", options: [
        ["unknown", "Je ne sais pas"], ["mild", "Légère"], ["moderate", "Modérée"], ["severe", "Sévère"],
        ["life_threatening", "Danger vital"]] },
      { name: "reaction", label: "Réaction", kind: "text", hint: "par exemple : urticaire, gonflement" },
      { name: "since", label: "Depuis le", kind: "date" },
    ] }],
  },
  {
    name: "vaccinations", title: "Vaccinations",
    intro: "Indiquez la maladie contre laquelle vous êtes vacciné ; le nom du vaccin est facultatif.",
    parts: [{ kind: "list", path: "items", entry: "Vaccination", add: "Ajouter une vaccination", fields: [
      { name: "diseases", label: "Maladie(s)", kind: "words", required: true,
        hint: "contre laquelle le vaccin protège, par exemple : tétanos ; séparez plusieurs maladies par une virgule" },
      { name: "vaccine", label: "Nom du vaccin", kind: "text", hint: "facultatif, s’il est connu" },
      { name: "date", label: "Date de la vaccination", kind: "partialDate", required: true,
        hint: "l’année seule (2019), l’année et le mois (2019-05) ou la date complète (2019-05-14)" },
      { name: "dose", label: "Dose ou rappel", kind: "text", hint: "par exemple : 2e dose, rappel" },
      { name: "batch_number", label: "Numéro de lot", kind: "text" },
      { name: "administered_by", label: "Vacciné par", kind: "text" },
    ] }],
  },
  {
    name: "family_history", title: "Antécédents familiaux",
    intro: "Les maladies de vos proches parents qui peuvent compter pour votre santé.",
    parts: [{ kind: "list", path: "items", entry: "Antécédent familial", add: "Ajouter un antécédent familial", fields: [
      { name: "relative", label: "Membre de la famille", kind: "select", required: true, options: [
        ["mother", "Mère"], ["father", "Père"], ["sibling", "Frère ou sœur"], ["child", "Enfant"],
        ["grandparent", "Grand-parent"], ["aunt_uncle", "Oncle ou tante"], ["cousin", "Cousin ou cousine"],
        ["other", "Autre"]] },
      { name: "condition", label: "Maladie", kind: "text", required: true },
      { name: "age_at_onset", label: "Âge au début de la maladie", kind: "number", hint: "en années" },
      notes,
    ] }],
  },
  {
    name: "lifestyle", title: "Mode de vie",
    intro: "Tabac, alcool, activité physique et alimentation.",
    parts: [{ kind: "fields", path: [], fields: [
      { name: "tobacco", label: "Tabac", kind: "select", options: [
        ["never", "Je n’ai jamais fumé"], ["former", "J’ai arrêté de fumer"], ["current", "Je fume"]] },
      { name: "tobacco_pack_years", label: "Paquets-années", kind: "number",
        hint: "nombre de paquets par jour multiplié par le nombre d’années" },
      { name: "alcohol", label: "Alcool", kind: "select", options: [
        ["none", "Jamais"], ["occasional", "Occasionnellement"], ["regular", "Régulièrement"], ["daily", "Tous les jours"]] },
      { name: "physical_activity", label: "Activité physique", kind: "select", options: [
        ["sedentary", "Peu ou pas d’activité"], ["light", "Légère"], ["moderate", "Modérée"], ["intense", "Intense"]] },
      { name: "sports", label: "Sports pratiqués", kind: "words", hint: "séparez-les par une virgule" },
      { name: "diet", label: "Alimentation", kind: "text", hint: "par exemple : régime sans sel" },
      notes,
    ] }],
  },
  {
    name: "blood_group", title: "Groupe sanguin",
    intro: "Il figure sur votre carte de groupe sanguin. Indiquez le groupe et le rhésus, ou rien.",
    parts: [{ kind: "fields", path: [], fields: [
      { name: "abo", label: "Groupe ABO", kind: "select", options: [["A", "A"], ["B", "B"], ["AB", "AB"], ["O", "O"]] },
      { name: "rh", label: "Rhésus", kind: "select", options: [["+", "Positif (+)"], ["-", "Négatif (−)"]] },
    ] }],
  },
  {
    name: "advance_directives", title: "Directives anticipées",
    intro: "Vos volontés sur les soins en fin de vie, si un jour vous ne pouvez plus les exprimer.",
    parts: [{ kind: "fields", path: [], fields: [
      { name: "written", label: "J’ai rédigé des directives anticipées", kind: "checkbox" },
      { name: "written_on", label: "Date de rédaction", kind: "date" },
      { name: "text", label: "Mes directives", kind: "textarea" },
      { name: "kept_by", label: "Qui conserve l’original", kind: "text", hint: "par exemple : mon notaire, ma fille" },
    ] }],
  },
  {
    name: "trusted_person", title: "Personne de confiance",
    intro: "La personne qui vous accompagne et peut être consultée si vous ne pouvez pas vous exprimer.",
    parts: [{ kind: "fields", path: [], fields: [
      ...person, phone, email, { name: "designated_on", label: "Désignée le", kind: "date" }] }],
  },
  {
    name: "emergency_contacts", title: "Contacts d’urgence",
    intro: "Les personnes à prévenir en cas d’urgence.",
    parts: [{ kind: "list", path: "items", entry: "Contact d’urgence", add: "Ajouter un contact d’urgence", fields: [
      ...person, { ...phone, required: true }, email] }],
  },
  {
    name: "care_team", title: "Équipe de soins",
    intro: "Votre médecin traitant et les professionnels qui vous suivent.",
    parts: [
      { kind: "fields", path: ["referring_doctor"], legend: "Médecin traitant", fields: [
        { name: "name", label: "Nom du médecin traitant", kind: "text", hint: "à indiquer dès que vous renseignez votre médecin traitant" },
        rpps, phone,
        { name: "address", label: "Adresse du cabinet", kind: "text" },
        { name: "declared_on", label: "Déclaré le", kind: "date" },
      ] },
      { kind: "list", path: "members", entry: "Professionnel", add: "Ajouter un professionnel", fields: [
        { name: "name", label: "Nom du professionnel", kind: "text", required: true },
        { name: "specialty", label: "Spécialité", kind: "text", hint: "par exemple : cardiologue, infirmière" },
        rpps,
        { name: "structure", label: "Cabinet ou établissement", kind: "text" },
        phone,
      ] },
    ],
  },
];
