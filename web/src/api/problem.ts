import type { Problem } from "./client";

/** A problem split for a form: the message of the field it names (problem+json `field`), or a
 * message for the whole form. The field names are the API's (e.g. `nir`, `birth_date`). */
export type FormErrors = { fields: Record<string, string>; form: string | null };

export const noErrors: FormErrors = { fields: {}, form: null };

export function formErrors(problem: Problem | null | undefined): FormErrors {
  if (!problem) return noErrors;
  const field = problem.field ?? null;
  if (field) {
    // A nested field (`vaccinations.0.date`, or `a[0].b`) is known by its whole path and by the
    // top-level field, so a form shows the message next to whichever of them it renders.
    const path = field.replace(/\[(\w+)\]/g, ".$1").replace(/^\./, "");
    const name = path.split(".")[0];
    return { fields: { [name]: problem.detail, [path]: problem.detail }, form: null };
  }
  return { fields: {}, form: problem.detail };
}
