/**
 * Test helper: the client's source as browser ES modules, without a bundler. Every `src/*.ts` is compiled
 * with TypeScript's `transpileModule`, and the ES modules of its dependencies (openapi-fetch,
 * @simplewebauthn/browser) are read from node_modules; an import map names the dependencies. A browser test
 * serves {@link pageModules}' files under one prefix with Playwright's request interception and loads
 * `index.js`, so the page runs the client exactly as written.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";

import ts from "typescript";

const srcDir = fileURLToPath(new URL("../src/", import.meta.url));

/** Every file under `dir`, relative to it, with `/` separators. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).map((entry) => entry.split(sep).join("/"));
}

/**
 * The files of a page that loads the client from `prefix` (a path such as `/__test/`): `index.html` (which
 * puts the module on `window.todoClient` and then sets the title to "ready"), the compiled modules, and the
 * dependencies' modules.
 */
export function pageModules(prefix: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(srcDir)) {
    if (!name.endsWith(".ts") || name.endsWith(".d.ts")) continue;
    const source = readFileSync(join(srcDir, name), "utf8");
    files[name.replace(/\.ts$/, ".js")] = ts.transpileModule(source, {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022, verbatimModuleSyntax: true },
    }).outputText;
  }
  const require = createRequire(import.meta.url);
  files["openapi-fetch.mjs"] = readFileSync(require.resolve("openapi-fetch").replace(/index\.c?js$/, "index.mjs"), "utf8");
  // @simplewebauthn/browser's ES modules import each other by relative paths: serve its esm/ folder as it is.
  const simpleWebAuthn = dirname(fileURLToPath(import.meta.resolve("@simplewebauthn/browser"))); // its esm/
  for (const file of filesUnder(simpleWebAuthn).filter((file) => file.endsWith(".js"))) {
    files[`simplewebauthn/${file}`] = readFileSync(join(simpleWebAuthn, ...file.split("/")), "utf8");
  }
  const imports = {
    "openapi-fetch": `${prefix}openapi-fetch.mjs`,
    "@simplewebauthn/browser": `${prefix}simplewebauthn/index.js`,
  };
  files["index.html"] = `<!doctype html><meta charset="utf-8"><title>client test</title>
<script type="importmap">${JSON.stringify({ imports })}</script>
<script type="module">import * as client from "${prefix}index.js"; window.todoClient = client; document.title = "ready";</script>`;
  return files;
}

/** The content type to serve a file of {@link pageModules} with. */
export function contentType(name: string): string {
  return name.endsWith(".html") ? "text/html" : "text/javascript";
}

