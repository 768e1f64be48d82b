import { execFileSync } from "node:child_process";
import { E2E } from "./env";

/** After the suite: no secret the suite used appears in the stack's logs (scan_logs.py). */
export default function teardown(): void {
  const out = execFileSync(E2E.python, [`${E2E.root}/web/e2e/support/scan_logs.py`], { encoding: "utf-8" });
  process.stdout.write(out);
}
