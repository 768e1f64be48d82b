import type { ReactNode } from "react";
import { Header } from "@codegouvfr/react-dsfr/Header";
import { Footer } from "@codegouvfr/react-dsfr/Footer";
import { useLocation, useNavigate } from "react-router-dom";
import { useSession } from "../session/session";
import { paths } from "../paths";

const sections: { text: string; to: string }[] = [
  { text: "Documents", to: paths.documents },
  { text: "Profil médical", to: paths.profile },
  { text: "Messagerie", to: paths.messages },
  { text: "Professionnels de santé", to: paths.professionals },
  { text: "Historique des accès", to: paths.accessLog },
  { text: "Paramètres", to: paths.settings },
  { text: "Ajouter un enfant", to: paths.addChild },
];

export function Layout({ children }: { children: ReactNode }) {
  const session = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const loggedIn = session.status === "authenticated";

  const switches = loggedIn && session.espaces.length > 1
    ? session.espaces.map((espace) => ({
        iconId: "fr-icon-user-line" as const,
        text: `Espace de ${espace.firstName}`,
        buttonProps: {
          type: "button" as const,
          "aria-pressed": espace.id === session.espaceId,
          onClick: () => session.switchEspace(espace.id),
        },
      }))
    : [];

  return (
    <>
      <Header
        brandTop={<>République<br />Française</>}
        serviceTitle="Mon espace santé"
        serviceTagline="Votre espace numérique de santé personnel et sécurisé"
        homeLinkProps={{ to: paths.home, title: "Accueil — Mon espace santé" }}
        navigation={loggedIn ? sections.map((s) => ({
          text: s.text,
          linkProps: { to: s.to },
          isActive: location.pathname.startsWith(s.to),
        })) : undefined}
        quickAccessItems={loggedIn ? [
          ...switches,
          {
            iconId: "fr-icon-logout-box-r-line",
            text: "Se déconnecter",
            buttonProps: {
              type: "button",
              onClick: async () => {
                // Leave the private page first, or its guard sends the holder to the login instead.
                navigate(paths.home);
                await session.signOut();
              },
            },
          },
        ] : []}
      />
      <main role="main" id="contenu" className="fr-container fr-py-4w" tabIndex={-1}>
        {loggedIn && session.espaces.length > 1 && (
          <p className="fr-badge fr-badge--info fr-mb-2w">
            {`Espace affiché : ${session.espaces.find((e) => e.id === session.espaceId)?.firstName ?? ""}`}
          </p>
        )}
        {children}
      </main>
      <Footer accessibility="partially compliant" contentDescription="mes — une mise en œuvre ouverte de Mon espace santé." />
    </>
  );
}
