/**
 * A fake API for component tests (jsdom): import this module FIRST, before anything that imports
 * src/api/client.ts — openapi-fetch keeps the fetch and Request it finds when the client is created.
 * `fakeApi.handler` answers each request; `fakeApi.calls` records method, path, Authorization, body.
 */
import { vi } from "vitest";

export type Call = { method: string; path: string; authorization: string | null; body: string };
type Handler = (request: Request, body: string) => Response | Promise<Response>;

const NativeRequest = globalThis.Request;

/** Node's Request wants absolute addresses; the page's are relative to its origin (/api/…). */
class PageRequest extends NativeRequest {
  constructor(input: RequestInfo | URL, init?: RequestInit) {
    super(typeof input === "string" ? new URL(input, window.location.origin) : input, init);
  }
}

export const fakeApi = {
  handler: (() => json(404, {})) as Handler,
  calls: [] as Call[],
  reset(handler: Handler) {
    this.handler = handler;
    this.calls.length = 0;
  },
};

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

export const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
  const request = input instanceof NativeRequest ? input : new PageRequest(input, init);
  const body = request.body ? await request.clone().text() : "";
  fakeApi.calls.push({ method: request.method, path: new URL(request.url).pathname,
    authorization: request.headers.get("Authorization"), body });
  return fakeApi.handler(request, body);
});

vi.stubGlobal("Request", PageRequest);
vi.stubGlobal("fetch", fetchMock);
