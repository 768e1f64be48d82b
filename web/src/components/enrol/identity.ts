/**
 * The identification of a person (WEB.md 2): what the holder types, as the API wants it.
 * Nothing here is stored anywhere but React state (no storage, no URL).
 */
import type { FormErrors } from "../../api/problem";

export type IdentityValues = { nir: string; birth_date: string; vitale_serial: string };
export type IdentificationValues = IdentityValues & { code: string };

export const emptyIdentity: IdentityValues = { nir: "", birth_date: "", vitale_serial: "" };

/** The NIR as typed ("2 88 05 2A 004 123 53", "2a…"), as the API wants it: 15 characters. */
export function compactNir(value: string): string {
  return value.replace(/[\s.-]/g, "").toUpperCase();
}

/** The carte Vitale serial without the spaces a holder copies from the card. */
export function compactSerial(value: string): string {
  return value.replace(/\s/g, "");
}

/** The provisional code as typed (spaces dropped: letters printed in groups). */
export function compactCode(value: string): string {
  return value.replace(/\s/g, "");
}

export function identityBody<T extends IdentityValues>(values: T): T {
  return { ...values, nir: compactNir(values.nir), vitale_serial: compactSerial(values.vitale_serial) };
}

/**
 * The API's generic format messages ("Format invalide pour le champ « email »") name the field
 * as the API spells it; beside a field the holder reads what is expected instead. Specific
 * messages of the API (e.g. the NIR's key) are kept.
 */
export function explained(errors: FormErrors, messages: Record<string, string>): FormErrors {
  const fields: Record<string, string> = {};
  for (const [name, detail] of Object.entries(errors.fields)) {
    const generic = /^(Format invalide|Valeur invalide|Champ obligatoire manquant|« )/.test(detail);
    fields[name] = generic && messages[name] ? messages[name] : detail;
  }
  return { ...errors, fields };
}

/** What each identification field expects, in French (shown beside the field on a format error). */
export const IDENTITY_MESSAGES: Record<string, string> = {
  nir: "Le numéro de sécurité sociale comporte 15 caractères, clé comprise (13 chiffres puis la clé de 2 chiffres).",
  birth_date: "Indiquez votre date de naissance (jour, mois, année).",
  vitale_serial: "Le numéro de série comporte de 8 à 13 chiffres (carte avec photo : ses 11 derniers chiffres).",
  code: "Le code provisoire comporte 12 lettres ou chiffres, tel qu’il figure dans votre courrier ou votre e-mail.",
};
