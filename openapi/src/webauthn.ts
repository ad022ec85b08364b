/**
 * The browser's half of a passkey ceremony: the server's WebAuthn options (JSON, binary fields as
 * unpadded base64url) in, `navigator.credentials.create()` or `.get()`, and the credential out as the
 * JSON to post back (the shape of `PublicKeyCredential.toJSON()`).
 *
 * Where the browser has the WebAuthn Level 3 JSON methods (`PublicKeyCredential.parseCreationOptionsFromJSON`,
 * `parseRequestOptionsFromJSON` and `toJSON()`: Chromium 129, Firefox 119, Safari 18.4 and later), they do
 * the conversion. Elsewhere {@link https://simplewebauthn.dev/docs/packages/browser | @simplewebauthn/browser}
 * does it (`startRegistration`, `startAuthentication`); it is loaded only then, with a dynamic import, so a
 * bundler splits it off and a current browser never fetches it.
 *
 * Both ways, a refusal rejects with an `Error` whose `name` is the WebAuthn one: `NotAllowedError` (the user
 * closed the prompt, or it timed out), `InvalidStateError` (this authenticator already holds a passkey of the
 * account), `SecurityError` (the relying party does not match this page's origin), `NotSupportedError`,
 * `AbortError`.
 *
 * @packageDocumentation
 */
import type * as SimpleWebAuthn from "@simplewebauthn/browser";

/*
 * The WebAuthn Level 3 JSON encodings (https://www.w3.org/TR/webauthn-3/#sctn-parseCreationOptionsFromJSON and
 * `toJSON()`): every binary field is an unpadded base64url string. Written here as plain JSON, so that they
 * travel through the typed client unchanged; @simplewebauthn/browser's types of the same names describe the
 * same wire format. The two responses are type aliases, not interfaces: the generated request bodies type
 * `credential` as a JSON object (`Record<string, unknown>`), and only a type alias is assignable to that.
 */

/** A credential named by id (base64url), as `excludeCredentials` and `allowCredentials` list them. */
export interface PublicKeyCredentialDescriptorJSON {
  id: string;
  type: "public-key";
  transports?: string[];
}

/** `PublicKeyCredentialCreationOptions` in JSON: what the server sends to register a passkey. */
export interface PublicKeyCredentialCreationOptionsJSON {
  rp: { id?: string; name: string };
  user: { id: string; name: string; displayName: string };
  challenge: string;
  pubKeyCredParams: { type: "public-key"; alg: number }[];
  timeout?: number;
  excludeCredentials?: PublicKeyCredentialDescriptorJSON[];
  authenticatorSelection?: {
    authenticatorAttachment?: string;
    residentKey?: string;
    requireResidentKey?: boolean;
    userVerification?: string;
  };
  hints?: string[];
  attestation?: string;
  attestationFormats?: string[];
  extensions?: Record<string, unknown>;
}

/** `PublicKeyCredentialRequestOptions` in JSON: what the server sends to sign in with a passkey. */
export interface PublicKeyCredentialRequestOptionsJSON {
  challenge: string;
  timeout?: number;
  rpId?: string;
  allowCredentials?: PublicKeyCredentialDescriptorJSON[];
  userVerification?: string;
  hints?: string[];
  extensions?: Record<string, unknown>;
}

/** A new passkey in JSON (`PublicKeyCredential.toJSON()` after `create()`): what the server verifies and stores. */
export type RegistrationResponseJSON = {
  id: string;
  rawId: string;
  type: "public-key";
  authenticatorAttachment?: string | null;
  clientExtensionResults: Record<string, unknown>;
  response: {
    clientDataJSON: string;
    attestationObject: string;
    authenticatorData?: string;
    transports?: string[];
    publicKeyAlgorithm?: number;
    /** The public key, DER SubjectPublicKeyInfo (absent when the browser cannot express the algorithm). */
    publicKey?: string;
  };
};

/** A passkey's assertion in JSON (`PublicKeyCredential.toJSON()` after `get()`): what the server verifies. */
export type AuthenticationResponseJSON = {
  id: string;
  rawId: string;
  type: "public-key";
  authenticatorAttachment?: string | null;
  clientExtensionResults: Record<string, unknown>;
  response: {
    clientDataJSON: string;
    authenticatorData: string;
    signature: string;
    /** The account's user handle: present for a discoverable credential (a passkey). */
    userHandle?: string | null;
  };
};

/** The `options` of a registration challenge: `{ publicKey: PublicKeyCredentialCreationOptionsJSON }`. */
export interface PasskeyCreationOptions {
  publicKey: PublicKeyCredentialCreationOptionsJSON;
}

/** The `options` of a sign-in challenge: `{ publicKey: PublicKeyCredentialRequestOptionsJSON }`. */
export interface PasskeyRequestOptions {
  publicKey: PublicKeyCredentialRequestOptionsJSON;
}

/** What the ceremonies take besides the options. */
export interface CeremonyOptions {
  /** Cancels the browser's prompt (it then rejects with an `AbortError`). Used where the browser has the JSON methods. */
  signal?: AbortSignal;
}

/** The WebAuthn Level 3 JSON methods, where this browser has them. */
interface JsonMethods {
  parseCreationOptionsFromJSON(options: PublicKeyCredentialCreationOptionsJSON): PublicKeyCredentialCreationOptions;
  parseRequestOptionsFromJSON(options: PublicKeyCredentialRequestOptionsJSON): PublicKeyCredentialRequestOptions;
}

/** `PublicKeyCredential` when it has the JSON methods (static parsers and `toJSON()`), else `undefined`. */
function jsonMethods(): JsonMethods | undefined {
  if (typeof PublicKeyCredential === "undefined") return undefined;
  const statics = PublicKeyCredential as unknown as Partial<JsonMethods>;
  const hasToJSON = typeof (PublicKeyCredential.prototype as Partial<PublicKeyCredential>).toJSON === "function";
  if (typeof statics.parseCreationOptionsFromJSON !== "function" || typeof statics.parseRequestOptionsFromJSON !== "function") {
    return undefined;
  }
  return hasToJSON ? (statics as JsonMethods) : undefined;
}

/** Whether this browser can do WebAuthn at all (a secure context with `PublicKeyCredential`). */
export function passkeysAvailable(): boolean {
  return (
    typeof window !== "undefined" &&
    window.isSecureContext &&
    typeof PublicKeyCredential === "function" &&
    typeof navigator.credentials?.create === "function"
  );
}

/**
 * Creates a passkey: asks the browser (and the user) for a new credential for the server's registration
 * `options`, and resolves to the JSON to send back as `credential` (`RegistrationResponseJSON`).
 */
export async function createPasskey(
  options: PasskeyCreationOptions,
  ceremony: CeremonyOptions = {},
): Promise<RegistrationResponseJSON> {
  const native = jsonMethods();
  if (!native) {
    const { startRegistration } = await import("@simplewebauthn/browser");
    const optionsJSON = options.publicKey as unknown as SimpleWebAuthn.PublicKeyCredentialCreationOptionsJSON;
    return (await startRegistration({ optionsJSON })) as RegistrationResponseJSON;
  }
  const publicKey = native.parseCreationOptionsFromJSON(options.publicKey);
  const credential = await navigator.credentials.create({ publicKey, signal: ceremony.signal });
  if (!(credential instanceof PublicKeyCredential)) throw notCompleted("registration");
  return credential.toJSON() as RegistrationResponseJSON;
}

/**
 * Signs in with a passkey: asks the browser (and the user) for an assertion for the server's sign-in
 * `options`, and resolves to the JSON to send back as `credential` (`AuthenticationResponseJSON`).
 */
export async function getPasskeyAssertion(
  options: PasskeyRequestOptions,
  ceremony: CeremonyOptions = {},
): Promise<AuthenticationResponseJSON> {
  const native = jsonMethods();
  if (!native) {
    const { startAuthentication } = await import("@simplewebauthn/browser");
    const optionsJSON = options.publicKey as unknown as SimpleWebAuthn.PublicKeyCredentialRequestOptionsJSON;
    return (await startAuthentication({ optionsJSON })) as AuthenticationResponseJSON;
  }
  const publicKey = native.parseRequestOptionsFromJSON(options.publicKey);
  const credential = await navigator.credentials.get({ publicKey, signal: ceremony.signal });
  if (!(credential instanceof PublicKeyCredential)) throw notCompleted("sign-in");
  return credential.toJSON() as AuthenticationResponseJSON;
}

function notCompleted(what: string): Error {
  const error = new Error(`the passkey ${what} was not completed`);
  error.name = "NotAllowedError";
  return error;
}
