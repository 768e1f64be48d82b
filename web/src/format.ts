/** How values of the API read in French on the page. */

const dateTime = new Intl.DateTimeFormat("fr-FR", { dateStyle: "long", timeStyle: "short", timeZone: "Europe/Paris" });
const dateOnly = new Intl.DateTimeFormat("fr-FR", { dateStyle: "long", timeZone: "Europe/Paris" });

export function formatDateTime(iso: string | null | undefined): string {
  return iso ? dateTime.format(new Date(iso)) : "";
}

/** A YYYY-MM-DD date (no time zone shift) or an ISO time. */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "";
  const date = /^\d{4}-\d{2}-\d{2}$/.test(iso) ? new Date(`${iso}T12:00:00Z`) : new Date(iso);
  return dateOnly.format(date);
}

/** Profession codes of the RPPS (the ones of the access matrix, BR-29). */
export const PROFESSIONS: Record<string, string> = {
  "10": "Médecin",
  "21": "Pharmacien",
  "28": "Opticien-lunetier",
  "40": "Chirurgien-dentiste",
  "50": "Sage-femme",
  "60": "Infirmier",
  "70": "Masseur-kinésithérapeute",
  "80": "Pédicure-podologue",
};

export function professionLabel(code: string | null | undefined): string {
  if (!code) return "Profession non précisée";
  return PROFESSIONS[code] ?? `Profession ${code}`;
}

/** Document categories (BR-22), as the holder reads them. */
export const CATEGORIES: Record<string, string> = {
  SYNTHESE: "Synthèse",
  ORD_SOIN: "Ordonnance",
  RADIO_SC: "Imagerie médicale",
  BIOLOGIE: "Biologie",
  CPT_REND: "Compte rendu",
  DEPISTAG: "Dépistage",
  CERT_MED: "Certificat médical",
  AUTR_DOC: "Autre document",
  DOC_ADM: "Document administratif",
  DIR_ANT: "Directives anticipées",
  CAR_VAC: "Vaccination",
  VDP: "Volet de synthèse médicale",
  REMB: "Remboursements",
};

export function categoryLabel(code: string): string {
  return CATEGORIES[code] ?? code;
}

const ACTIONS: Record<string, string> = {
  authorisation: "Autorisation d’accès",
  list: "Consultation de la liste des documents",
  read: "Consultation d’un document",
  deposit: "Ajout d’un document",
  replace: "Remplacement d’un document par une nouvelle version",
  delete: "Retrait d’un document",
  emergency: "Ouverture d’un accès en urgence",
  access_log: "Consultation de l’historique des accès",
  block: "Blocage d’un professionnel",
  reveal: "Rend visible un document",
  conversation_start: "Nouvelle conversation",
  conversation_read: "Lecture d’une conversation",
  message: "Envoi d’un message",
  conversation_close: "Clôture d’une conversation",
  lookup: "Recherche de votre espace par son logiciel",
  measurement: "Ajout d’une mesure (poids, tension, glycémie…)",
  consent: "Consultation des autorisations et blocages des professionnels",
  profile: "Consultation du profil médical (vaccinations, directives anticipées, personne de confiance, contacts d’urgence)",
};

/** Why an attempt was refused (the access log's `refused:<code>`), as the holder reads it. */
const REFUSALS: Record<string, string> = {
  blocked: "refusé : professionnel bloqué",
  forbidden: "refusé : sans autorisation",
  not_found: "refusé : introuvable",
  emergency_refused: "refusé : vous avez refusé ce mode d’accès en urgence",
  not_replaceable: "refusé : document déjà remplacé ou retiré",
};

/** On which ground an allowed access was made (the access log's `mode`); "authorisation" says nothing more. */
const MODES: Record<string, string> = {
  samu: " — en urgence, par le SAMU",
  break_glass: " — en urgence, bris de glace",
  emergency: " — en urgence",
  administrator: " — en tant que médecin administrateur",
};

/** The emergency access itself names its mode without repeating "en urgence". */
const EMERGENCY_MODES: Record<string, string> = {
  samu: " par le SAMU",
  break_glass: " par un professionnel (bris de glace)",
};

export function actionLabel(action: string, decision: string, mode?: string | null, target?: string | null): string {
  const basis = action === "authorisation" && target && target in BASES ? ` : ${BASES[target].toLowerCase()}` : "";
  const what = action === "read" && mode === "conversation" ? "Téléchargement d’une pièce jointe de la messagerie"
    : `${ACTIONS[action] ?? action}${basis}`;
  const code = decision.startsWith("refused") ? decision.split(":")[1] ?? "" : null;
  const refused = code === null ? "" : ` (${REFUSALS[code] ?? "refusé"})`;
  const how = action === "emergency" ? EMERGENCY_MODES[mode ?? ""] : MODES[mode ?? ""];
  return `${what}${how ?? ""}${refused}`;
}

/** On which basis a professional may read the espace (BR-30, BR-33). */
const BASES: Record<string, string> = {
  consent: "Votre consentement",
  care_team: "Membre de votre équipe de soins",
  occupational_consent: "Médecine du travail, avec votre consentement exprès",
};

export function basisLabel(basis: string | null | undefined): string {
  if (!basis) return "Aucune autorisation de lecture";
  return BASES[basis] ?? basis;
}

/** How the professional's software reached the espace (FHIR.md §6: the access log's `channel`). */
export function channelLabel(channel: string | null | undefined): string {
  return channel === "fhir" ? " (par l’interface FHIR de son logiciel)" : "";
}
