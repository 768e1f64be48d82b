import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { cleanup, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";

const put = vi.fn();
vi.mock("../../api/client", async (original) => ({
  ...(await original<typeof import("../../api/client")>()),
  api: { PUT: (...args: unknown[]) => put(...args) },
}));

const { SectionForm } = await import("./SectionForm");
const { SECTIONS } = await import("./sections");
const vaccinations = SECTIONS.find((s) => s.name === "vaccinations")!;

describe("SectionForm", () => {
  beforeEach(() => put.mockReset());
  afterEach(cleanup);

  it("shows the API's error next to the field of the row it names, and focuses it", async () => {
    put.mockResolvedValue({ error: { type: "about:blank", title: "Requête invalide", status: 400, code: "validation_error",
      field: "items.1.date", detail: "Valeur invalide pour « items.1.date » : la date ne peut pas être dans le futur." } });
    const stored = { items: [{ diseases: ["Tétanos"], date: "2019" }, { diseases: ["Grippe"], date: "2020" }] };
    render(<SectionForm def={vaccinations} espaceId="e-1" stored={stored} onSaved={() => undefined} />);
    const second = screen.getByRole("group", { name: "Vaccination 2" });
    await userEvent.clear(within(second).getByLabelText(/^Date de la vaccination/));
    await userEvent.type(within(second).getByLabelText(/^Date de la vaccination/), "2099");
    await userEvent.click(screen.getByRole("button", { name: "Enregistrer la section « Vaccinations »" }));

    expect(put).toHaveBeenCalledWith("/espaces/{espace_id}/profile/{section}", {
      params: { path: { espace_id: "e-1", section: "vaccinations" } },
      body: { items: [{ diseases: ["Tétanos"], date: "2019" }, { diseases: ["Grippe"], date: "2099" }] } });
    const message = await within(second).findByText(/la date ne peut pas être dans le futur/);
    expect(message.textContent).toContain("« Date de la vaccination (vaccination 2) »");
    expect(within(screen.getByRole("group", { name: "Vaccination 1" })).queryByText(/futur/)).toBeNull();
    await vi.waitFor(() => expect(within(second).getByLabelText(/^Date de la vaccination/)).toHaveFocus());
  });

  it("adds a vaccination without a vaccine name, saves it and says so", async () => {
    put.mockResolvedValue({ data: { items: [{ diseases: ["Coqueluche"], date: "2024-03" }] } });
    const onSaved = vi.fn();
    render(<SectionForm def={vaccinations} espaceId="me" stored={null} onSaved={onSaved} />);
    await userEvent.click(screen.getByRole("button", { name: "Ajouter une vaccination" }));
    const row = screen.getByRole("group", { name: "Vaccination 1" });
    await userEvent.type(within(row).getByLabelText(/^Maladie\(s\)/), "Coqueluche");
    await userEvent.type(within(row).getByLabelText(/^Date de la vaccination/), "2024-03");
    await userEvent.click(screen.getByRole("button", { name: "Enregistrer la section « Vaccinations »" }));
    expect(put.mock.calls[0][1].body).toEqual({ items: [{ diseases: ["Coqueluche"], date: "2024-03" }] });
    expect(await screen.findByText("Section « Vaccinations » enregistrée.")).toBeInTheDocument();
    expect(onSaved).toHaveBeenCalledWith({ items: [{ diseases: ["Coqueluche"], date: "2024-03" }] });
  });
});
