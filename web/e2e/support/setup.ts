import fs from "node:fs";
import { E2E } from "./env";

/** Before the suite: a fresh record of the values to look for in the logs. */
export default function setup(): void {
  fs.mkdirSync(E2E.work, { recursive: true });
  fs.writeFileSync(`${E2E.work}/secrets.txt`, "");
}
