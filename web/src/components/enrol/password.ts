import type { PasswordInputProps } from "@codegouvfr/react-dsfr/blocks/PasswordInput";

type Message = { severity: PasswordInputProps.Severity; message: string };

/** BR-13 as the API checks it (validate_password): 12 to 128 characters, at least 4 different ones,
 * not containing the identifier. Each rule reads "info" until typed, then "valid" or "error". */
export function passwordRules(password: string, login: string): { message: string; met: boolean }[] {
  const lower = password.toLowerCase();
  const id = login.trim().toLowerCase();
  return [
    { message: "entre 12 et 128 caractères", met: password.length >= 12 && password.length <= 128 },
    { message: "au moins 4 caractères différents", met: new Set(password).size >= 4 },
    { message: "ne pas contenir votre identifiant", met: !(id && lower.includes(id)) },
  ];
}

export function passwordMessages(password: string, login: string, apiError?: string): Message[] {
  const messages: Message[] = passwordRules(password, login).map(({ message, met }) => ({
    message, severity: password === "" ? "info" : met ? "valid" : "error",
  }));
  return apiError ? [...messages, { severity: "error", message: apiError }] : messages;
}
