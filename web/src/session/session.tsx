/**
 * Who is logged in and which espace the pages act on (own or a child's), in memory only.
 * On start the page asks POST /auth/refresh: a reload keeps the session through the HttpOnly cookie
 * without any token in storage. When the session ends (30 minutes idle, logout, closure) the holder
 * is sent to the login with the address they were on, which is safe to keep (no secret in it).
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { api, onSessionExpired, refreshSession, setAccessToken, type Schemas } from "../api/client";

export type EspaceChoice = { id: string; firstName: string; own: boolean };

type SessionState = {
  status: "starting" | "anonymous" | "authenticated";
  espaces: EspaceChoice[];
  espaceId: string | null;
  summary: Schemas["EspaceSummary"] | null;
  expired: boolean;
};

type Session = SessionState & {
  signIn: (accessToken: string) => Promise<void>;
  signOut: () => Promise<void>;
  switchEspace: (id: string) => void;
  reload: () => Promise<void>;
  forget: () => void;
};

const SessionContext = createContext<Session | null>(null);

const anonymous: SessionState = { status: "anonymous", espaces: [], espaceId: null, summary: null, expired: false };

async function loadEspaces(): Promise<Pick<SessionState, "espaces" | "summary">> {
  const { data } = await api.GET("/espaces/{espace_id}", { params: { path: { espace_id: "me" } } });
  if (!data) throw new Error("espace");
  // Each child's first name comes with the summary (ChildRef.first_name): one request in all.
  const children = (data.children ?? []).map((child) => ({ id: child.id, firstName: child.first_name, own: false }));
  return { summary: data, espaces: [{ id: data.id, firstName: data.identity.first_name, own: true }, ...children] };
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ ...anonymous, status: "starting" });

  const establish = useCallback(async () => {
    const loaded = await loadEspaces();
    setState((previous) => ({
      status: "authenticated",
      expired: false,
      ...loaded,
      espaceId:
        previous.espaceId && loaded.espaces.some((e) => e.id === previous.espaceId)
          ? previous.espaceId
          : loaded.espaces[0].id,
    }));
  }, []);

  useEffect(() => {
    let live = true;
    refreshSession()
      .then(async (ok) => {
        if (!live) return;
        if (ok) await establish();
        else setState(anonymous);
      })
      .catch(() => live && setState(anonymous));
    return () => {
      live = false;
    };
  }, [establish]);

  useEffect(
    () =>
      onSessionExpired(() => {
        setAccessToken(null);
        // The espace chosen (own or a child's) is kept in memory: after the new login the pages act on
        // it again, if the new holder manages it (establish() checks). Nothing goes to storage.
        setState((previous) => ({ ...anonymous, expired: true, espaceId: previous.espaceId }));
      }),
    [],
  );

  useIdleLogout(state.status === "authenticated", () =>
    setState((previous) => ({ ...anonymous, expired: true, espaceId: previous.espaceId })));

  const session = useMemo<Session>(
    () => ({
      ...state,
      signIn: async (accessToken) => {
        setAccessToken(accessToken);
        await establish();
      },
      signOut: async () => {
        await api.POST("/auth/logout").catch(() => undefined);
        setAccessToken(null);
        setState(anonymous);
      },
      switchEspace: (id) => setState((previous) => ({ ...previous, espaceId: id })),
      reload: establish,
      forget: () => {
        setAccessToken(null);
        setState(anonymous);
      },
    }),
    [state, establish],
  );
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

/** WEB.md "Session": 30 minutes without activity. */
export const IDLE_LOGOUT_MS = 30 * 60 * 1000;
const ACTIVITY_EVENTS = ["pointerdown", "keydown", "wheel", "touchstart"] as const;

/**
 * Logged out after 30 minutes without the holder touching the page, even if the page makes no call
 * meanwhile: the session ends on the server (POST /auth/logout) and the page leaves the health data
 * it shows for the login, as on an expiry (the address and the espace chosen are kept in memory).
 */
function useIdleLogout(active: boolean, onIdle: () => void) {
  useEffect(() => {
    if (!active) return;
    let last = Date.now();
    const touch = () => {
      last = Date.now();
    };
    ACTIVITY_EVENTS.forEach((name) => window.addEventListener(name, touch, { passive: true }));
    const timer = window.setInterval(async () => {
      if (Date.now() - last < IDLE_LOGOUT_MS) return;
      window.clearInterval(timer);
      await api.POST("/auth/logout").catch(() => undefined);
      setAccessToken(null);
      onIdle();
    }, 30_000);
    return () => {
      window.clearInterval(timer);
      ACTIVITY_EVENTS.forEach((name) => window.removeEventListener(name, touch));
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [active]);
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside SessionProvider");
  return session;
}

/** The espace the logged-in pages act on (own or a child's). */
export function useEspaceId(): string {
  const { espaceId } = useSession();
  if (!espaceId) throw new Error("no espace");
  return espaceId;
}
