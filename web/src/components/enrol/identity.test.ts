import { describe, expect, it } from "vitest";
import { compactNir, explained, identityBody, IDENTITY_MESSAGES } from "./identity";
import { passwordMessages, passwordRules } from "./password";

describe("identification values", () => {
  it("takes the NIR with or without spaces, Corsica in lower case", () => {
    expect(compactNir("2 88 05 2a 004 123 53")).toBe("288052A00412353");
    expect(identityBody({ nir: " 1 85 05 78 006 084 91 ", birth_date: "1985-05-01", vitale_serial: "0915 1234 5678 901" }))
      .toEqual({ nir: "185057800608491", birth_date: "1985-05-01", vitale_serial: "091512345678901" });
  });

  it("replaces the API's generic format message by what the field expects, keeps specific ones", () => {
    const errors = explained({ fields: { vitale_serial: "Format invalide pour le champ « vitale_serial »." }, form: null },
      IDENTITY_MESSAGES);
    expect(errors.fields.vitale_serial).toBe(IDENTITY_MESSAGES.vitale_serial);
    const specific = explained({ fields: { nir: "Le NIR est invalide (15 caractères, clé de contrôle)." }, form: null },
      IDENTITY_MESSAGES);
    expect(specific.fields.nir).toBe("Le NIR est invalide (15 caractères, clé de contrôle).");
  });
});

describe("password rules as typed (BR-13)", () => {
  it("reads each rule valid or in error, the API's message added", () => {
    expect(passwordRules("aaaa", "camille.s").map((r) => r.met)).toEqual([false, false, true]);
    expect(passwordRules("ma phrase camille.s 2026", "camille.s").map((r) => r.met)).toEqual([true, true, false]);
    expect(passwordMessages("", "x").every((m) => m.severity === "info")).toBe(true);
    const withApi = passwordMessages("une phrase de passe", "camille.s", "Ce mot de passe est trop simple.");
    expect(withApi.map((m) => m.severity)).toEqual(["valid", "valid", "valid", "error"]);
  });
});
