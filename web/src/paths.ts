/** The addresses of the pages (French, as the holder sees them in the address bar). */
export const paths = {
  home: "/",
  activation: "/activer",
  opposition: "/opposition",
  newCode: "/nouveau-code",
  login: "/connexion",
  documents: "/espace/documents",
  profile: "/espace/profil",
  messages: "/espace/messagerie",
  conversation: (id: string) => `/espace/messagerie/${encodeURIComponent(id)}`,
  professionals: "/espace/professionnels",
  accessLog: "/espace/historique",
  settings: "/espace/parametres",
  addChild: "/espace/ajouter-un-enfant",
} as const;
