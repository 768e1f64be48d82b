/**
 * The session rules of the one API client (WEB.md "Session"): a 401 renews the token once through
 * POST /auth/refresh (the HttpOnly cookie) and replays the request; when renewal fails the token is
 * dropped and the session-expired listeners run; requests failing together share ONE renewal.
 * fetch is faked (src/test/fakeApi.ts).
 */
import { fakeApi, json } from "../test/fakeApi"; // first: it installs the fake fetch the client keeps
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import * as client from "./client";

const calls = fakeApi.calls;
const unauthorized = () => json(401, { type: "about:blank", title: "Unauthorized", status: 401, code: "unauthorized",
  detail: "Authentification requise." });
const espace = { id: "e1", status: "active", identity: { first_name: "Camille", last_name: "M", birth_date: "1990-01-01" },
  children: [], settings: { otp_channel: "email" } };

/** A server whose access tokens are `valid`; the refresh answers `refresh` (a new token or 401). */
function server(valid: Set<string>, refresh: () => Response) {
  return async (request: Request) => {
    const path = new URL(request.url).pathname;
    if (path === "/api/auth/refresh") {
      await new Promise((resolve) => setTimeout(resolve, 10)); // the concurrent 401s arrive meanwhile
      return refresh();
    }
    const token = (request.headers.get("Authorization") ?? "").replace("Bearer ", "");
    return valid.has(token) ? json(200, espace) : unauthorized();
  };
}

const getEspace = () => client.api.GET("/espaces/{espace_id}", { params: { path: { espace_id: "me" } } });
const refreshes = () => calls.filter((c) => c.path === "/api/auth/refresh").length;

beforeEach(() => {
  fakeApi.calls.length = 0;
  client.setAccessToken("old");
});
afterEach(() => client.setAccessToken(null));

describe("the API client's session", () => {
  it("renews the token once on a 401 and replays the request with the new one", async () => {
    fakeApi.handler = server(new Set(["new"]), () => json(200, { access_token: "new", token_type: "Bearer", expires_in: 900 }));
    const { data, error } = await getEspace();
    expect(error).toBeUndefined();
    expect(data?.identity.first_name).toBe("Camille");
    expect(calls.map((c) => `${c.method} ${c.path} ${c.authorization ?? "-"}`)).toEqual([
      "GET /api/espaces/me Bearer old",
      "POST /api/auth/refresh -",
      "GET /api/espaces/me Bearer new",
    ]);
  });

  it("drops the token and tells the listeners when the renewal fails", async () => {
    fakeApi.handler = server(new Set(), () => json(401, { code: "session_expired", detail: "Session expirée.", status: 401 }));
    const expired = vi.fn();
    const stop = client.onSessionExpired(expired);
    const { error, response } = await getEspace();
    stop();
    expect(response.status).toBe(401);
    expect(error).toMatchObject({ code: "unauthorized" });
    expect(expired).toHaveBeenCalledTimes(1);
    expect(client.hasAccessToken()).toBe(false);
    expect(refreshes()).toBe(1);
  });

  it("shares ONE renewal between requests refused together", async () => {
    fakeApi.handler = server(new Set(["new"]), () => json(200, { access_token: "new", token_type: "Bearer", expires_in: 900 }));
    const results = await Promise.all([getEspace(), getEspace(), getEspace()]);
    expect(results.every((r) => r.data?.id === "e1")).toBe(true);
    expect(refreshes()).toBe(1);
    expect(calls.filter((c) => c.authorization === "Bearer new")).toHaveLength(3);
  });

  it("does not renew on a refused password: the token is fine and a replay would count a second failure", async () => {
    fakeApi.handler = async (request) => new URL(request.url).pathname.endsWith("/closure")
      ? json(401, { code: "invalid_credentials", detail: "Les informations saisies ne permettent pas de vous identifier.",
        status: 401, title: "Unauthorized", type: "about:blank" })
      : json(200, {});
    const expired = vi.fn();
    const stop = client.onSessionExpired(expired);
    const { error } = await client.api.POST("/espaces/{espace_id}/closure", {
      params: { path: { espace_id: "me" } }, body: { password: "faux", delete_data: false },
    });
    stop();
    expect(error).toMatchObject({ code: "invalid_credentials" });
    expect(calls.map((c) => c.path)).toEqual(["/api/espaces/me/closure"]);
    expect(expired).not.toHaveBeenCalled();
    expect(client.hasAccessToken()).toBe(true);
  });
});
