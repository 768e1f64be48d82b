import { useState, type FormEvent } from "react";
import type { Problem } from "../api/client";
import { asProblem } from "../api/client";
import { formErrors, noErrors, type FormErrors } from "../api/problem";
import { Alert } from "@codegouvfr/react-dsfr/Alert";

/** Field props for react-dsfr inputs: the error of that field, next to it, in French. */
export function fieldState(errors: FormErrors, name: string) {
  const message = errors.fields[name];
  return message ? { state: "error" as const, stateRelatedMessage: message } : {};
}

/**
 * An action against the API: runs `action`, and turns an API problem into errors next to the fields
 * (problem+json `field`) or one message for the form. `busy` is true meanwhile.
 */
export function useAction<T = void>(action: (arg: T) => Promise<{ error?: unknown } | void>) {
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [busy, setBusy] = useState(false);
  const run = async (arg: T) => {
    setBusy(true);
    setErrors(noErrors);
    try {
      const result = await action(arg);
      if (result && result.error) setErrors(formErrors(asProblem(result.error)));
    } catch (error) {
      setErrors(formErrors(asProblem(error)));
    } finally {
      setBusy(false);
    }
  };
  return { errors, setErrors, busy, run };
}

/** A form's submission (see useAction): `submit` is the form's onSubmit. */
export function useSubmit(action: () => Promise<{ error?: unknown } | void>) {
  const { run, ...rest } = useAction<void>(action);
  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    await run();
  };
  return { ...rest, submit };
}

export function FormError({ errors }: { errors: FormErrors }) {
  if (!errors.form) return null;
  return <Alert severity="error" small description={errors.form} className="fr-mb-2w" role="alert" />;
}

export function problemOf(error: unknown): Problem {
  return asProblem(error);
}
