/**
 * The one API client of the page, generated from the project's openapi.json (openapi-typescript
 * writes src/api/schema.d.ts at install/build time; openapi-fetch types every call against it), so
 * the page and the API cannot drift: a renamed field fails `tsc`.
 *
 * Session rule (WEB.md "Session"): the access token lives in this module's memory only — never in
 * localStorage, sessionStorage, a cookie readable by script or the URL. It is renewed through the
 * HttpOnly `mes_session` cookie (path /api/auth) by POST /auth/refresh: on a 401, once, then the
 * request is replayed; when renewal fails the session is over and the listeners are told.
 */
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];

export const API_BASE = "/api";

let accessToken: string | null = null;
const expiredListeners = new Set<() => void>();

export function setAccessToken(token: string | null): void {
  accessToken = token;
}

export function hasAccessToken(): boolean {
  return accessToken !== null;
}

/** Called when the session cannot be renewed (30 minutes without activity, logout elsewhere). */
export function onSessionExpired(listener: () => void): () => void {
  expiredListeners.add(listener);
  return () => expiredListeners.delete(listener);
}

function isAuthRoute(url: string): boolean {
  return new URL(url, window.location.origin).pathname.startsWith(`${API_BASE}/auth/`);
}

let refreshing: Promise<boolean> | null = null;

/** POST /auth/refresh with the cookie; one call at a time however many requests failed together. */
export function refreshSession(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      const response = await fetch(`${API_BASE}/auth/refresh`, { method: "POST", credentials: "same-origin" });
      if (!response.ok) return false;
      const body = (await response.json()) as Schemas["TokenResponse"];
      accessToken = body.access_token;
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

const pending = new Map<string, Request>();

/** A 401 whose problem+json is about the token (`unauthorized`, or no readable code). */
async function isTokenProblem(response: Response): Promise<boolean> {
  const code = await response.clone().json().then((body: { code?: unknown }) => body?.code, () => undefined);
  return typeof code !== "string" || code === "unauthorized";
}

const authMiddleware: Middleware = {
  onRequest({ request, id }) {
    if (accessToken && !request.headers.has("Authorization")) {
      request.headers.set("Authorization", `Bearer ${accessToken}`);
    }
    if (!isAuthRoute(request.url) && accessToken) pending.set(id, request.clone());
    return request;
  },
  async onResponse({ response, id }) {
    const original = pending.get(id);
    pending.delete(id);
    if (response.status !== 401 || !original) return response;
    // Only a refused token is renewed: a 401 about what the holder typed (a child's code:
    // `invalid_credentials`) is the answer itself, and a replay would count one more try.
    if (!(await isTokenProblem(response))) return response;
    if (!(await refreshSession())) {
      accessToken = null;
      expiredListeners.forEach((listener) => listener());
      return response;
    }
    original.headers.set("Authorization", `Bearer ${accessToken}`);
    return fetch(original);
  },
  onError({ id }) {
    pending.delete(id);
  },
};

export const api = createClient<paths>({ baseUrl: API_BASE, credentials: "same-origin" });
api.use(authMiddleware);

/** The problem+json of a failed call, or a generic French one when the network failed. */
export function asProblem(error: unknown): Problem {
  if (error && typeof error === "object" && "code" in error && "detail" in error) return error as Problem;
  return {
    type: "about:blank",
    title: "Erreur",
    status: 0,
    code: "network_error",
    detail: "Le service est momentanément injoignable. Vérifiez votre connexion puis réessayez.",
  };
}
