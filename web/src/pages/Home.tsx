import { Link } from "react-router-dom";
import { paths } from "../paths";
import { useTitle } from "../components/useTitle";
import { ClosedNotice } from "../components/settings/ClosedNotice";

export function Home() {
  useTitle("Accueil");
  return (
    <>
      <h1>Mon espace santé</h1>
      <ClosedNotice />
      <p className="fr-text--lead">
        Votre espace numérique de santé : vos documents, votre profil médical, vos échanges avec les
        professionnels de santé, et vous décidez qui y accède.
      </p>
      <div className="fr-grid-row fr-grid-row--gutters">
        <div className="fr-col-12 fr-col-md-6">
          <h2 className="fr-h4">Vous avez reçu un code provisoire</h2>
          <ul className="fr-btns-group">
            <li><Link className="fr-btn" to={paths.activation}>Activer mon espace santé</Link></li>
            <li>
              <Link className="fr-btn fr-btn--secondary" to={paths.opposition}>
                M’opposer à la création de mon espace santé
              </Link>
            </li>
          </ul>
        </div>
        <div className="fr-col-12 fr-col-md-6">
          <h2 className="fr-h4">Votre espace est activé</h2>
          <ul className="fr-btns-group">
            <li><Link className="fr-btn" to={paths.login}>Se connecter</Link></li>
            <li>
              <Link className="fr-btn fr-btn--tertiary" to={paths.newCode}>Recevoir un nouveau code</Link>
            </li>
          </ul>
        </div>
      </div>
    </>
  );
}
