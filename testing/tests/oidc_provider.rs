//! The test OpenID Provider and its harness, driven as a relying party would drive them: discovery, an
//! authorization request with PKCE built by hand, the login through `TestProvider::log_in`, the code exchanged at
//! the token endpoint, and the ID token read. No server under test: the callback URL is only parsed.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::Value;
use sha2::{Digest, Sha256};
use todo_testing::oidc::{
    ProviderAccount, Tamper, TestProvider, CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET, PUBLIC_CLIENT_ID,
};
use url::Url;

/// Where a server under test would take the user back; never requested here.
const REDIRECT_URI: &str = "http://127.0.0.1:1/api/auth/oidc/test-idp/callback";

/// An authorization request as a relying party makes it, and the secrets it keeps for the callback.
struct AuthRequest {
    url: String,
    state: String,
    nonce: String,
    verifier: String,
}

impl AuthRequest {
    /// A code flow request for `client_id` with PKCE S256, scopes `openid email profile`, a state and a nonce.
    async fn new(provider: &TestProvider, client_id: &str) -> AuthRequest {
        let discovery = discovery(provider).await;
        let unique = uuid::Uuid::now_v7().simple().to_string();
        let (state, nonce) = (format!("state-{unique}"), format!("nonce-{unique}"));
        // RFC 7636: 43 to 128 characters; a challenge is BASE64URL(SHA256(verifier)).
        let verifier = format!("verifier-{unique}-{unique}");
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let mut url = Url::parse(discovery["authorization_endpoint"].as_str().unwrap()).unwrap();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", REDIRECT_URI)
            .append_pair("scope", "openid email profile")
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        AuthRequest { url: url.into(), state, nonce, verifier }
    }

    /// The code in the callback URL, after checking that it answers this request.
    fn code_from(&self, callback: &str, provider: &TestProvider) -> String {
        let callback = Url::parse(callback).unwrap();
        let expected = Url::parse(REDIRECT_URI).unwrap();
        assert_eq!((callback.origin(), callback.path()), (expected.origin(), expected.path()), "{callback}");
        let param =
            |name: &str| callback.query_pairs().find(|(key, _)| key == name).map(|(_, value)| value.into_owned());
        assert_eq!(param("error"), None, "{callback}");
        assert_eq!(param("state").as_deref(), Some(self.state.as_str()));
        // RFC 9207: the issuer comes back with the code.
        assert_eq!(param("iss").as_deref(), Some(provider.issuer()));
        param("code").expect("a code in the callback")
    }
}

async fn get_json(url: &str) -> Value {
    let response = reqwest::get(url).await.unwrap();
    assert!(response.status().is_success(), "GET {url}: {}", response.status());
    response.json().await.unwrap()
}

async fn discovery(provider: &TestProvider) -> Value {
    get_json(&format!("{}/.well-known/openid-configuration", provider.issuer())).await
}

/// The token endpoint's answer for `code`; the confidential client authenticates with HTTP Basic.
async fn exchange(provider: &TestProvider, client_id: &str, code: &str, verifier: &str) -> Value {
    let discovery = discovery(provider).await;
    let mut request = reqwest::Client::new().post(discovery["token_endpoint"].as_str().unwrap()).form(&[
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", verifier),
        ("client_id", client_id),
    ]);
    if client_id == CONFIDENTIAL_CLIENT_ID {
        request = request.basic_auth(client_id, Some(CONFIDENTIAL_CLIENT_SECRET));
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert!(status.is_success(), "token endpoint: {status} {body}\n{}", provider.log());
    body
}

/// A JWT's header and payload, unverified.
fn jwt_parts(jwt: &str) -> (Value, Value) {
    let mut parts = jwt.split('.').map(|part| serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()));
    (parts.next().unwrap().unwrap(), parts.next().unwrap().unwrap())
}

/// Signs `account` in with `client_id` and gives the ID token's header and claims.
async fn id_token_for(
    provider: &TestProvider,
    client_id: &str,
    account: &ProviderAccount,
) -> (Value, Value, AuthRequest) {
    let request = AuthRequest::new(provider, client_id).await;
    let callback = provider.log_in(&request.url, account).await;
    let code = request.code_from(&callback, provider);
    let tokens = exchange(provider, client_id, &code, &request.verifier).await;
    let (header, claims) = jwt_parts(tokens["id_token"].as_str().expect("an id_token"));
    (header, claims, request)
}

/// `url` with its parameter `name` set to `value`, or removed.
fn set_param(url: &mut Url, name: &str, value: Option<&str>) {
    let query: Vec<(String, String)> =
        url.query_pairs().filter(|(key, _)| key != name).map(|(key, value)| (key.into(), value.into())).collect();
    let mut pairs = url.query_pairs_mut();
    pairs.clear().extend_pairs(query);
    if let Some(value) = value {
        pairs.append_pair(name, value);
    }
}

async fn start() -> Option<TestProvider> {
    TestProvider::start().await
}

#[tokio::test]
async fn discovery_names_the_issuer_and_offers_the_code_flow_with_s256() {
    let Some(provider) = start().await else { return };
    let discovery = discovery(&provider).await;
    assert!(provider.issuer().starts_with("http://127.0.0.1:"), "{}", provider.issuer());
    assert_eq!(discovery["issuer"], provider.issuer());
    assert_eq!(discovery["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(discovery["code_challenge_methods_supported"], serde_json::json!(["S256"]));
    assert_eq!(discovery["jwks_uri"], format!("{}/jwks", provider.issuer()));
}

#[tokio::test]
async fn the_id_token_of_a_public_client_carries_the_accounts_email_and_the_nonce() {
    let Some(provider) = start().await else { return };
    let account = ProviderAccount::new("alice@example.test").named("Alice");
    let (header, claims, request) = id_token_for(&provider, PUBLIC_CLIENT_ID, &account).await;
    assert_eq!(header["alg"], "RS256");
    assert_eq!(claims["iss"], provider.issuer());
    assert_eq!(claims["sub"], account.sub.as_str());
    assert_eq!(claims["aud"], PUBLIC_CLIENT_ID);
    assert_eq!(claims["nonce"], request.nonce.as_str());
    assert_eq!(claims["email"], "alice@example.test");
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["name"], "Alice");
    // The key that signed it is the one the JWKS publishes.
    let jwks = get_json(&format!("{}/jwks", provider.issuer())).await;
    let kids: Vec<&Value> = jwks["keys"].as_array().unwrap().iter().map(|key| &key["kid"]).collect();
    assert_eq!(kids, [&header["kid"]]);
}

#[tokio::test]
async fn a_confidential_client_exchanges_its_code_with_its_secret_and_an_unverified_email_says_so() {
    let Some(provider) = start().await else { return };
    let account = ProviderAccount::new("bob@example.test").unverified();
    let (_, claims, _) = id_token_for(&provider, CONFIDENTIAL_CLIENT_ID, &account).await;
    assert_eq!(claims["aud"], CONFIDENTIAL_CLIENT_ID);
    assert_eq!(claims["email"], "bob@example.test");
    assert_eq!(claims["email_verified"], false);
    assert_eq!(claims.get("name"), None);
}

#[tokio::test]
async fn each_tamper_breaks_its_claim_and_keeps_the_rest() {
    let Some(provider) = start().await else { return };
    let honest_kid = {
        let (header, _, _) = id_token_for(&provider, PUBLIC_CLIENT_ID, &ProviderAccount::new("h@example.test")).await;
        header["kid"].clone()
    };
    for tamper in [Tamper::Aud, Tamper::Expired, Tamper::Nonce, Tamper::Issuer, Tamper::UnknownKey] {
        let account = ProviderAccount::new("mallory@example.test").tamper(tamper);
        let (header, claims, request) = id_token_for(&provider, PUBLIC_CLIENT_ID, &account).await;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        let expected = |broken: Tamper, honest: Value, bad: Value| if tamper == broken { bad } else { honest };
        assert_eq!(claims["aud"], expected(Tamper::Aud, PUBLIC_CLIENT_ID.into(), "someone-else".into()), "{tamper:?}");
        assert_eq!(
            claims["nonce"],
            expected(Tamper::Nonce, request.nonce.as_str().into(), "not-the-nonce".into()),
            "{tamper:?}"
        );
        assert_eq!(claims["iss"], expected(Tamper::Issuer, provider.issuer().into(), "http://evil.example".into()));
        assert_eq!(header["kid"], expected(Tamper::UnknownKey, honest_kid.clone(), "never-published".into()));
        let exp = claims["exp"].as_i64().unwrap();
        if tamper == Tamper::Expired {
            assert!(exp <= now - 3500 && claims["iat"].as_i64().unwrap() < exp, "{claims}");
        } else {
            assert!(exp > now, "{tamper:?}: {claims}");
        }
        assert_eq!(claims["email"], "mallory@example.test");
    }
}

#[tokio::test]
async fn rotating_the_keys_publishes_a_second_key_and_signs_with_it() {
    let Some(provider) = start().await else { return };
    let jwks_url = format!("{}/jwks", provider.issuer());
    let account = ProviderAccount::new("carol@example.test");
    let (before, _, _) = id_token_for(&provider, PUBLIC_CLIENT_ID, &account).await;
    let kids =
        |jwks: Value| -> Vec<Value> { jwks["keys"].as_array().unwrap().iter().map(|key| key["kid"].clone()).collect() };
    assert_eq!(kids(get_json(&jwks_url).await), [before["kid"].clone()]);

    provider.rotate_keys().await;

    let (after, claims, _) = id_token_for(&provider, PUBLIC_CLIENT_ID, &account).await;
    assert_ne!(after["kid"], before["kid"]);
    assert_eq!(kids(get_json(&jwks_url).await), [after["kid"].clone(), before["kid"].clone()]);
    assert_eq!(claims["email"], "carol@example.test");
}

#[tokio::test]
async fn a_redirect_uri_off_the_callback_pattern_is_refused_on_an_error_page() {
    let Some(provider) = start().await else { return };
    let request = AuthRequest::new(&provider, PUBLIC_CLIENT_ID).await;
    for redirect in ["http://evil.example:8000/auth/oidc/x/callback", "http://127.0.0.1:8000/auth/oidc/x/elsewhere"] {
        let mut url = Url::parse(&request.url).unwrap();
        set_param(&mut url, "redirect_uri", Some(redirect));
        let response = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(url)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::BAD_REQUEST, "{redirect}");
        assert!(response.text().await.unwrap().contains("invalid_redirect_uri"), "{redirect}");
    }
}

#[tokio::test]
async fn a_request_without_pkce_is_sent_back_with_an_error() {
    let Some(provider) = start().await else { return };
    let request = AuthRequest::new(&provider, CONFIDENTIAL_CLIENT_ID).await;
    let callback = provider
        .log_in_with_params(&request.url, &ProviderAccount::new("dave@example.test"), |url| {
            set_param(url, "code_challenge", None);
            set_param(url, "code_challenge_method", None);
        })
        .await;
    let callback = Url::parse(&callback).unwrap();
    let error = callback.query_pairs().find(|(name, _)| name == "error").map(|(_, value)| value.into_owned());
    assert_eq!(error.as_deref(), Some("invalid_request"), "{callback}");
}

#[tokio::test]
async fn without_a_login_hint_the_login_page_signs_in_whoever_fills_it() {
    let Some(provider) = start().await else { return };
    let request = AuthRequest::new(&provider, PUBLIC_CLIENT_ID).await;
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::custom(|attempt| {
            // Follow the provider's own redirects, as a browser would, and stop at the one back to the client.
            if attempt.url().as_str().starts_with(REDIRECT_URI) {
                attempt.stop()
            } else {
                attempt.follow()
            }
        }))
        .build()
        .unwrap();

    let page = browser.get(&request.url).send().await.unwrap();
    let page_url = page.url().clone();
    let html = page.text().await.unwrap();
    // What a browser test finds by label and by role.
    for part in [
        r#"<label for="sub">Username</label>"#,
        r#"<input id="sub" name="sub""#,
        r#"<label for="email">Email</label>"#,
        r#"<input id="email" name="email""#,
        r#"<input id="email_verified" name="email_verified" type="checkbox" checked>"#,
        r#"<label for="email_verified">Email verified</label>"#,
        r#"<button type="submit">Sign in</button>"#,
    ] {
        assert!(html.contains(part), "{part} not in:\n{html}");
    }
    let action = html.split(r#"action=""#).nth(1).and_then(|rest| rest.split('"').next()).unwrap();

    // A checked checkbox sends "on".
    let form = [("sub", "erin-42"), ("email", "erin@example.test"), ("email_verified", "on")];
    let back = browser.post(page_url.join(action).unwrap()).form(&form).send().await.unwrap();
    assert!(back.status().is_redirection(), "{}", back.status());
    let callback = back.headers()[reqwest::header::LOCATION].to_str().unwrap().to_owned();
    let code = request.code_from(&callback, &provider);
    let tokens = exchange(&provider, PUBLIC_CLIENT_ID, &code, &request.verifier).await;
    let (_, claims) = jwt_parts(tokens["id_token"].as_str().unwrap());
    assert_eq!(claims["sub"], "erin-42");
    assert_eq!(claims["email"], "erin@example.test");
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["nonce"], request.nonce.as_str());
}
