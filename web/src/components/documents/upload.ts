/**
 * The file's journey from the browser straight to storage (BR-23): checks before anything is sent,
 * then the presigned request of POST /espaces/{id}/documents, sent with XMLHttpRequest because
 * fetch reports no upload progress. The server remains the judge (real size, magic bytes, malware).
 */
import type { Schemas } from "../../api/client";

export const MAX_BYTES = 5_000_000; // BR-23, for holders

const BY_EXTENSION: Record<string, string> = {
  pdf: "application/pdf", txt: "text/plain", rtf: "application/rtf", jpg: "image/jpeg", jpeg: "image/jpeg",
  png: "image/png", tif: "image/tiff", tiff: "image/tiff",
};
const ACCEPTED = new Set([...Object.values(BY_EXTENSION), "text/rtf"]);

/** For the file chooser: what it offers first (the check below still applies). */
export const ACCEPT = [...Object.keys(BY_EXTENSION).map((e) => `.${e}`), ...ACCEPTED].join(",");

/** The content type to declare, from the browser's own type or, when it has none, the extension;
 * null when the file is of a type the service does not take. */
export function contentTypeOf(file: File): string | null {
  if (file.type && ACCEPTED.has(file.type)) return file.type;
  if (file.type && file.type !== "application/octet-stream") return null;
  const extension = file.name.includes(".") ? file.name.split(".").pop()!.toLowerCase() : "";
  return BY_EXTENSION[extension] ?? null;
}

/** What is wrong with the chosen file, in French, before it is sent; null when it may go. */
export function checkFile(file: File | null): string | null {
  if (!file) return "Choisissez le fichier à ajouter.";
  if (file.size === 0) return "Le fichier est vide.";
  if (file.size > MAX_BYTES) return "Le fichier dépasse 5 Mo (5 000 000 octets au plus).";
  if (!contentTypeOf(file)) return "Type de fichier non accepté : PDF, texte, RTF, JPEG, PNG ou TIFF.";
  return null;
}

export class UploadFailed extends Error {}

/** Sends the file with the presigned ticket; `onProgress` gets 0..100. Resolves when storage took it. */
export function sendToStorage(upload: Schemas["Upload"], file: File, onProgress: (percent: number) => void,
  Xhr: typeof XMLHttpRequest = XMLHttpRequest): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new Xhr();
    xhr.open(upload.method, upload.url);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(Math.round((event.loaded / event.total) * 100));
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(100);
        resolve();
      } else reject(new UploadFailed(`storage answered ${xhr.status}`));
    };
    xhr.onerror = () => reject(new UploadFailed("network"));
    xhr.onabort = () => reject(new UploadFailed("aborted"));
    xhr.ontimeout = () => reject(new UploadFailed("timeout"));
    if (upload.method === "POST") {
      const form = new FormData();
      for (const [name, value] of Object.entries(upload.fields ?? {})) form.append(name, value);
      form.append("file", file); // last: storage ignores the fields after the file
      xhr.send(form);
    } else {
      for (const [name, value] of Object.entries(upload.headers ?? {})) xhr.setRequestHeader(name, value);
      xhr.send(file);
    }
  });
}
