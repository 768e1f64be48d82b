/**
 * "State kept where it is safe" when a session ends under the holder (WEB.md "Session"): the espace
 * they were acting on (a child's) is kept in memory and chosen again after the next login, if the new
 * holder manages it; an explicit logout forgets it. Nothing goes to Web Storage.
 */
import { fakeApi, json } from "../test/fakeApi"; // first: it installs the fake fetch the client keeps
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { IDLE_LOGOUT_MS, SessionProvider, useSession } from "./session";
import { api, setAccessToken } from "../api/client";

const summary = (id: string, firstName: string, children: string[] = []) => ({
  id, status: "active", identity: { first_name: firstName, last_name: "Martin", birth_date: "1990-01-01" },
  children: children.map((c) => ({ id: c, first_name: "Hugo" })), settings: { otp_channel: "email" },
});

let valid = new Set<string>();
let owner: Record<string, ReturnType<typeof summary>> = {};

function server(request: Request): Response {
  const path = new URL(request.url).pathname;
  if (path === "/api/auth/refresh") return json(401, { code: "session_expired", detail: "Session expirée.", status: 401 });
  if (path === "/api/auth/logout") return new Response(null, { status: 204 });
  const token = (request.headers.get("Authorization") ?? "").replace("Bearer ", "");
  if (!valid.has(token)) return json(401, { code: "unauthorized", detail: "Authentification requise.", status: 401 });
  const id = path.split("/")[3];
  const found = id === "me" ? owner[token] : Object.values(owner).find((s) => s.id === id) ?? summary(id, "Hugo");
  return json(200, found);
}

let session: ReturnType<typeof useSession>;
function Probe() {
  session = useSession();
  return <p>{`${session.status} ${session.espaceId ?? "-"} ${session.expired ? "expired" : ""}`}</p>;
}

beforeEach(() => {
  fakeApi.reset(server);
  valid = new Set(["t1", "t2"]);
  owner = { t1: summary("parent", "Camille", ["child"]), t2: summary("parent", "Camille", ["child"]) };
  vi.spyOn(Storage.prototype, "setItem");
});
afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
  setAccessToken(null);
});

async function loggedInOnTheChild() {
  render(<SessionProvider><Probe /></SessionProvider>);
  await screen.findByText(/^anonymous/);
  await act(() => session.signIn("t1"));
  expect(session.espaces.map((e) => e.firstName)).toEqual(["Camille", "Hugo"]);
  act(() => session.switchEspace("child"));
  await screen.findByText("authenticated child");
}

describe("the session", () => {
  it("keeps the espace chosen across an expiry and acts on it again after the new login", async () => {
    await loggedInOnTheChild();
    valid.delete("t1"); // the token is refused server-side and the cookie renewal fails
    await act(async () => {
      await api.GET("/espaces/{espace_id}/settings", { params: { path: { espace_id: "child" } } });
    });
    await screen.findByText("anonymous child expired");
    await act(() => session.signIn("t2"));
    await waitFor(() => expect(session.status).toBe("authenticated"));
    expect(session.espaceId).toBe("child");
    expect(Storage.prototype.setItem).not.toHaveBeenCalled();
  });

  it("does not hand the espace to another holder who logs in on the same page", async () => {
    await loggedInOnTheChild();
    valid.delete("t1");
    await act(async () => {
      await api.GET("/espaces/{espace_id}", { params: { path: { espace_id: "me" } } });
    });
    await screen.findByText("anonymous child expired");
    owner.t2 = summary("someone-else", "Alex");
    await act(() => session.signIn("t2"));
    expect(session.espaceId).toBe("someone-else");
  });

  it("forgets the espace on an explicit logout", async () => {
    await loggedInOnTheChild();
    await act(() => session.signOut());
    await screen.findByText("anonymous -");
    await act(() => session.signIn("t2"));
    expect(session.espaceId).toBe("parent");
  });
});

describe("30 minutes without activity", () => {
  it("ends the session on the server and in the page, the espace kept for the next login", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      await loggedInOnTheChild();
      await act(async () => {
        vi.advanceTimersByTime(IDLE_LOGOUT_MS - 60_000);
      });
      fireEvent.keyDown(window, { key: "Tab" }); // the holder is there: the 30 minutes start again
      await act(async () => {
        vi.advanceTimersByTime(IDLE_LOGOUT_MS - 60_000);
      });
      expect(session.status).toBe("authenticated");
      expect(fakeApi.calls.some((c) => c.path === "/api/auth/logout")).toBe(false);
      await act(async () => {
        vi.advanceTimersByTime(2 * 60_000);
      });
      await screen.findByText("anonymous child expired");
      const logout = fakeApi.calls.find((c) => c.path === "/api/auth/logout");
      expect(logout?.authorization).toBe("Bearer t1");
    } finally {
      vi.useRealTimers();
    }
  });
});
