import { Button } from "@codegouvfr/react-dsfr/Button";
import { createModal } from "@codegouvfr/react-dsfr/Modal";

const terms = createModal({ id: "mes-terms", isOpenedByDefault: false });

/** The short terms of use, in a dialog opened beside the checkbox. */
export function TermsLink() {
  return (
    <>
      <p className="fr-mb-3w">
        <Button type="button" priority="tertiary no outline" size="small" {...terms.buttonProps}>
          Lire les conditions générales d’utilisation
        </Button>
      </p>
      <terms.Component title="Conditions générales d’utilisation" size="large">
        <p>Mon espace santé est un service public gratuit qui vous permet de conserver et de partager vos
          documents et informations de santé.</p>
        <ul>
          <li>Vous seul(e) et les professionnels de santé que vous autorisez accédez à vos données de santé ;
            chaque accès d’un professionnel figure dans l’historique des accès.</li>
          <li>Vous pouvez masquer un document, bloquer un professionnel, exporter vos données et clôturer votre
            espace à tout moment.</li>
          <li>Vos identifiant, mot de passe et codes sont personnels : ne les communiquez à personne. L’Assurance
            Maladie ne vous les demandera jamais.</li>
          <li>Vos données sont hébergées en France par un hébergeur certifié de données de santé.</li>
        </ul>
      </terms.Component>
    </>
  );
}
