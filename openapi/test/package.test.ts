/**
 * The client as another project gets it: `npm pack` (which builds dist/ first, in `prepack`), a
 * fresh project that installs the tarball (without any install-script warning), and then
 *
 * - a short ES module run with plain `node` (no tsx, no loader) against the real server;
 * - the same module bundled by esbuild and run from a folder without node_modules;
 * - a TypeScript consumer type-checked against the installed declarations, with `NodeNext` and
 *   with `Bundler` module resolution (so the types resolve through `exports`).
 *
 * Needs npm and, unless the npm cache already has them, the registry (for openapi-fetch and
 * @simplewebauthn/browser).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";

import { startServer, type RunningServer } from "./server.js";

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const readJson = (file: string): unknown => JSON.parse(readFileSync(join(packageDir, file), "utf8"));
const manifest = readJson("package.json") as { name: string; version: string };
const apiVersion = (readJson("openapi.json") as { info: { version: string } }).info.version;
const tsc = join(packageDir, "node_modules", "typescript", "bin", "tsc");

/** This package's npm script variables, which must not leak into the fresh project's npm. */
const NPM_SCRIPT_VARIABLE = /^(INIT_CWD|npm_package_.*|npm_lifecycle_.*|npm_config_local_prefix)$/i;

/** The environment of the child processes: no loader (NODE_OPTIONS), no npm script variables. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === "NODE_OPTIONS" || NPM_SCRIPT_VARIABLE.test(key)) continue;
    env[key] = value;
  }
  return env;
}

/** What a command printed. */
interface Output {
  stdout: string;
  stderr: string;
}

/** Runs a command; rejects with its output when it fails or takes longer than `timeoutMs`. */
function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<Output> {
  return new Promise((done, fail) => {
    execFile(
      command,
      args,
      { cwd, env: childEnv(), timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (error) {
          const how = error.killed ? `killed after ${timeoutMs} ms` : `exit code ${String(error.code)}`;
          fail(new Error(`\`${command} ${args.join(" ")}\` failed in ${cwd} (${how}):\n${stdout}\n${stderr}`));
        } else {
          done({ stdout, stderr });
        }
      },
    );
  });
}

/** Every file under `dir`, relative to it, with `/` separators. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((entry) => statSync(join(dir, entry)).isFile())
    .map((entry) => entry.split(sep).join("/"))
    .sort();
}

/** What the client script prints (one JSON line). */
interface Outcome {
  email: string;
  signup: number;
  user: string;
  login: number;
  tokenType: string;
  created: number;
  title: string;
  listed: string[];
  me: string;
  anonymous: { status: number; title: string | undefined };
}

/** The consumer: plain JavaScript, as a project without TypeScript writes it. */
const CLIENT_SCRIPT = `import { createSessionClient, createTodoClient, MemoryTokenStore } from "todo-rocket-client";

const baseUrl = process.argv[2];
const email = \`package-\${Date.now()}-\${Math.random().toString(36).slice(2, 8)}@example.com\`;
const password = "correct horse battery";

function must(label, answer) {
  if (answer.error !== undefined || answer.data === undefined) {
    throw new Error(\`\${label}: \${answer.response.status} \${JSON.stringify(answer.error)}\`);
  }
  return answer.data;
}

const api = createTodoClient({ baseUrl });
const signup = await api.POST("/auth/signup", { body: { email, password } });
const user = must("signup", signup);
const login = await api.POST("/auth/login", { body: { email, password } });
const tokens = new MemoryTokenStore(must("login", login));

const session = createSessionClient({ baseUrl, tokens });
const created = await session.POST("/tasks", { body: { title: "Buy milk" } });
must("create", created);
const page = must("list", await session.GET("/tasks", { params: { query: { limit: 10 } } }));

const bearer = createTodoClient({ baseUrl, token: tokens.get().access_token });
const me = must("me", await bearer.GET("/auth/me"));
const anonymous = await api.GET("/tasks");

console.log(JSON.stringify({
  email,
  signup: signup.response.status,
  user: user.email,
  login: login.response.status,
  tokenType: login.data.token_type,
  created: created.response.status,
  title: created.data.title,
  listed: page.items.map((task) => task.title),
  me: me.email,
  anonymous: { status: anonymous.response.status, title: anonymous.error?.title },
}));
`;

/** A TypeScript consumer: compiles only if the declarations resolve and are the real API types. */
const CONSUMER_TS = `import {
  createPasskey,
  createSessionClient,
  createTodoClient,
  finishSecondStepWithPasskey,
  getPasskeyAssertion,
  isSecondStepRequired,
  MemoryTokenStore,
  registerPasskey,
  SECOND_STEP_REQUIRED,
  type AuthenticationResponseJSON,
  type PasskeyCreationOptions,
  type PasskeyOptions,
  type PasskeyRequestOptions,
  type Problem,
  type RegistrationResponseJSON,
  type SecondStepMethod,
  type Task,
  type TaskPage,
  type TodoClient,
  type TokenResponse,
  type TokenStore,
  type VerifyMfaRequest,
} from "todo-rocket-client";

export async function logIn(api: TodoClient, email: string, password: string): Promise<TokenResponse | SecondStepMethod[]> {
  const { data, error } = await api.POST("/auth/login", { body: { email, password } });
  if (isSecondStepRequired(error)) {
    const token: string = error.mfa_token; // narrowed: no longer string | null | undefined
    const type: typeof SECOND_STEP_REQUIRED = error.type;
    void token;
    void type;
    return error.methods;
  }
  if (error) throw new Error(error.title);
  return data;
}

export async function passkey(api: TodoClient, options: PasskeyCreationOptions): Promise<string | undefined> {
  const json: RegistrationResponseJSON = await createPasskey(options);
  const { data, error } = await registerPasskey(api, { name: json.id });
  return data?.factor.id ?? error?.detail ?? undefined;
}

// The second step with a passkey, by hand: the generated routes and bodies take the WebAuthn JSON.
export async function secondStep(api: TodoClient, mfa_token: string): Promise<TokenResponse | undefined> {
  const { data: challenge } = await api.POST("/auth/mfa/passkey/options", { body: { mfa_token } });
  if (!challenge) return undefined;
  const started: PasskeyOptions = challenge;
  const credential: AuthenticationResponseJSON = await getPasskeyAssertion(started.options as unknown as PasskeyRequestOptions);
  const body: VerifyMfaRequest = { mfa_token, credential };
  const { data } = await api.POST("/auth/mfa/verify", { body });
  return data ?? (await finishSecondStepWithPasskey(api, mfa_token)).data;
}

export async function titles(baseUrl: string, token: string): Promise<string[]> {
  const api: TodoClient = createTodoClient({ baseUrl, token });
  const { data, error } = await api.GET("/tasks", { params: { query: { limit: 20, completed: false } } });
  if (error) {
    const problem: Problem = error;
    throw new Error(\`\${problem.status} \${problem.title}\`);
  }
  const page: TaskPage = data;
  return page.items.map((task: Task) => task.title);
}

export function sessionClient(baseUrl: string): TodoClient {
  const tokens: TokenStore = new MemoryTokenStore();
  return createSessionClient({ baseUrl, tokens, onSessionEnded: () => undefined });
}

export async function mistakes(api: TodoClient): Promise<void> {
  // @ts-expect-error: no such path in the API
  await api.GET("/no-such-path");
  // @ts-expect-error: a title is a string
  await api.POST("/tasks", { body: { title: 42 } });
}

// @ts-expect-error: a Task has no such field
export const missing = (task: Task): unknown => task.no_such_field;
`;

/** The strict settings of a front end; only the module options differ between the two checks. */
function consumerTsconfig(module: string, moduleResolution: string): string {
  return JSON.stringify(
    {
      compilerOptions: {
        target: "ES2022",
        lib: ["ES2022", "DOM", "DOM.Iterable"],
        module,
        moduleResolution,
        types: [],
        strict: true,
        skipLibCheck: false,
        noEmit: true,
      },
      files: ["consumer.ts"],
    },
    null,
    2,
  );
}

describe("the packed client in a fresh project", () => {
  let scratch: string;
  let project: string;
  let installed: string;
  let server: RunningServer | undefined;

  before(
    async () => {
      scratch = realpathSync(mkdtempSync(join(tmpdir(), "todo-client-package-")));
      const packDir = join(scratch, "pack");
      mkdirSync(packDir);
      // `prepack` rebuilds dist/ first, so the tarball always holds a fresh build.
      await run("npm", ["pack", "--pack-destination", packDir], packageDir, 300_000);
      const tarballs = readdirSync(packDir).filter((name) => name.endsWith(".tgz"));
      assert.deepEqual(tarballs, [`${manifest.name}-${manifest.version}.tgz`]);

      project = join(scratch, "project");
      mkdirSync(project);
      writeFileSync(
        join(project, "package.json"),
        JSON.stringify({ name: "todo-client-consumer", version: "1.0.0", private: true, type: "module" }, null, 2),
      );
      const install = await run(
        "npm",
        ["install", "--no-audit", "--no-fund", "--prefer-offline", join(packDir, tarballs[0]!)],
        project,
        300_000,
      );
      // npm (11.16 and later) warns about dependencies with install scripts (`prepare` included): there are none.
      assert.doesNotMatch(install.stderr, /install.?scripts|allowScripts/i, install.stderr);
      installed = join(project, "node_modules", manifest.name);
      server = await startServer();
    },
    { timeout: 900_000 },
  );

  after(async () => {
    await server?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  /** Checks what {@link CLIENT_SCRIPT} printed. */
  function assertOutcome(stdout: string): void {
    const outcome = JSON.parse(stdout.trim()) as Outcome;
    assert.deepEqual(outcome, {
      email: outcome.email,
      signup: 201,
      user: outcome.email,
      login: 200,
      tokenType: "bearer",
      created: 201,
      title: "Buy milk",
      listed: ["Buy milk"],
      me: outcome.email,
      anonymous: { status: 401, title: "Unauthorized" },
    });
    assert.match(outcome.email, /^package-.*@example\.com$/);
  }

  test("the tarball holds the build and the declarations, is not private, and has the API's version", () => {
    const files = filesUnder(installed).filter((file) => !file.startsWith("node_modules/"));
    for (const file of ["package.json", "README.md", "dist/index.js", "dist/index.d.ts", "dist/schema.d.ts"]) {
      assert.ok(files.includes(file), `${file} is missing from the package: ${files.join(", ")}`);
    }
    const stray = files.filter((file) => !/^(dist\/|src\/[a-z]+\.ts$|package\.json$|README\.md$)/.test(file));
    assert.deepEqual(stray, [], "only dist/, the sources the maps point at, package.json and README.md are packed");
    for (const map of files.filter((file) => file.endsWith(".js.map"))) {
      const { sources } = JSON.parse(readFileSync(join(installed, map), "utf8")) as { sources: string[] };
      for (const source of sources) {
        const packed = relative(installed, resolve(installed, dirname(map), source)).split(sep).join("/");
        assert.ok(files.includes(packed), `${map} points at ${packed}, which is not packed`);
      }
    }

    const pkg = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as Record<string, unknown>;
    assert.equal(pkg["private"], undefined);
    assert.equal(pkg["version"], apiVersion);
    assert.equal(pkg["type"], "module");
    assert.deepEqual((pkg["exports"] as Record<string, unknown>)["."], {
      types: "./dist/index.d.ts",
      import: "./dist/index.js",
    });
    assert.ok(filesUnder(join(project, "node_modules", "openapi-fetch")).includes("package.json"));
    assert.ok(filesUnder(join(project, "node_modules", "@simplewebauthn", "browser")).includes("package.json"));
  });

  test("plain node runs the installed package against the live server", async () => {
    writeFileSync(join(project, "client.mjs"), CLIENT_SCRIPT);
    assertOutcome((await run(process.execPath, ["client.mjs", server!.baseUrl], project, 60_000)).stdout);
  });

  test("a bundler resolves the package: esbuild's bundle runs without node_modules", async () => {
    writeFileSync(join(project, "client.mjs"), CLIENT_SCRIPT);
    const elsewhere = join(scratch, "bundled");
    mkdirSync(elsewhere);
    const outfile = join(elsewhere, "client.bundle.mjs");
    await build({
      absWorkingDir: project,
      entryPoints: ["client.mjs"],
      bundle: true,
      platform: "node",
      format: "esm",
      outfile,
      logLevel: "silent",
    });
    const bundle = readFileSync(outfile, "utf8");
    const imports = /from\s*["'](todo-rocket-client|openapi-fetch)["']/;
    assert.doesNotMatch(bundle, imports, "the bundle inlines both packages");
    assert.match(bundle, /createSessionClient/);
    assertOutcome((await run(process.execPath, [outfile, server!.baseUrl], elsewhere, 60_000)).stdout);
  });

  for (const [module, moduleResolution] of [
    ["NodeNext", "NodeNext"],
    ["ESNext", "Bundler"],
  ] as const) {
    test(`a TypeScript consumer type-checks against the installed declarations (${moduleResolution})`, async () => {
      writeFileSync(join(project, "consumer.ts"), CONSUMER_TS);
      const config = `tsconfig.${moduleResolution.toLowerCase()}.json`;
      writeFileSync(join(project, config), consumerTsconfig(module, moduleResolution));
      const { stdout: listed } = await run(
        process.execPath,
        [tsc, "-p", config, "--listFiles", "--pretty", "false"],
        project,
        120_000,
      );
      const used = listed
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => line.startsWith(installed))
        .map((line) => relative(installed, line).split(sep).join("/"));
      assert.ok(used.includes("dist/index.d.ts"), `tsc did not read the installed dist/index.d.ts:\n${listed}`);
      assert.ok(used.includes("dist/schema.d.ts"), `tsc did not read the installed dist/schema.d.ts:\n${listed}`);
    });
  }
});
