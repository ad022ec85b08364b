/**
 * Fails when the client's version is not the API's: package.json's `version` (and the copy of
 * it in package-lock.json) must equal `info.version` of openapi.json, which the server takes
 * from the Rust workspace's version (Cargo.toml). So a published client names the API it was
 * generated from.
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(join(packageDir, file), "utf8"));
  } catch (error) {
    console.error(`error: cannot read openapi/${file}: ${(error as Error).message}`);
    process.exit(1);
  }
}

function field(value: unknown, ...path: string[]): unknown {
  let at = value;
  for (const key of path) at = at !== null && typeof at === "object" ? (at as Record<string, unknown>)[key] : undefined;
  return at;
}

const api = field(readJson("openapi.json"), "info", "version");
if (typeof api !== "string" || api === "") {
  console.error("error: openapi/openapi.json has no info.version");
  process.exit(1);
}

const lock = readJson("package-lock.json");
const versions: [string, unknown][] = [
  ["package.json `version`", field(readJson("package.json"), "version")],
  ["package-lock.json `version`", field(lock, "version")],
  ['package-lock.json `packages[""].version`', field(lock, "packages", "", "version")],
];
const wrong = versions.filter(([, version]) => version !== api);
if (wrong.length > 0) {
  console.error(
    [
      `error: the client's version must be the API's: openapi/openapi.json has info.version ${api}, but`,
      ...wrong.map(([where, version]) => `  openapi/${where} is ${JSON.stringify(version)}`),
      "Set it (this updates package.json and package-lock.json) and commit both:",
      `  (cd openapi && npm version ${api} --no-git-tag-version)`,
    ].join("\n"),
  );
  process.exit(1);
}
console.log(`package.json version ${api} is openapi.json's info.version`);
