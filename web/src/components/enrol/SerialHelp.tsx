import { Accordion } from "@codegouvfr/react-dsfr/Accordion";

/**
 * Where the serial is on a carte Vitale, and which digits to type (BR-03; the seeds: holders did not
 * find it — it is not at the same place on cards with and without photo — and nothing said which
 * digits count). Inline drawings with a text alternative, and the same words as text beside them.
 */
export function SerialHelp() {
  return (
    <Accordion label="Où trouver le numéro de série de ma carte Vitale ?" className="fr-mb-3w">
      <div className="fr-grid-row fr-grid-row--gutters">
        <figure className="fr-col-12 fr-col-md-6 fr-m-0">
          <PhotoCard />
          <figcaption id="mes-vitale-photo" className="fr-text--sm fr-mt-1w">
            <strong>Carte avec photo</strong> : le numéro de série est au recto, à droite de la photo.
            Saisissez ses <strong>11 derniers chiffres</strong> (vous pouvez aussi le recopier en entier).
          </figcaption>
        </figure>
        <figure className="fr-col-12 fr-col-md-6 fr-m-0">
          <PlainCard />
          <figcaption id="mes-vitale-plain" className="fr-text--sm fr-mt-1w">
            <strong>Carte sans photo</strong> (les plus anciennes) : le numéro de série est au verso, en bas
            de la carte. Saisissez <strong>tous ses chiffres</strong> (8 à 13 chiffres).
          </figcaption>
        </figure>
      </div>
      <p className="fr-text--sm fr-mb-0">
        Les espaces entre les chiffres n’ont pas d’importance. Pour un enfant, utilisez la carte Vitale sur
        laquelle il figure.
      </p>
    </Accordion>
  );
}

const card = { fill: "#dff3e4", stroke: "#3a7d44" };
const mark = { fill: "none", stroke: "#ce0500", strokeWidth: 3 };

function PhotoCard() {
  return (
    <svg viewBox="0 0 320 200" role="img" aria-labelledby="mes-vitale-photo" style={{ width: "100%", maxWidth: "20rem" }}>
      <rect x="4" y="4" width="312" height="192" rx="14" {...card} strokeWidth="2" />
      <text x="20" y="32" fontSize="16" fontWeight="bold" fill="#161616">carte Vitale — recto</text>
      <rect x="20" y="50" width="80" height="100" rx="4" fill="#ffffff" stroke="#666" />
      <circle cx="60" cy="85" r="18" fill="#bbb" />
      <rect x="34" y="108" width="52" height="36" rx="18" fill="#bbb" />
      <text x="118" y="70" fontSize="12" fill="#161616">NOM Prénom</text>
      <text x="118" y="90" fontSize="12" fill="#161616">2 88 05 2A 004 123 53</text>
      <text x="118" y="128" fontSize="12" fill="#161616">n° de série :</text>
      <text x="118" y="148" fontSize="13" fontFamily="monospace" fill="#161616">0915 <tspan fontWeight="bold">12345678901</tspan></text>
      <rect x="152" y="134" width="104" height="20" rx="4" {...mark} />
      <text x="152" y="176" fontSize="12" fontWeight="bold" fill="#ce0500">11 derniers chiffres</text>
    </svg>
  );
}

function PlainCard() {
  return (
    <svg viewBox="0 0 320 200" role="img" aria-labelledby="mes-vitale-plain" style={{ width: "100%", maxWidth: "20rem" }}>
      <rect x="4" y="4" width="312" height="192" rx="14" {...card} strokeWidth="2" />
      <text x="20" y="32" fontSize="16" fontWeight="bold" fill="#161616">carte Vitale — verso</text>
      <rect x="20" y="48" width="280" height="60" rx="4" fill="#ffffff" stroke="#666" />
      <text x="32" y="82" fontSize="12" fill="#161616">informations de la caisse</text>
      <text x="20" y="150" fontSize="12" fill="#161616">n° de série :</text>
      <text x="100" y="150" fontSize="13" fontFamily="monospace" fontWeight="bold" fill="#161616">12345678</text>
      <rect x="94" y="136" width="78" height="20" rx="4" {...mark} />
      <text x="94" y="178" fontSize="12" fontWeight="bold" fill="#ce0500">tous les chiffres</text>
    </svg>
  );
}
