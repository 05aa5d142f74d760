// The checked-in declarations (types/) are what tsc makes of src/'s JSDoc now, and a
// TypeScript program using the package type-checks against them. Run by `npm test`;
// `npm run types` regenerates types/.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
const scratch = mkdtempSync(join(tmpdir(), "switchboard-types-"));
try {
  execFileSync(process.execPath, [tsc, "-p", "tsconfig.json", "--outDir", scratch], { cwd: root, stdio: "inherit" });
  const fresh = readdirSync(scratch).sort();
  const kept = readdirSync(join(root, "types")).sort();
  const stale = [...new Set([...fresh, ...kept])].filter((name) =>
    !fresh.includes(name) || !kept.includes(name) ||
    readFileSync(join(scratch, name), "utf8") !== readFileSync(join(root, "types", name), "utf8"));
  if (stale.length) {
    console.error(`types/ is out of date with src/ (${stale.join(", ")}): run \`npm run types\` and commit types/`);
    process.exit(1);
  }
  execFileSync(process.execPath, [tsc, "-p", "test/types/tsconfig.json"], { cwd: root, stdio: "inherit" });
  console.log(`types: ${kept.length} declaration files up to date; test/types/usage.ts type-checks`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
