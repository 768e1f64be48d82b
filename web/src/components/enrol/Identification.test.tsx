import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Identification } from "./Identification";
import { IDENTITY_MESSAGES } from "./identity";

afterEach(cleanup);

const problem = (status: number, code: string, detail: string, field?: string) =>
  ({ type: "about:blank", title: "x", status, code, detail, ...(field ? { field } : {}) });

async function submit(onIdentified: Parameters<typeof Identification>[0]["onIdentified"]) {
  render(<Identification onIdentified={onIdentified} />);
  const user = userEvent.setup();
  await user.type(screen.getByLabelText(/^Numéro de sécurité sociale/), "2 88 05 2a 004 123 53");
  await user.type(screen.getByLabelText(/^Date de naissance/), "1988-05-14");
  await user.type(screen.getByLabelText(/^Numéro de série de la carte Vitale/), "0915 1234 5678 901");
  await user.type(screen.getByLabelText(/^Code provisoire/), "aB3dE5gH7jK9");
  await user.click(screen.getByRole("button", { name: "Continuer" }));
}

describe("Identification (WEB.md 2)", () => {
  it("sends the NIR and serial without spaces; a 401 is one message for the form, beside no field", async () => {
    const onIdentified = vi.fn(async () => ({
      error: problem(401, "invalid_credentials", "Les informations saisies ne permettent pas de vous identifier."),
    }));
    await submit(onIdentified);
    expect(onIdentified).toHaveBeenCalledWith({ nir: "288052A00412353", birth_date: "1988-05-14",
      vitale_serial: "091512345678901", code: "aB3dE5gH7jK9" });
    expect(await screen.findByRole("alert")).toHaveTextContent("ne permettent pas de vous identifier");
    for (const label of [/^Numéro de sécurité sociale/, /^Numéro de série/, /^Code provisoire/]) {
      expect(screen.getByLabelText(label)).not.toHaveAttribute("aria-invalid", "true");
      expect(screen.getByLabelText(label).getAttribute("aria-describedby") ?? "").not.toMatch(/desc-error/);
    }
  });

  it("a field the API names gets its message beside it, in words the holder understands", async () => {
    await submit(async () => ({ error: problem(400, "validation_error", "Format invalide pour le champ « vitale_serial ».", "vitale_serial") }));
    const serial = screen.getByLabelText(/^Numéro de série de la carte Vitale/);
    await screen.findByText(IDENTITY_MESSAGES.vitale_serial);
    expect(serial).toHaveAccessibleDescription(IDENTITY_MESSAGES.vitale_serial);
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("a code expired (410) or used (409) reads in French for the form", async () => {
    await submit(async () => ({ error: problem(410, "code_expired", "Ce code provisoire a expiré. Demandez un nouveau code.") }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Ce code provisoire a expiré");
  });
});
