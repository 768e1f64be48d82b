import { Suspense, lazy, type ReactNode } from "react";
import { Navigate, Route, Routes, useLocation } from "react-router-dom";
import { Layout } from "./components/Layout";
import { useSession } from "./session/session";
import { Home } from "./pages/Home";
import { Login } from "./pages/Login";
import { paths } from "./paths";

// The logged-in pages load on demand: the home page's first load stays small (WEB.md: <= 250 KB).
const AccessLog = lazy(() => import("./pages/AccessLog"));
const Settings = lazy(() => import("./pages/Settings"));
// enrol: identification, opposition, activation, new code (public) and a child (logged in).
const Opposition = lazy(() => import("./pages/Opposition"));
const Activation = lazy(() => import("./pages/Activation"));
const NewCode = lazy(() => import("./pages/NewCode"));
const AddChild = lazy(() => import("./pages/AddChild"));
const Documents = lazy(() => import("./pages/Documents"));
const Messages = lazy(() => import("./pages/Messages"));
const Conversation = lazy(() => import("./pages/Conversation"));
const Profile = lazy(() => import("./pages/Profile"));
const Professionals = lazy(() => import("./pages/Professionals"));

function Loading() {
  return <p aria-live="polite">Chargement…</p>;
}

/** Logged-in pages: while the session is being restored, wait; without one, go to the login and
 * come back here afterwards (the address only: nothing the holder typed is kept). */
function Private({ children }: { children: ReactNode }) {
  const session = useSession();
  const location = useLocation();
  if (session.status === "starting") return <Loading />;
  if (session.status !== "authenticated" || !session.espaceId) {
    return <Navigate to={paths.login} replace state={{ from: location.pathname + location.search, expired: session.expired }} />;
  }
  return <Suspense fallback={<Loading />}>{children}</Suspense>;
}

export function App() {
  return (
    <Layout>
      <Routes>
        <Route path={paths.home} element={<Home />} />
        <Route path={paths.login} element={<Login />} />
        <Route path={paths.accessLog} element={<Private><AccessLog /></Private>} />
        <Route path={paths.settings} element={<Private><Settings /></Private>} />
        <Route path={paths.opposition} element={<Suspense fallback={<Loading />}><Opposition /></Suspense>} />
        <Route path={paths.activation} element={<Suspense fallback={<Loading />}><Activation /></Suspense>} />
        <Route path={paths.newCode} element={<Suspense fallback={<Loading />}><NewCode /></Suspense>} />
        <Route path={paths.addChild} element={<Private><AddChild /></Private>} />
        <Route path={paths.documents} element={<Private><Documents /></Private>} />
        <Route path={paths.messages} element={<Private><Messages /></Private>} />
        <Route path={`${paths.messages}/:conversationId`} element={<Private><Conversation /></Private>} />
        <Route path={paths.profile} element={<Private><Profile /></Private>} />
        <Route path={paths.professionals} element={<Private><Professionals /></Private>} />
        <Route path="*" element={<NotFound />} />
      </Routes>
    </Layout>
  );
}

function NotFound() {
  return (
    <>
      <h1>Page introuvable</h1>
      <p>L’adresse demandée n’existe pas.</p>
    </>
  );
}
