/**
 * The login page (WEB.md journey 5 and "Session"): an API error shown next to its field, "Renvoyer
 * le code" there at once but disabled with the seconds left (fake timers), and nothing the holder
 * types written to localStorage or sessionStorage during the whole login.
 */
import { fakeApi, json } from "../test/fakeApi"; // first: it installs the fake fetch the client keeps
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { act, cleanup, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes, useLocation } from "react-router-dom";
import { SessionProvider } from "../session/session";
import { Login } from "./Login";
import { setAccessToken } from "../api/client";

const LOGIN = "camille.martin";
const PASSWORD = "une phrase de passe secrète 2026";
const OTP = "482913";
const TOKEN = "eyJ-the-access-token";

const espace = { id: "e1", status: "active", identity: { first_name: "Camille", last_name: "Martin",
  birth_date: "1990-01-01" }, children: [], settings: { otp_channel: "email" } };
const challenge = { challenge_id: "c1", channel: "email", expires_in: 600, resend_after: 30, channels: ["email", "sms"] };

function api(request: Request, body: string): Response {
  const path = new URL(request.url).pathname;
  if (path === "/api/auth/refresh") return json(401, { code: "session_expired", detail: "Session expirée.", status: 401 });
  if (path === "/api/auth/login") {
    const { login } = JSON.parse(body) as { login: string };
    return login === LOGIN ? json(202, challenge)
      : json(400, { type: "about:blank", title: "Bad Request", status: 400, code: "validation_error",
        detail: "L’identifiant contient des caractères non autorisés.", field: "login" });
  }
  if (path === "/api/auth/otp") return json(200, { access_token: TOKEN, token_type: "Bearer", expires_in: 900 });
  if (path === "/api/espaces/me") return json(200, espace);
  return json(404, { code: "not_found", detail: "Introuvable.", status: 404 });
}

function Where() {
  const location = useLocation();
  return <h1>{`Page ${location.pathname}${location.search}`}</h1>;
}

function renderLogin(state: unknown = null) {
  return render(
    <MemoryRouter initialEntries={[{ pathname: "/connexion", state }]}>
      <SessionProvider>
        <Routes>
          <Route path="/connexion" element={<Login />} />
          <Route path="/espace/documents" element={<h1>Documents</h1>} />
          <Route path="*" element={<Where />} />
        </Routes>
      </SessionProvider>
    </MemoryRouter>,
  );
}

let writes: string[];
beforeEach(() => {
  fakeApi.reset(api);
  writes = [];
  localStorage.clear();
  sessionStorage.clear();
  // Every write to Web Storage, whoever makes it (localStorage and sessionStorage share the prototype).
  vi.spyOn(Storage.prototype, "setItem").mockImplementation(function (this: Storage, key: string, value: string) {
    writes.push(`${key}=${value}`);
  });
});
afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
  vi.useRealTimers();
  setAccessToken(null);
});

describe("the login page", () => {
  it("shows the API's error next to the field it names, in French", async () => {
    const user = userEvent.setup();
    renderLogin();
    await user.type(await screen.findByLabelText("Identifiant"), "Camille Martin!");
    await user.type(screen.getByLabelText("Mot de passe"), PASSWORD);
    await user.click(screen.getByRole("button", { name: "Se connecter" }));
    const field = screen.getByLabelText("Identifiant");
    expect(await screen.findByText("L’identifiant contient des caractères non autorisés.")).toBeVisible();
    // DSFR puts the message in the field's group, tied to the input by aria-describedby.
    const described = (field.getAttribute("aria-describedby") ?? "").split(" ").map((id) => document.getElementById(id));
    expect(described.some((el) => el?.textContent?.includes("caractères non autorisés"))).toBe(true);
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("offers 'Renvoyer le code' at once, disabled with the seconds left, then enabled", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    renderLogin();
    await user.type(await screen.findByLabelText("Identifiant"), LOGIN);
    await user.type(screen.getByLabelText("Mot de passe"), PASSWORD);
    await user.click(screen.getByRole("button", { name: "Se connecter" }));
    const resend = await screen.findByRole("button", { name: /^Renvoyer le code/ });
    expect(resend).toBeDisabled();
    expect(resend).toHaveTextContent(/dans (30|29) s/);
    expect(screen.getByRole("button", { name: "Recevoir le code par SMS" })).toBeDisabled();
    await act(async () => {
      vi.advanceTimersByTime(10_000);
    });
    expect(resend).toHaveTextContent(/dans (20|19) s/);
    await act(async () => {
      vi.advanceTimersByTime(21_000);
    });
    expect(resend).toBeEnabled();
    expect(resend).toHaveTextContent(/^Renvoyer le code$/);
    expect(screen.getByRole("button", { name: "Recevoir le code par SMS" })).toBeEnabled();
  });

  it("writes nothing to localStorage or sessionStorage from the password to the logged-in page", async () => {
    const user = userEvent.setup();
    renderLogin();
    await user.type(await screen.findByLabelText("Identifiant"), LOGIN);
    await user.type(screen.getByLabelText("Mot de passe"), PASSWORD);
    await user.click(screen.getByRole("button", { name: "Se connecter" }));
    await user.type(await screen.findByLabelText(/^Code à usage unique/), OTP);
    await user.click(screen.getByRole("button", { name: "Valider" }));
    expect(await screen.findByRole("heading", { name: "Documents" })).toBeVisible();
    // The login really happened through the API, the token then used in memory...
    expect(fakeApi.calls.map((c) => c.path)).toEqual(
      expect.arrayContaining(["/api/auth/login", "/api/auth/otp", "/api/espaces/me"]));
    expect(fakeApi.calls.find((c) => c.path === "/api/espaces/me")?.authorization).toBe(`Bearer ${TOKEN}`);
    // ...and nothing went to Web Storage, nor to a script-readable cookie.
    expect(writes).toEqual([]);
    expect(localStorage.length + sessionStorage.length).toBe(0);
    for (const secret of [PASSWORD, OTP, TOKEN, LOGIN]) expect(document.cookie).not.toContain(secret);
  });
});

describe("after an expired session", () => {
  async function logIn() {
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Identifiant"), LOGIN);
    await user.type(screen.getByLabelText("Mot de passe"), PASSWORD);
    await user.click(screen.getByRole("button", { name: "Se connecter" }));
    await user.type(await screen.findByLabelText(/^Code à usage unique/), OTP);
    await user.click(screen.getByRole("button", { name: "Valider" }));
  }

  it("says so, then returns to the address the holder was on, its query included", async () => {
    renderLogin({ from: "/espace/documents-filtres?categorie=BIOLOGIE", expired: true });
    expect(await screen.findByText(/Votre session a expiré/)).toBeVisible();
    await logIn();
    expect(await screen.findByRole("heading", { name: "Page /espace/documents-filtres?categorie=BIOLOGIE" }))
      .toBeVisible();
  });

  it("never follows a return address outside the logged-in pages", async () => {
    renderLogin({ from: "//evil.example/espace/", expired: true });
    await logIn();
    expect(await screen.findByRole("heading", { name: "Documents" })).toBeVisible();
  });
});
