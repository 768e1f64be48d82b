import { describe, expect, it } from "vitest";
import { formErrors, noErrors } from "./problem";
import type { Problem } from "./client";

const problem = (field: string | null, detail = "Date invalide."): Problem =>
  ({ type: "about:blank", title: "Bad Request", status: 400, code: "validation_error", detail, field });

describe("formErrors: the API's problem+json next to the field it names", () => {
  it("puts a top-level field's message on that field, none on the form", () => {
    expect(formErrors(problem("birth_date"))).toEqual({ fields: { birth_date: "Date invalide." }, form: null });
  });

  it("knows a nested field by its whole path and by its top-level field", () => {
    const errors = formErrors(problem("vaccinations.0.date"));
    expect(errors.fields["vaccinations.0.date"]).toBe("Date invalide.");
    expect(errors.fields.vaccinations).toBe("Date invalide.");
    expect(errors.form).toBeNull();
  });

  it("reads the bracket form a.0.b and a[0].b alike", () => {
    expect(formErrors(problem("a[0].b")).fields).toEqual({ a: "Date invalide.", "a.0.b": "Date invalide." });
  });

  it("gives a problem without a field to the whole form, in French as the API wrote it", () => {
    expect(formErrors(problem(null, "Trop de tentatives."))).toEqual({ fields: {}, form: "Trop de tentatives." });
    expect(formErrors(null)).toBe(noErrors);
  });
});
