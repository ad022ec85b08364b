// A real OpenID Provider for the tests of "sign in with an identity provider": panva's oidc-provider (a certified
// OP) with two static clients, accounts made by the login itself, and two test-only twists: ID tokens with one
// claim broken on purpose (per account, "tamper") and a key rotation on request. See README.md beside this file.
//
// Started as `node provider.mjs [--port N]` (or PORT=N; 0, the default, picks a free port), always on 127.0.0.1.
// When ready it prints one line to stdout, `{"issuer":"http://127.0.0.1:PORT"}`, and nothing else there (logs go
// to stderr). It exits when its stdin closes, so a test process that dies takes its provider with it, and on
// SIGTERM/SIGINT.

import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

import { Provider, errors } from 'oidc-provider';
import { SignJWT, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';

const HOST = '127.0.0.1';

// Stdout carries the one "ready" line and nothing else: oidc-provider's notices (console.log/info) go to stderr.
const printReady = (line) => process.stdout.write(`${line}\n`);
console.log = console.error;
console.info = console.error;
console.debug = console.error;
// A reader that stopped reading after the ready line must not crash us.
process.stdout.on('error', () => {});

const { values: args } = parseArgs({
  options: { port: { type: 'string', default: process.env.PORT ?? '0' } },
});

const log = (...parts) => console.error('[oidc-provider]', ...parts);

// The signing keys, made at start so that this file holds their private halves: the tamper middleware re-signs
// ID tokens with them. Only `first` is handed to oidc-provider; `second` stays unpublished until /test/rotate-keys,
// and `neverPublished` never appears in the JWKS at all.
async function signingKey(kid) {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  const jwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  const { d, p, q, dp, dq, qi, ...publicJwk } = jwk;
  return { kid, privateKey, jwk, publicJwk };
}

const [first, second, neverPublished] = await Promise.all([
  signingKey(`first-${randomBytes(4).toString('hex')}`),
  signingKey(`second-${randomBytes(4).toString('hex')}`),
  signingKey('never-published'),
]);
let rotated = false;
const currentKey = () => (rotated ? second : first);

// Accounts, keyed by `sub`, made or replaced by each login: { sub, email, email_verified, name?, tamper? }.
const accounts = new Map();

const TAMPERS = new Set(['aud', 'expired', 'nonce', 'iss', 'unknown-key', 'userinfo-email']);

// Reads an account from the login_hint (a URL-encoded query string) or from the login form's fields.
function accountFrom(params) {
  const sub = params.get('sub')?.trim();
  const email = params.get('email')?.trim();
  if (!sub || !email) {
    throw new errors.InvalidRequest('an account needs `sub` and `email`');
  }
  const tamper = params.get('tamper') || undefined;
  if (tamper !== undefined && !TAMPERS.has(tamper)) {
    throw new errors.InvalidRequest(`unknown tamper "${tamper}"; one of ${[...TAMPERS].join(', ')}`);
  }
  const verified = params.get('email_verified');
  return {
    sub,
    email,
    // The scripted login says true/false; the HTML form's checkbox sends "on" when checked and nothing otherwise.
    email_verified: verified === 'true' || verified === 'on' || verified === '1',
    name: params.get('name') || undefined,
    tamper,
  };
}

// The servers under test listen on random ports, under any base path, and name their provider freely, so their
// redirect URIs cannot be registered ahead. oidc-provider compares redirect URIs by exact string (as OpenID Connect
// Core §3.1.2.1 demands; for native clients it ignores only the loopback port, RFC 8252 §7.3), and its supported
// way to change that is overriding `Client.prototype.redirectUriAllowed` (panva/node-oidc-provider#249 and the
// projects that follow it). We loosen it for our two test clients only, and only to loopback HTTP callbacks
// shaped like the server's route: http://127.0.0.1:<port>/…/auth/oidc/<name>/callback (or localhost).
const TEST_CLIENTS = new Set(['todo-confidential', 'todo-public']);
const CALLBACK = /^http:\/\/(127\.0\.0\.1|localhost):\d{1,5}(\/[^?#]*)?\/auth\/oidc\/[^/?#]+\/callback$/u;

// A registered redirect URI is still required by the client metadata; this one stands for the pattern above.
const PLACEHOLDER_REDIRECT = 'http://127.0.0.1:9/auth/oidc/placeholder/callback';

const server = createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(Number(args.port), HOST, resolve);
});
const issuer = `http://${HOST}:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'todo-confidential',
      client_secret: 'todo-confidential-secret',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [PLACEHOLDER_REDIRECT],
    },
    {
      client_id: 'todo-public',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [PLACEHOLDER_REDIRECT],
    },
  ],
  // PKCE for every client, not only public ones (oidc-provider's default); S256 is the only method it offers.
  pkce: { required: () => true },
  responseTypes: ['code'],
  scopes: ['openid', 'email', 'profile'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  // The server under test reads email and email_verified from the ID token, not from the userinfo endpoint, so the
  // ID token carries every claim its scopes grant (by default oidc-provider leaves them to userinfo when an access
  // token is issued too).
  conformIdTokenClaims: false,
  // Fixed lifetimes, in seconds (the defaults work too, but say so on every use): long enough for a slow test.
  ttl: { AccessToken: 3600, AuthorizationCode: 120, Grant: 3600, IdToken: 3600, Interaction: 600, Session: 3600 },
  // Refresh tokens are not part of this sign-in; none are issued.
  issueRefreshToken: () => false,
  jwks: { keys: [first.jwk] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  features: {
    devInteractions: { enabled: false },
    // Registration, revocation and the rest stay at their defaults (off) or are harmless.
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(_ctx, sub) {
    const account = accounts.get(sub);
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        const { tamper, ...claims } = account;
        return claims;
      },
    };
  },
  async renderError(ctx, out, error) {
    log('error page:', out, error?.stack ?? error);
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><title>oidc-provider error</title><h1>oidc-provider error</h1><pre id="error">${
      escapeHtml(JSON.stringify(out, null, 2))}</pre>`;
  },
});

const { redirectUriAllowed } = provider.Client.prototype;
provider.Client.prototype.redirectUriAllowed = function redirectUriAllowedForTests(value) {
  if (TEST_CLIENTS.has(this.clientId) && CALLBACK.test(value)) {
    return true;
  }
  return redirectUriAllowed.call(this, value);
};

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/gu, (c) => `&#${c.charCodeAt(0)};`);
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new errors.InvalidRequest('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// Signs the user in as `account` and grants every scope the client asked for: consent is not under test here.
async function finishLogin(ctx, details, account) {
  accounts.set(account.sub, account);
  const grant = new provider.Grant({ accountId: account.sub, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  log(`login: ${account.sub} <${account.email}>${account.tamper ? ` tamper=${account.tamper}` : ''}`);
  await provider.interactionFinished(
    ctx.req,
    ctx.res,
    { login: { accountId: account.sub }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
  ctx.respond = false;
}

function loginPage(uid, clientId) {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in to the test provider</title></head>
<body>
<h1>Sign in to the test provider</h1>
<p>Signing in for <code>${escapeHtml(clientId)}</code>.</p>
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
  <p><label for="sub">Username</label> <input id="sub" name="sub" required autofocus></p>
  <p><label for="email">Email</label> <input id="email" name="email" type="email" required></p>
  <p><input id="email_verified" name="email_verified" type="checkbox" checked>
     <label for="email_verified">Email verified</label></p>
  <p><button type="submit">Sign in</button></p>
</form>
</body>
</html>`;
}

// The interaction routes (our login and consent) and the test-only routes, before oidc-provider's own.
provider.use(async (ctx, next) => {
  if (ctx.method === 'POST' && ctx.path === '/test/rotate-keys') {
    rotated = true;
    log(`keys rotated: now signing with ${second.kid}`);
    ctx.status = 204;
    return;
  }

  const interaction = /^\/interaction\/([^/]+)(\/login)?$/u.exec(ctx.path);
  if (!interaction) {
    await next();
    return;
  }
  ctx.set('cache-control', 'no-store');
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== interaction[1]) {
    throw new errors.InvalidRequest('interaction mismatch');
  }

  if (ctx.method === 'GET' && !interaction[2]) {
    const hint = details.params.login_hint;
    if (hint) {
      await finishLogin(ctx, details, accountFrom(new URLSearchParams(hint)));
      return;
    }
    ctx.type = 'html';
    ctx.body = loginPage(details.uid, details.params.client_id);
    return;
  }
  if (ctx.method === 'POST' && interaction[2]) {
    await finishLogin(ctx, details, accountFrom(await readForm(ctx.req)));
    return;
  }
  ctx.status = 405;
});

// Rewrites the token endpoint's ID token after oidc-provider made it: re-signed with the current key once keys
// were rotated, and with one claim broken for an account that asked for it. The JWKS endpoint publishes the
// second key only after the rotation.
provider.use(async (ctx, next) => {
  await next();
  const route = ctx.oidc?.route;

  if (route === 'jwks' && rotated && ctx.status === 200) {
    ctx.body = { keys: [second.publicJwk, first.publicJwk] };
    return;
  }

  if (route !== 'token' || ctx.status !== 200 || typeof ctx.body?.id_token !== 'string') {
    return;
  }
  const header = decodeProtectedHeader(ctx.body.id_token);
  const claims = decodeJwt(ctx.body.id_token);
  const tamper = accounts.get(claims.sub)?.tamper;
  if (!tamper && !rotated) {
    return;
  }

  let key = currentKey();
  const now = Math.floor(Date.now() / 1000);
  switch (tamper) {
    case 'aud':
      claims.aud = 'someone-else';
      break;
    case 'expired':
      // Both well past any clock leeway a verifier allows.
      claims.exp = now - 3600;
      claims.iat = claims.exp - 300;
      if (claims.auth_time) claims.auth_time = claims.iat;
      break;
    case 'nonce':
      claims.nonce = 'not-the-nonce';
      break;
    case 'iss':
      claims.iss = 'http://evil.example';
      break;
    case 'unknown-key':
      key = neverPublished;
      break;
    case 'userinfo-email':
      // Not a fault: a provider that asserts the email at its userinfo endpoint only (the ID token leaves it out).
      delete claims.email;
      delete claims.email_verified;
      break;
    default:
      break;
  }
  ctx.body = {
    ...ctx.body,
    id_token: await new SignJWT(claims).setProtectedHeader({ ...header, kid: key.kid }).sign(key.privateKey),
  };
});

provider.on('server_error', (_ctx, error) => log('server_error:', error?.stack ?? error));

server.on('request', provider.callback());

function shutDown(why) {
  log(`stopping: ${why}`);
  server.closeAllConnections?.();
  server.close();
  process.exit(0);
}
process.stdin.on('end', () => shutDown('stdin closed'));
process.stdin.on('error', () => shutDown('stdin error'));
process.stdin.resume();
process.on('SIGTERM', () => shutDown('SIGTERM'));
process.on('SIGINT', () => shutDown('SIGINT'));

printReady(JSON.stringify({ issuer }));
log(`ready at ${issuer}`);
