/**
 * Fails when src/schema.d.ts is not what `npm run generate` makes from openapi.json.
 *
 * Regenerates into a temporary file with the pinned openapi-typescript and the flags of
 * `npm run generate` ({@link FLAGS}, checked against package.json's script) and compares it
 * byte for byte with the committed file, so CI catches a changed openapi.json (for
 * example a renamed response field) whose client types were not regenerated.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const committedPath = join(packageDir, "src", "schema.d.ts");
const cli = join(packageDir, "node_modules", "openapi-typescript", "bin", "cli.js");

/**
 * The options of `npm run generate`. `--empty-objects-unknown`: a schema that is only `{"type": "object"}` (the
 * WebAuthn JSON of the passkey routes' `options` and `credential`) is any JSON object, `Record<string, unknown>`,
 * not openapi-typescript's default `Record<string, never>`, which no credential could be assigned to.
 */
const FLAGS = ["--empty-objects-unknown"];
const GENERATE = `openapi-typescript ./openapi.json ${FLAGS.join(" ")} --output ./src/schema.d.ts`;

const scripts = (JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as { scripts?: Record<string, string> }).scripts;
if (scripts?.["generate"] !== GENERATE) {
  console.error(
    [
      "error: package.json's `generate` script is not the generation this check repeats:",
      `  package.json: ${scripts?.["generate"] ?? "<none>"}`,
      `  expected:     ${GENERATE}`,
      "Change both together (scripts/check-generated.ts has the flags).",
    ].join("\n"),
  );
  process.exit(1);
}

const scratch = mkdtempSync(join(tmpdir(), "todo-client-schema-"));
try {
  const fresh = join(scratch, "schema.d.ts");
  const run = spawnSync(process.execPath, [cli, "./openapi.json", ...FLAGS, "--output", fresh], {
    cwd: packageDir,
    encoding: "utf8",
  });
  if (run.status !== 0) {
    console.error(run.stdout, run.stderr);
    console.error("error: openapi-typescript failed on openapi.json (see above)");
    process.exit(1);
  }
  let committed: string;
  try {
    committed = readFileSync(committedPath, "utf8");
  } catch {
    console.error(`error: ${committedPath} is missing; run \`npm run generate\` in openapi/ and commit it`);
    process.exit(1);
  }
  const expected = readFileSync(fresh, "utf8");
  if (committed !== expected) {
    const a = committed.split("\n");
    const b = expected.split("\n");
    let line = 0;
    while (line < a.length && line < b.length && a[line] === b[line]) line += 1;
    console.error(
      [
        "error: openapi/src/schema.d.ts is stale: it is not what openapi-typescript generates from openapi/openapi.json.",
        `first difference at line ${line + 1}:`,
        `  committed: ${a[line] ?? "<end of file>"}`,
        `  generated: ${b[line] ?? "<end of file>"}`,
        "Regenerate and commit both files:",
        "  cargo run -p todo-rocket -- openapi > openapi/openapi.json   # from the repository root",
        "  (cd openapi && npm run generate)",
      ].join("\n"),
    );
    process.exit(1);
  }
  console.log("src/schema.d.ts is up to date with openapi.json");
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
