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
        setState({ ...anonymous, expired: true });
      }),
    [],
  );

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
