//! A software WebAuthn authenticator together with the browser's part of a ceremony, for tests of passkeys.
//!
//! It speaks JSON at both ends, as the browser side of a web app does:
//! - in: the options a server sends, `{"publicKey": {…}}` with base64url binary fields (what webauthn-rs serialises
//!   a `CreationChallengeResponse` / `RequestChallengeResponse` to);
//! - out: what `PublicKeyCredential.toJSON()` gives in a browser (WebAuthn Level 3 `RegistrationResponseJSON` /
//!   `AuthenticationResponseJSON`), which is also what `@simplewebauthn/browser` returns. A server that accepts these
//!   accepts a browser's answers, so the library's tests and the HTTP tests can share it.
//!
//! Keys are ES256 (P-256), attestation is `none`, the AAGUID is zero. Built on well-kept crates only: `p256`,
//! `ciborium` (CBOR), `sha2`, `base64`, `getrandom`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64URL;
use base64::Engine as _;
use ciborium::value::Value as Cbor;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::EncodePublicKey as _;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

/// Flag bits of the authenticator data (WebAuthn §6.1): user present, user verified, backup eligible, backed up,
/// attested credential data included.
const FLAG_UP: u8 = 0x01;
const FLAG_UV: u8 = 0x04;
const FLAG_BE: u8 = 0x08;
const FLAG_BS: u8 = 0x10;
const FLAG_AT: u8 = 0x40;
/// COSE's number for ES256.
const ES256: i64 = -7;

/// How an authenticator keeps its signature counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CounterMode {
    /// A per-credential counter that goes up by one with each assertion (hardware keys).
    Incrementing,
    /// Always zero (synced passkeys: iCloud Keychain, Google Password Manager).
    AlwaysZero,
}

/// A credential the authenticator created.
#[derive(Clone, Debug)]
pub struct Credential {
    /// The credential id.
    pub id: Vec<u8>,
    /// The relying party id it is bound to.
    pub rp_id: String,
    /// The user handle the server gave at registration (`user.id`).
    pub user_handle: Vec<u8>,
    /// Whether it is discoverable (stored on the authenticator, returns its user handle).
    pub resident: bool,
    /// Its signature counter (the last value signed).
    pub counter: u32,
    key: SigningKey,
}

/// A software authenticator and the browser in front of it. Its settings are public fields; the defaults are a
/// device-bound authenticator that verifies the user, stores discoverable credentials and counts signatures.
#[derive(Debug)]
pub struct Authenticator {
    /// The credentials made so far, oldest first.
    pub credentials: Vec<Credential>,
    /// How signature counters move.
    pub counter_mode: CounterMode,
    /// Whether credentials are synced (backup eligible and backed up) rather than device-bound.
    pub synced: bool,
    /// Whether it verifies the user (PIN, biometrics): the UV flag.
    pub verifies_user: bool,
    /// Whether it can store discoverable credentials.
    pub stores_resident_keys: bool,
    /// The id the next credential gets instead of 16 random bytes: an authenticator (or an attacker) that presents
    /// a credential id already in use, for tests of its uniqueness.
    pub next_credential_id: Option<Vec<u8>>,
}

impl Default for Authenticator {
    fn default() -> Self {
        Self {
            credentials: Vec::new(),
            counter_mode: CounterMode::Incrementing,
            synced: false,
            verifies_user: true,
            stores_resident_keys: true,
            next_credential_id: None,
        }
    }
}

impl Authenticator {
    /// An authenticator with the default settings and no credential.
    pub fn new() -> Self {
        Self::default()
    }

    /// `navigator.credentials.create({publicKey})` on a page of `origin`, then `toJSON()` of the credential:
    /// `options` is what the server sent (`{"publicKey": {…}}`). Fails, with the `DOMException` name a browser
    /// would give, where a browser would (user verification or a resident key it cannot give, no ES256, a
    /// credential of this authenticator in `excludeCredentials`).
    pub fn create(&mut self, origin: &str, options: &Value) -> Result<Value, String> {
        let options = &options["publicKey"];
        let rp_id = options["rp"]["id"].as_str().ok_or("TypeError: no rp.id")?.to_owned();
        let challenge = options["challenge"].as_str().ok_or("TypeError: no challenge")?;
        let user_handle = decode(&options["user"]["id"])?;
        let selection = &options["authenticatorSelection"];
        let resident_required = selection["residentKey"] == "required" || selection["requireResidentKey"] == true;
        let resident_preferred = selection["residentKey"] == "preferred";
        if selection["userVerification"] == "required" && !self.verifies_user {
            return Err("NotAllowedError: user verification is required".to_owned());
        }
        if resident_required && !self.stores_resident_keys {
            return Err("NotSupportedError: a resident key is required".to_owned());
        }
        let offers_es256 = options["pubKeyCredParams"]
            .as_array()
            .ok_or("TypeError: no pubKeyCredParams")?
            .iter()
            .any(|parameters| parameters["alg"] == ES256);
        if !offers_es256 {
            return Err("NotSupportedError: ES256 is not offered".to_owned());
        }
        for excluded in options["excludeCredentials"].as_array().into_iter().flatten() {
            let id = decode(&excluded["id"])?;
            if self.credentials.iter().any(|credential| credential.id == id) {
                return Err("InvalidStateError: a credential of this authenticator is excluded".to_owned());
            }
        }
        let resident = self.stores_resident_keys && (resident_required || resident_preferred);

        let key = new_key()?;
        let id = match self.next_credential_id.take() {
            Some(id) => id,
            None => random_bytes::<16>()?.to_vec(),
        };
        let point = key.verifying_key().to_sec1_point(false);
        let (x, y) = (point.x().ok_or("no x")?.to_vec(), point.y().ok_or("no y")?.to_vec());
        // COSE_Key (RFC 9053): kty EC2, alg ES256, crv P-256, x, y.
        let cose_key = Cbor::Map(vec![
            (Cbor::Integer(1.into()), Cbor::Integer(2.into())),
            (Cbor::Integer(3.into()), Cbor::Integer(ES256.into())),
            (Cbor::Integer((-1).into()), Cbor::Integer(1.into())),
            (Cbor::Integer((-2).into()), Cbor::Bytes(x)),
            (Cbor::Integer((-3).into()), Cbor::Bytes(y)),
        ]);
        // authenticatorData: rpIdHash, flags, signCount 0, attested credential data (AAGUID, id length, id, key).
        let mut authenticator_data = sha256(rp_id.as_bytes()).to_vec();
        authenticator_data.push(self.flags() | FLAG_AT);
        authenticator_data.extend_from_slice(&0u32.to_be_bytes());
        authenticator_data.extend_from_slice(&[0u8; 16]);
        authenticator_data.extend_from_slice(&u16::try_from(id.len()).map_err(|e| e.to_string())?.to_be_bytes());
        authenticator_data.extend_from_slice(&id);
        authenticator_data.extend_from_slice(&cbor(&cose_key)?);
        let attestation_object = cbor(&Cbor::Map(vec![
            (Cbor::Text("fmt".into()), Cbor::Text("none".into())),
            (Cbor::Text("attStmt".into()), Cbor::Map(vec![])),
            (Cbor::Text("authData".into()), Cbor::Bytes(authenticator_data.clone())),
        ]))?;
        let client_data = client_data_json("webauthn.create", challenge, origin);
        let public_key = key.verifying_key().to_public_key_der().map_err(|e| e.to_string())?;

        let mut extensions = json!({});
        if options["extensions"]["credProps"] == true {
            extensions["credProps"] = json!({ "rk": resident });
        }
        let answer = json!({
            "id": BASE64URL.encode(&id),
            "rawId": BASE64URL.encode(&id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": BASE64URL.encode(&client_data),
                "attestationObject": BASE64URL.encode(&attestation_object),
                "authenticatorData": BASE64URL.encode(&authenticator_data),
                "transports": ["hybrid", "internal"],
                "publicKey": BASE64URL.encode(public_key.as_bytes()),
                "publicKeyAlgorithm": ES256,
            },
            "clientExtensionResults": extensions,
        });
        self.credentials.push(Credential { id, rp_id, user_handle, resident, counter: 0, key });
        Ok(answer)
    }

    /// `navigator.credentials.get({publicKey})` on a page of `origin`, then `toJSON()` of the assertion: `options`
    /// is what the server sent. With an empty `allowCredentials` it picks the newest discoverable credential for the
    /// relying party (as a user picking from a list would); otherwise the newest listed one it has.
    pub fn get(&mut self, origin: &str, options: &Value) -> Result<Value, String> {
        let options = &options["publicKey"];
        let rp_id = options["rpId"].as_str().ok_or("TypeError: no rpId")?.to_owned();
        let challenge = options["challenge"].as_str().ok_or("TypeError: no challenge")?;
        if options["userVerification"] == "required" && !self.verifies_user {
            return Err("NotAllowedError: user verification is required".to_owned());
        }
        let allowed: Vec<Vec<u8>> = options["allowCredentials"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| decode(&c["id"]))
            .collect::<Result<_, _>>()?;
        let (flags, mode) = (self.flags(), self.counter_mode);
        let credential = self
            .credentials
            .iter_mut()
            .rev()
            .find(|c| c.rp_id == rp_id && if allowed.is_empty() { c.resident } else { allowed.contains(&c.id) })
            .ok_or("NotAllowedError: no credential for these options")?;
        if mode == CounterMode::Incrementing {
            credential.counter += 1;
        }
        let mut authenticator_data = sha256(rp_id.as_bytes()).to_vec();
        authenticator_data.push(flags);
        authenticator_data.extend_from_slice(&credential.counter.to_be_bytes());
        let client_data = client_data_json("webauthn.get", challenge, origin);
        let mut signed = authenticator_data.clone();
        signed.extend_from_slice(&sha256(&client_data));
        let signature: Signature = credential.key.sign(&signed);

        let mut response = json!({
            "clientDataJSON": BASE64URL.encode(&client_data),
            "authenticatorData": BASE64URL.encode(&authenticator_data),
            "signature": BASE64URL.encode(signature.to_der().as_bytes()),
        });
        // A discoverable credential returns the user handle it was created with.
        if credential.resident {
            response["userHandle"] = json!(BASE64URL.encode(&credential.user_handle));
        }
        Ok(json!({
            "id": BASE64URL.encode(&credential.id),
            "rawId": BASE64URL.encode(&credential.id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "response": response,
            "clientExtensionResults": {},
        }))
    }

    /// Sets a credential's signature counter, as a cloned authenticator or a restored backup would have it.
    ///
    /// # Panics
    /// When this authenticator has no credential with this id.
    pub fn set_counter(&mut self, credential_id: &[u8], counter: u32) {
        let credential = self.credentials.iter_mut().find(|credential| credential.id == credential_id);
        credential.expect("a credential of this authenticator").counter = counter;
    }

    /// The newest credential's id.
    ///
    /// # Panics
    /// When this authenticator has made no credential.
    pub fn last_credential_id(&self) -> &[u8] {
        &self.credentials.last().expect("a credential was made").id
    }

    fn flags(&self) -> u8 {
        let mut flags = FLAG_UP;
        if self.verifies_user {
            flags |= FLAG_UV;
        }
        if self.synced {
            flags |= FLAG_BE | FLAG_BS;
        }
        flags
    }
}

/// `bytes` in base64url without padding, as WebAuthn's JSON writes binary fields.
pub fn base64url(bytes: &[u8]) -> String {
    BASE64URL.encode(bytes)
}

/// A JSON string field in base64url, decoded.
fn decode(value: &Value) -> Result<Vec<u8>, String> {
    let text = value.as_str().ok_or("TypeError: a binary field is not a base64url string")?;
    BASE64URL.decode(text).map_err(|error| format!("TypeError: {error}"))
}

/// What the browser puts into `clientDataJSON` (Chrome's order of fields).
fn client_data_json(kind: &str, challenge: &str, origin: &str) -> Vec<u8> {
    json!({ "type": kind, "challenge": challenge, "origin": origin, "crossOrigin": false }).to_string().into_bytes()
}

fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

fn cbor(value: &Cbor) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    ciborium::into_writer(value, &mut bytes).map_err(|error| error.to_string())?;
    Ok(bytes)
}

fn random_bytes<const N: usize>() -> Result<[u8; N], String> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|error| error.to_string())?;
    Ok(bytes)
}

/// A new P-256 key (a random scalar; one out of range, at odds of about 2^-32, is drawn again).
fn new_key() -> Result<SigningKey, String> {
    loop {
        if let Ok(key) = SigningKey::from_slice(&random_bytes::<32>()?) {
            return Ok(key);
        }
    }
}
