import { useState } from "react";
import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { useNavigate } from "react-router-dom";
import { api } from "../api/client";
import { useTitle } from "../components/useTitle";
import { Identification } from "../components/enrol/Identification";
import { StepHeading } from "../components/enrol/StepHeading";
import { useSession } from "../session/session";
import { paths } from "../paths";

/**
 * WEB.md 13 (BR-16): the guardian adds a child with the child's identification and the code that
 * came in the guardian's letter or e-mail; the switch "Espace de PRÉNOM" then appears.
 */
export default function AddChild() {
  useTitle("Ajouter un enfant");
  const session = useSession();
  const navigate = useNavigate();
  const [added, setAdded] = useState<string | null>(null);
  const child = session.espaces.find((e) => e.id === added);
  return (
    <div className="fr-grid-row">
      <div className="fr-col-12 fr-col-md-10 fr-col-lg-8">
        <h1>Ajouter un enfant</h1>
        {added ? (
          <>
            <StepHeading>Enfant ajouté</StepHeading>
            <Alert severity="success" className="fr-mb-3w" title={child ? `L’espace de ${child.firstName} est ajouté` : "L’espace de votre enfant est ajouté"}
              description="Vous pouvez passer d’un espace à l’autre avec les boutons « Espace de … » en haut de la page." />
            <ul className="fr-btns-group fr-btns-group--inline-md">
              <li>
                <Button type="button" onClick={() => {
                  session.switchEspace(added);
                  navigate(paths.documents);
                }}>
                  {child ? `Aller à l’espace santé de ${child.firstName}` : "Aller à l’espace santé de mon enfant"}
                </Button>
              </li>
              <li><Button type="button" priority="secondary" onClick={() => setAdded(null)}>Ajouter un autre enfant</Button></li>
            </ul>
          </>
        ) : (
          <Identification who="child" onIdentified={async (values) => {
            const { data, error } = await api.POST("/espaces/me/children", { body: values });
            if (data) {
              await session.reload();
              setAdded(data.espace.id);
            }
            return { error };
          }}>
            <p>
              Saisissez les informations de votre enfant et le code provisoire reçu pour lui, par courrier ou par
              e-mail. Vous gérerez son espace santé depuis votre compte jusqu’à sa majorité.
            </p>
          </Identification>
        )}
      </div>
    </div>
  );
}
