import { useEffect, useState } from "react";
import { api, type Schemas } from "../api/client";
import { useTitle } from "../components/useTitle";
import { useEspaceId } from "../session/session";
import { SECTIONS } from "../components/profile/sections";
import { SectionForm } from "../components/profile/SectionForm";
import { Measurements } from "../components/profile/Measurements";
import { openProfile } from "../components/profile/drafts";

type Profile = Schemas["ProfileOut"];

/** WEB.md 8: every section of the medical profile as its own form (BR-19), and the measurements. */
export default function Profile() {
  useTitle("Profil médical");
  const espaceId = useEspaceId();
  useState(openProfile); // once per visit, before the sections read their drafts
  const [profile, setProfile] = useState<Profile | null>(null);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    let live = true;
    setProfile(null);
    setFailed(false);
    void api.GET("/espaces/{espace_id}/profile", { params: { path: { espace_id: espaceId } } }).then(({ data }) => {
      if (!live) return;
      if (data) setProfile(data);
      else setFailed(true);
    });
    return () => {
      live = false;
    };
  }, [espaceId]);

  return (
    <>
      <h1>Profil médical</h1>
      <p className="fr-text--lg">
        Renseignez les informations utiles à votre santé, une rubrique à la fois : chaque rubrique a son bouton
        « Enregistrer ». Seuls les vaccinations, les directives anticipées, la personne de confiance et les contacts
        d’urgence peuvent être lus par les professionnels de santé que vous autorisez ; le reste n’est visible que par vous.
      </p>
      <nav className="fr-summary mes-summary fr-mb-4w" aria-labelledby="sommaire-profil">
        <h2 className="fr-summary__title" id="sommaire-profil">Rubriques du profil</h2>
        <ol className="fr-summary__list">
          {[...SECTIONS.map((s) => [s.name, s.title]), ["mesures", "Mesures"]].map(([id, title]) => (
            <li key={id}><a className="fr-summary__link" href={`#section-${id}`}>{title}</a></li>
          ))}
        </ol>
      </nav>
      {failed && <p role="alert">Le profil n’a pas pu être chargé. Réessayez plus tard.</p>}
      {profile === null && !failed && <p aria-live="polite">Chargement…</p>}
      {profile && SECTIONS.map((def) => (
        <SectionForm key={`${espaceId}-${def.name}`} def={def} espaceId={espaceId}
          stored={profile[def.name] as Record<string, unknown> | null | undefined}
          onSaved={(section) => setProfile((p) => (p ? { ...p, [def.name]: section } : p))} />
      ))}
      <Measurements key={espaceId} espaceId={espaceId} />
    </>
  );
}
