import { afterEach, describe, expect, it, vi } from "vitest";

const problem = (status: number, code: string) =>
  new Response(JSON.stringify({ type: "about:blank", title: "x", status, code, detail: "…" }),
    { status, headers: { "Content-Type": "application/problem+json" } });

afterEach(() => {
  vi.unstubAllGlobals();
  vi.resetModules();
});

async function clientWith(responses: Response[]) {
  const calls: string[] = [];
  // jsdom's page is at http://localhost:3000/; Node's Request wants absolute addresses.
  const NodeRequest = globalThis.Request;
  vi.stubGlobal("Request", class extends NodeRequest {
    constructor(input: RequestInfo | URL, init?: RequestInit) {
      super(typeof input === "string" ? new URL(input, window.location.origin) : input, init);
    }
  });
  vi.stubGlobal("fetch", vi.fn(async (input: RequestInfo | URL) => {
    calls.push(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
    return responses.shift() ?? new Response("{}", { status: 200 });
  }));
  const client = await import("./client");
  client.setAccessToken("holder-token");
  return { client, calls };
}

describe("a 401 renews the session only when the token is refused", () => {
  it("a wrong child code (invalid_credentials) is the answer: no refresh, no replay", async () => {
    const { client, calls } = await clientWith([problem(401, "invalid_credentials")]);
    const { error } = await client.api.POST("/espaces/me/children", {
      body: { nir: "216092A00405626", birth_date: "2016-09-21", vitale_serial: "20260000003", code: "aB3dE5gH7jK9" },
    });
    expect((error as { code: string }).code).toBe("invalid_credentials");
    expect(calls).toHaveLength(1);
  });

  it("an expired token (unauthorized) is renewed once and the request replayed", async () => {
    const { client, calls } = await clientWith([
      problem(401, "unauthorized"),
      new Response(JSON.stringify({ access_token: "new", token_type: "Bearer", expires_in: 900 }), { status: 200 }),
      new Response(JSON.stringify({ items: [], next_cursor: null }), { status: 200 }),
    ]);
    const { data } = await client.api.GET("/espaces/{espace_id}/access-log", { params: { path: { espace_id: "me" } } });
    expect(data).toEqual({ items: [], next_cursor: null });
    expect(calls.map((c) => new URL(c, window.location.origin).pathname)).toEqual(["/api/espaces/me/access-log", "/api/auth/refresh",
      "/api/espaces/me/access-log"]);
  });
});
