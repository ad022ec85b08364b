/**
 * `npm run build` (and `prepack`, so `npm pack` and `npm publish` pack a fresh build):
 * compiles src/ to dist/ as ES modules with declarations, from a clean dist/.
 *
 * tsc does not emit `.d.ts` inputs, so the generated src/schema.d.ts is copied next to the
 * emitted dist/index.d.ts, whose `import type ... from "./schema.js"` resolves to it.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(packageDir, "dist");
const tsc = join(packageDir, "node_modules", "typescript", "bin", "tsc");

if (!existsSync(tsc)) {
  console.error(`error: ${tsc} is missing; run \`npm ci\` in openapi/ first`);
  process.exit(1);
}

rmSync(dist, { recursive: true, force: true });
const run = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: packageDir, stdio: "inherit" });
if (run.status !== 0) {
  console.error("error: tsc -p tsconfig.build.json failed (see above)");
  process.exit(1);
}
copyFileSync(join(packageDir, "src", "schema.d.ts"), join(dist, "schema.d.ts"));

for (const file of ["index.js", "index.d.ts", "schema.d.ts"]) {
  if (!existsSync(join(dist, file))) {
    console.error(`error: the build did not produce dist/${file}`);
    process.exit(1);
  }
}
console.log("built dist/ (index.js, index.d.ts, schema.d.ts, and their maps)");
