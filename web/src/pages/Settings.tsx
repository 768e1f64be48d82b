import { useTitle } from "../components/useTitle";
import { useEspaceId, useSession } from "../session/session";
import { Preferences } from "../components/settings/Preferences";
import { DataExport } from "../components/settings/DataExport";
import { Closure } from "../components/settings/Closure";

/** WEB.md 12 "Paramètres": preferences, the data export, the closure — of the espace shown (own or a child's). */
export default function Settings() {
  useTitle("Paramètres");
  const espaceId = useEspaceId();
  const { espaces } = useSession();
  const espace = espaces.find((e) => e.id === espaceId);
  const own = espace?.own ?? true;
  const firstName = espace?.firstName ?? "";
  return (
    <>
      <h1>Paramètres</h1>
      {!own && <p>{`Vous gérez ici l’espace santé de ${firstName}.`}</p>}
      <Preferences key={`p-${espaceId}`} espaceId={espaceId} own={own} />
      <DataExport key={`e-${espaceId}`} espaceId={espaceId} />
      <Closure key={`c-${espaceId}`} espaceId={espaceId} own={own} firstName={firstName} />
    </>
  );
}
