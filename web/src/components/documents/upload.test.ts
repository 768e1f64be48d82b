import { describe, expect, it } from "vitest";
import { checkFile, contentTypeOf, sendToStorage, UploadFailed } from "./upload";

const file = (name: string, size: number, type: string) => new File([new Uint8Array(size)], name, { type });

describe("checks before the upload (BR-23; the server remains the judge)", () => {
  it("takes the accepted types, by the browser's type or else the extension", () => {
    expect(contentTypeOf(file("bilan.pdf", 10, "application/pdf"))).toBe("application/pdf");
    expect(contentTypeOf(file("scan.TIF", 10, ""))).toBe("image/tiff");
    expect(contentTypeOf(file("notes.rtf", 10, "application/octet-stream"))).toBe("application/rtf");
    expect(contentTypeOf(file("setup.exe", 10, "application/x-msdownload"))).toBeNull();
    expect(contentTypeOf(file("archive.zip", 10, ""))).toBeNull();
  });

  it("says in French what is wrong: no file, empty, over 5 MB, type", () => {
    expect(checkFile(null)).toBe("Choisissez le fichier à ajouter.");
    expect(checkFile(file("a.pdf", 0, "application/pdf"))).toBe("Le fichier est vide.");
    expect(checkFile(file("a.pdf", 5_000_001, "application/pdf"))).toMatch(/dépasse 5 Mo/);
    expect(checkFile(file("a.pdf", 5_000_000, "application/pdf"))).toBeNull();
    expect(checkFile(file("a.docx", 10, "application/vnd.openxmlformats-officedocument.wordprocessingml.document")))
      .toMatch(/^Type de fichier non accepté/);
  });
});

/** A stand-in for XMLHttpRequest that records what is sent and answers as told. */
function fakeXhr(status: number | "network") {
  const sent: { method?: string; url?: string; body?: unknown } = {};
  class Fake {
    status = 0;
    upload: { onprogress: ((e: Partial<ProgressEvent>) => void) | null } = { onprogress: null };
    onload: (() => void) | null = null;
    onerror: (() => void) | null = null;
    onabort: (() => void) | null = null;
    ontimeout: (() => void) | null = null;
    open(method: string, url: string) { Object.assign(sent, { method, url }); }
    setRequestHeader() {}
    send(body: unknown) {
      sent.body = body;
      this.upload.onprogress?.({ lengthComputable: true, loaded: 50, total: 100 });
      if (status === "network") return this.onerror?.();
      this.status = status;
      this.onload?.();
    }
  }
  return { Xhr: Fake as unknown as typeof XMLHttpRequest, sent };
}

describe("the upload straight to storage", () => {
  const ticket = { method: "POST", url: "https://store.example/bucket", fields: { key: "documents/e/d", policy: "p" }, expires_in: 300 };

  it("posts the ticket's fields then the file, and reports the progress", async () => {
    const { Xhr, sent } = fakeXhr(204);
    const seen: number[] = [];
    await sendToStorage(ticket, file("a.pdf", 10, "application/pdf"), (p) => seen.push(p), Xhr);
    expect(sent.method).toBe("POST");
    expect(sent.url).toBe(ticket.url);
    const form = sent.body as FormData;
    expect([...form.keys()]).toEqual(["key", "policy", "file"]);
    expect(seen).toEqual([50, 100]);
  });

  it("fails on a refusal of storage or a network failure, so the page can offer Réessayer", async () => {
    for (const status of [403, "network"] as const) {
      const { Xhr } = fakeXhr(status);
      await expect(sendToStorage(ticket, file("a.pdf", 10, "application/pdf"), () => {}, Xhr)).rejects.toBeInstanceOf(UploadFailed);
    }
  });
});
