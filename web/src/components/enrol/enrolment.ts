/**
 * Calls made with the enrolment token (POST /enrolment/sessions gives it; short-lived, only for
 * /enrolment/*). The token lives in the page's React state only: never in storage or the URL.
 */
import { api, asProblem, type Problem } from "../../api/client";

export function bearer(token: string) {
  return { Authorization: `Bearer ${token}` };
}

/** The enrolment token is no longer accepted (it lasts a few minutes): identify again. A wrong
 * one-time code is a 401 too, with its own code (`invalid_otp`): that one stays on the form. */
export function isExpiredToken(error: unknown): boolean {
  return !!error && typeof error === "object" && (error as Problem).code === "unauthorized";
}

export const TOKEN_EXPIRED =
  "Votre identification a expiré. Saisissez de nouveau vos informations pour continuer.";

/**
 * GET /enrolment/opposition/receipt as a PDF, saved by the browser: a Blob behind an object URL on
 * an <a download>, the URL revoked afterwards. Returns the problem when the API refused.
 */
export async function downloadReceipt(token: string, receiptId: string): Promise<Problem | null> {
  let blob: Blob;
  try {
    const { data, error } = await api.GET("/enrolment/opposition/receipt", {
      headers: { Accept: "application/pdf", ...bearer(token) },
      parseAs: "blob",
    });
    if (!data) return isProblem(error) ? error : unavailable;
    blob = data;
  } catch (error) {
    return asProblem(error);
  }
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = `justificatif-opposition-${receiptId}.pdf`;
  document.body.appendChild(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 1000);
  return null;
}

function isProblem(body: unknown): body is Problem {
  return !!body && typeof body === "object" && "code" in body && "detail" in body;
}

const unavailable: Problem = {
  type: "about:blank", title: "Erreur", status: 0, code: "receipt_unavailable",
  detail: "Le justificatif n’a pas pu être téléchargé. Réessayez dans quelques instants.",
};
