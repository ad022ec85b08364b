/**
 * Test helper: the client's source as browser ES modules, without a bundler. Every `src/*.ts` is compiled
 * with TypeScript's `transpileModule`, and the ES module of its dependency (openapi-fetch) is read from
 * node_modules; an import map names the dependency. A browser test serves {@link pageModules}' files under
 * one prefix with Playwright's request interception and loads `index.js`, so the page runs the client
 * exactly as written.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import ts from "typescript";

const srcDir = fileURLToPath(new URL("../src/", import.meta.url));

/**
 * The files of a page that loads the client from `prefix` (a path such as `/__test/`): `index.html` (which
 * puts the module on `window.todoClient` and then sets the title to "ready"), the compiled modules, and the
 * dependency's module.
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
  const imports = { "openapi-fetch": `${prefix}openapi-fetch.mjs` };
  files["index.html"] = `<!doctype html><meta charset="utf-8"><title>client test</title>
<script type="importmap">${JSON.stringify({ imports })}</script>
<script type="module">import * as client from "${prefix}index.js"; window.todoClient = client; document.title = "ready";</script>`;
  return files;
}

/** The content type to serve a file of {@link pageModules} with. */
export function contentType(name: string): string {
  return name.endsWith(".html") ? "text/html" : "text/javascript";
}

