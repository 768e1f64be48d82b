import { execFile } from "node:child_process";
import fs from "node:fs";
import { promisify } from "node:util";
import { E2E } from "./env";

const run = promisify(execFile);

export type Person = {
  nir: string; birth_date: string; vitale_serial: string; first_name: string; last_name: string;
  email: string; mobile: string; department: string; code?: string;
};
export type Holder = Person & { login: string; password: string; espace_id: string };

async function people<T>(...args: string[]): Promise<T> {
  const { stdout } = await run(E2E.python, [E2E.people, ...args], {
    cwd: E2E.root,
    env: { ...process.env, MES_AWS_ENDPOINT: E2E.aws, MES_E2E_API: E2E.api },
    timeout: 90_000,
  });
  const result = JSON.parse(stdout) as T;
  remember(result);
  return result;
}

/** The secrets the suite was given (NIRs, serials, codes, OTPs, passwords, tokens, mobiles) are
 * looked for in the stack's logs after the run (teardown.ts). */
const SECRET_KEYS = new Set(["nir", "vitale_serial", "code", "password", "value", "token", "mobile"]);

function remember(value: unknown): void {
  const strings: string[] = [];
  const walk = (v: unknown, key: string) => {
    if (typeof v === "string" && SECRET_KEYS.has(key) && v.length >= 6) strings.push(v);
    else if (v && typeof v === "object") Object.entries(v).forEach(([k, inner]) => walk(inner, k));
  };
  walk(value, "");
  if (strings.length) fs.appendFileSync(`${E2E.work}/secrets.txt`, strings.join("\n") + "\n");
}

/** A person of the population, notified by the wave: `code` is the one of their e-mail. */
export const newPerson = () => people<Person>("person");
/** A child of `guardian`, notified: its code went to the guardian (read it with lastSent). */
export const newChild = (guardian: Person) => people<Person>("person", "--guardian", guardian.nir, guardian.birth_date);
/** An activated holder (e-mail proven; `mobile` too when asked). */
export const newHolder = (opts: { mobile?: boolean } = {}) => people<Holder>("holder", ...(opts.mobile ? ["--mobile"] : []));
/** The latest `field` (otp, code…) sent to a recipient, read from the outbox. */
export const lastSent = async (to: string, field = "otp") => (await people<{ value: string }>("last", "--to", to, "--field", field)).value;
/** A PS token from the local Pro Santé Connect stand-in. */
export const proToken = async (rpps: string, profession: string, name: string) =>
  (await people<{ token: string }>("pro-token", "--rpps", rpps, "--profession", profession, "--name", name)).token;

/** A call of the professional API (what a PS's software does), JSON in and out. */
export async function pro(token: string, method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${E2E.api}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** What a PS's software does after POST /pro/patients/{ins}/documents: the bytes straight to storage with
 * the presigned POST of the answer (fields first, the file last). */
export async function presignedUpload(upload: { url: string; fields?: Record<string, string> }, bytes: Buffer,
  contentType: string): Promise<void> {
  const form = new FormData();
  for (const [name, value] of Object.entries(upload.fields ?? {})) form.append(name, value);
  form.append("file", new Blob([new Uint8Array(bytes)], { type: contentType }), "document");
  const response = await fetch(upload.url, { method: "POST", body: form });
  if (!response.ok) throw new Error(`upload: ${response.status} ${await response.text()}`);
}

/** A professional deposits a document in a patient's espace (BR-30: no read consent needed) and sends
 * its bytes; the local stack's poller validates it. Returns the document's id. */
export async function proDeposit(token: string, ins: string, doc: { title: string; category: string; bytes: Buffer }):
  Promise<string> {
  const answer = await pro(token, "POST", `/pro/patients/${ins}/documents`, {
    title: doc.title, category: doc.category, filename: "document.pdf", content_type: "application/pdf",
    size: doc.bytes.length,
  });
  await presignedUpload(answer.upload, doc.bytes, "application/pdf");
  return answer.document.id as string;
}
