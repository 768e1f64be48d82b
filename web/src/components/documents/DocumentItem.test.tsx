import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { DocumentItem, type Doc } from "./DocumentItem";

const base: Doc = {
  id: "d1", title: "Bilan sanguin", category: "BIOLOGIE", filename: "b.pdf", content_type: "application/pdf", size: 10,
  status: "available", masked: false, author_type: "PATIENT", created_at: "2026-11-30T09:00:00Z",
  hidden_from_representatives: false,
};

function show(doc: Partial<Doc>) {
  const actions = { onDownload: vi.fn(), onMask: vi.fn(), onDelete: vi.fn() };
  render(<ul><DocumentItem doc={{ ...base, ...doc }} busy={false} {...actions} /></ul>);
  return actions;
}

describe("a document's row (WEB.md 7)", () => {
  afterEach(cleanup);

  it("an own upload: its facts and every action, named with its title", async () => {
    const actions = show({});
    expect(screen.getByText("Biologie")).toBeInTheDocument();
    expect(screen.getByText("Vous-même")).toBeInTheDocument();
    expect(screen.getByText("Disponible")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: /^Masquer aux professionnels\s*« Bilan sanguin »$/ }));
    expect(actions.onMask).toHaveBeenCalledWith(expect.objectContaining({ id: "d1" }), true);
    await userEvent.click(screen.getByRole("button", { name: /^Supprimer\s*« Bilan sanguin »$/ }));
    expect(actions.onDelete).toHaveBeenCalled();
    expect(screen.getByRole("button", { name: /^Télécharger\s*« Bilan sanguin »$/ })).toBeInTheDocument();
  });

  it("a professional's deposit names its author and cannot be deleted, only masked (BR-24)", () => {
    show({ author_type: "PRACTITIONER", author_name: "Dr Claire Martin", author_profession: "10", masked: true });
    expect(screen.getByText("Dr Claire Martin (Médecin)")).toBeInTheDocument();
    expect(screen.getByText("Masqué aux professionnels")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: /^Ne plus masquer\s*« Bilan sanguin »$/ })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /^Supprimer/ })).toBeNull();
  });

  it("pending: being checked, nothing to download yet", () => {
    show({ status: "pending" });
    expect(screen.getByText("En cours de vérification")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /^Télécharger/ })).toBeNull();
  });

  it("rejected: says why; nothing to download or mask, the holder may delete it", () => {
    show({ status: "rejected", rejection_reason: "Le fichier n'est pas un PDF valide." });
    expect(screen.getByText("Refusé")).toBeInTheDocument();
    expect(screen.getByText("Le fichier n'est pas un PDF valide.")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /^Télécharger|^Masquer/ })).toBeNull();
    expect(screen.getByRole("button", { name: /^Supprimer/ })).toBeInTheDocument();
  });
});
