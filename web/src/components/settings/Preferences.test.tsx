/**
 * The preferences of WEB.md 12: SMS offered only with a proven mobile (the API's `otp_channels`), each
 * change sent alone and confirmed, a refused change put back with the API's French error next to it.
 */
import { fakeApi, json } from "../../test/fakeApi"; // first: it installs the fake fetch the client keeps
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Preferences } from "./Preferences";

const settings = {
  emergency: { samu: true, break_glass: true, masked_documents: false },
  documents_masked_by_default: false,
  otp_channel: "email",
  otp_channels: ["email"],
  notifications: { documents: true, messages: true, accesses: true },
};

afterEach(cleanup);

describe("the preferences", () => {
  it("offers SMS only with a proven mobile", async () => {
    fakeApi.reset(() => json(200, settings));
    render(<Preferences espaceId="e1" own />);
    expect(await screen.findByLabelText("E-mail")).toBeChecked();
    expect(screen.getByLabelText("SMS")).toBeDisabled();
    expect(screen.getByText(/Le SMS n’est possible qu’avec un numéro de téléphone portable vérifié/)).toBeVisible();
  });

  it("hides the code channel on a child's espace (the guardian logs in with their own codes)", async () => {
    fakeApi.reset(() => json(200, settings));
    render(<Preferences espaceId="child-1" own={false} />);
    expect(await screen.findByLabelText(/^Nouveaux documents/)).toBeChecked();
    expect(screen.queryByLabelText("SMS")).toBeNull();
    expect(fakeApi.calls[0].path).toBe("/api/espaces/child-1/settings");
  });

  it("sends one change at a time and confirms it", async () => {
    fakeApi.reset((request, body) => request.method === "PATCH"
      ? json(200, { ...settings, notifications: { ...settings.notifications, ...JSON.parse(body).notifications } })
      : json(200, settings));
    const user = userEvent.setup();
    render(<Preferences espaceId="e1" own />);
    await user.click(await screen.findByLabelText(/^Nouveaux messages/));
    expect(await screen.findByText("Notifications « Nouveaux messages » désactivées.")).toBeVisible();
    expect(screen.getByLabelText(/^Nouveaux messages/)).not.toBeChecked();
    const patch = fakeApi.calls.find((c) => c.method === "PATCH");
    expect(JSON.parse(patch!.body)).toEqual({ notifications: { messages: false } });
  });

  it("puts a refused change back and says why next to the field", async () => {
    const withSms = { ...settings, otp_channels: ["email", "sms"] };
    fakeApi.reset((request) => request.method === "PATCH"
      ? json(400, { type: "about:blank", title: "Bad Request", status: 400, code: "validation_error",
        detail: "Aucun numéro de mobile vérifié : le code ne peut pas être envoyé par SMS.", field: "otp_channel" })
      : json(200, withSms));
    const user = userEvent.setup();
    render(<Preferences espaceId="e1" own />);
    await user.click(await screen.findByLabelText("SMS"));
    expect(await screen.findByText("Aucun numéro de mobile vérifié : le code ne peut pas être envoyé par SMS."))
      .toBeVisible();
    expect(screen.getByLabelText("E-mail")).toBeChecked();
    expect(screen.getByLabelText("SMS")).not.toBeChecked();
  });
});
