import { useCallback, useEffect, useState } from "react";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Badge } from "@codegouvfr/react-dsfr/Badge";
import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { createModal } from "@codegouvfr/react-dsfr/Modal";
import { api, asProblem, type Schemas } from "../api/client";
import { useTitle } from "../components/useTitle";
import { useEspaceId } from "../session/session";
import { basisLabel, formatDate, professionLabel } from "../format";
import { EmergencySettings } from "../components/professionals/EmergencySettings";

type Professional = Schemas["Professional"];
type Pending = { kind: "block" | "administrator" | "withdraw"; professional: Professional };

const confirmModal = createModal({ id: "confirmer-professionnel", isOpenedByDefault: false });
const PHYSICIAN = "10";
const TITLES: Record<Pending["kind"], string> = {
  block: "Bloquer ce professionnel",
  administrator: "Désigner le médecin administrateur",
  withdraw: "Retirer l’autorisation d’accès",
};

function nameOf(p: Professional): string {
  return p.name ?? `Professionnel RPPS ${p.rpps}`;
}

/** WEB.md 10: who has access and on which basis, blocks (BR-31), the administrator (BR-32), and the
 * emergency settings (BR-34). */
export default function Professionals() {
  useTitle("Professionnels de santé");
  const espaceId = useEspaceId();
  const [items, setItems] = useState<Professional[] | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  const load = useCallback(async () => {
    const { data } = await api.GET("/espaces/{espace_id}/professionals", { params: { path: { espace_id: espaceId } } });
    if (data) setItems(data.items);
    else setMessage({ ok: false, text: "La liste des professionnels n’a pas pu être chargée. Réessayez plus tard." });
  }, [espaceId]);
  useEffect(() => {
    setItems(null);
    void load();
  }, [load]);

  const act = async (what: Pending["kind"] | "unblock", p: Professional) => {
    setMessage(null);
    const path = { espace_id: espaceId, rpps: p.rpps };
    const { error } = what === "block" ? await api.PUT("/espaces/{espace_id}/blocks/{rpps}", { params: { path } })
      : what === "unblock" ? await api.DELETE("/espaces/{espace_id}/blocks/{rpps}", { params: { path } })
      : what === "withdraw" ? await api.DELETE("/espaces/{espace_id}/professionals/{rpps}", { params: { path } })
      : await api.PUT("/espaces/{espace_id}/administrator", { params: { path: { espace_id: espaceId } }, body: { rpps: p.rpps } });
    if (error) return setMessage({ ok: false, text: asProblem(error).detail });
    const done = { block: "est bloqué : il n’a plus accès à votre espace", unblock: "est débloqué",
      administrator: "est désormais votre médecin administrateur",
      withdraw: "n’a plus d’autorisation : il devra vous redemander votre accord pour consulter vos documents" }[what];
    setMessage({ ok: true, text: `${nameOf(p)} ${done}.` });
    await load();
  };
  const ask = (kind: Pending["kind"], professional: Professional) => {
    setPending({ kind, professional });
    confirmModal.open();
  };

  return (
    <>
      <h1>Professionnels de santé</h1>
      <p className="fr-text--lg">
        Les professionnels qui peuvent consulter votre espace, et à quel titre. Un professionnel bloqué n’a plus aucun
        accès, même avec votre consentement, jusqu’à ce que vous le débloquiez.
      </p>
      <div aria-live="polite" role="status">
        {message && <Alert severity={message.ok ? "success" : "error"} small className="fr-mb-3w" description={message.text} />}
      </div>
      {items === null && <p aria-live="polite">Chargement…</p>}
      {items && items.length === 0 && <p>Aucun professionnel n’a encore accès à votre espace.</p>}
      {items && items.length > 0 && (
        <ul className="mes-pro-list" aria-label="Professionnels ayant accès à votre espace">
          {items.map((p) => <ProfessionalRow key={p.rpps} p={p} onAsk={ask} onUnblock={(x) => void act("unblock", x)} />)}
        </ul>
      )}
      <EmergencySettings espaceId={espaceId} />
      <confirmModal.Component title={TITLES[pending?.kind ?? "block"]}
        buttons={[
          { children: "Annuler", priority: "secondary" },
          { children: "Confirmer", onClick: () => { if (pending) void act(pending.kind, pending.professional); } },
        ]}>
        {pending?.kind === "withdraw"
          ? `${nameOf(pending.professional)} ne pourra plus consulter vos documents. Il pourra vous redemander votre accord ; pour lui interdire tout accès, bloquez-le.`
          : pending?.kind === "administrator"
          ? `${nameOf(pending.professional)} deviendra votre médecin administrateur : il pourra voir vos documents masqués, consulter l’historique des accès et bloquer un autre professionnel à votre demande. Il remplace le médecin administrateur actuel, s’il y en a un.`
          : `${pending ? nameOf(pending.professional) : "Ce professionnel"} n’aura plus aucun accès à votre espace santé, même avec votre consentement, jusqu’à ce que vous le débloquiez.`}
      </confirmModal.Component>
    </>
  );
}

function ProfessionalRow({ p, onAsk, onUnblock }: {
  p: Professional; onAsk: (kind: Pending["kind"], p: Professional) => void; onUnblock: (p: Professional) => void;
}) {
  const who = <span className="fr-sr-only">{` ${nameOf(p)}`}</span>;
  return (
    <li className="mes-pro-row fr-mb-3w">
      <h2 className="fr-h5 fr-mb-1w">{nameOf(p)}</h2>
      <p className="fr-mb-1w">
        {professionLabel(p.profession)}{p.structure ? ` — structure ${p.structure}` : ""}
      </p>
      <p className="fr-mb-1w">
        {`Accès : ${basisLabel(p.authorisation)}`}{p.authorised_at ? `, depuis le ${formatDate(p.authorised_at)}` : ""}
      </p>
      <p className="fr-mb-1w">
        {p.blocked && <Badge severity="error" small className="fr-mr-1w">Bloqué</Badge>}
        {p.administrator && <Badge severity="info" small>Médecin administrateur</Badge>}
      </p>
      <div className="fr-btns-group fr-btns-group--inline-md fr-btns-group--sm">
        {p.blocked ? (
          <Button priority="secondary" onClick={() => onUnblock(p)}>Débloquer{who}</Button>
        ) : (
          <Button priority="secondary" onClick={() => onAsk("block", p)}>Bloquer{who}</Button>
        )}
        {p.authorisation && (
          <Button priority="tertiary" onClick={() => onAsk("withdraw", p)}>Retirer l’autorisation{who}</Button>
        )}
        {p.profession === PHYSICIAN && p.authorisation !== "occupational_consent" && !p.administrator && !p.blocked && (
          <Button priority="tertiary" onClick={() => onAsk("administrator", p)}>Désigner comme médecin administrateur{who}</Button>
        )}
      </div>
    </li>
  );
}
