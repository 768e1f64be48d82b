/**
 * Unsaved profile sections survive an expired session (WEB.md "Session": back to the login, then
 * back here with the page as it was). They are kept in this module's memory only — never in
 * localStorage, sessionStorage or the address — and only across an expiry: any other new visit of
 * the page (after a logout, or coming from another page) starts from what the API has.
 */
import { onSessionExpired } from "../../api/client";
import type { FormState } from "./values";

const drafts = new Map<string, FormState>();
let expiredSinceLastVisit = false;

onSessionExpired(() => {
  expiredSinceLastVisit = true;
});

/** Called once when the profile page opens: keeps the drafts only if the session expired meanwhile. */
export function openProfile(): void {
  if (!expiredSinceLastVisit) drafts.clear();
  // Reset after this render (React's development mode runs the page's initialiser twice).
  queueMicrotask(() => {
    expiredSinceLastVisit = false;
  });
}

export const draftKey = (espaceId: string, section: string) => `${espaceId}/${section}`;
export const draftOf = (key: string): FormState | undefined => drafts.get(key);
export const keepDraft = (key: string, state: FormState): void => void drafts.set(key, state);
export const dropDraft = (key: string): void => void drafts.delete(key);
