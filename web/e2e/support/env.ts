import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../../..");
const base = Number(process.env.MES_E2E_PORT_BASE ?? 18000);

/** Where the stack under test listens: ports of its own (MES_E2E_PORT_BASE), beside `make run`. */
export const E2E = {
  root,
  python: path.join(root, ".venv/bin/python"),
  people: path.join(root, "web/e2e/support/people.py"),
  aws: `http://127.0.0.1:${base}`,
  apiPort: base + 1,
  webPort: base + 2,
  api: `http://127.0.0.1:${base + 1}`,
  web: `http://127.0.0.1:${base + 2}/`,
  screenshots: path.join(root, "web/screenshots"),
  results: path.join(root, "web/test-results"),
  /** The stack's log and the values to look for in it (the leak scan of teardown.ts). */
  work: path.join(root, "web/.e2e"),
};
