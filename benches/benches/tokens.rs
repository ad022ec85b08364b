//! Token mint and verify, beside the floor no verify can beat: base64-decoding the payload and signature of the
//! same token and checking its HMAC-SHA256 over the same bytes (with the key schedule done once, as a verifier
//! can). The target is verify ≤ 3× that baseline.
// criterion's macros generate an undocumented `pub fn benches`.
#![allow(missing_docs)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use criterion::{criterion_group, criterion_main, Criterion};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::hint::black_box;
use todo_benches::{config, PASSWORD, SECRET};
use todo_core::{Assurance, Todo};

fn tokens(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a Tokio runtime");
    let (keys, user, session, token) = runtime.block_on(async {
        let todo = Todo::connect(&config("sqlite::memory:").expect("config")).await.expect("connects");
        let user = todo.accounts().signup("bench@example.com", PASSWORD).await.expect("signs up");
        let login = todo.accounts().login("bench@example.com", PASSWORD).await.expect("logs in");
        (todo.accounts().token_keys().clone(), user, login.owner.session_id(), login.token.access_token)
    });

    let assurance = Assurance::password();
    let mut group = c.benchmark_group("token");
    group.bench_function("mint", |b| b.iter(|| keys.mint(black_box(&user), session, &assurance).expect("mints")));
    group.bench_function("verify", |b| b.iter(|| keys.verify(black_box(&token)).expect("verifies")));

    let (signing_input, signature) = token.rsplit_once('.').expect("three segments");
    let (_, payload) = signing_input.split_once('.').expect("three segments");
    let keyed = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key length");
    group.bench_function("baseline_hmac_sha256_base64", |b| {
        b.iter(|| {
            let signature = URL_SAFE_NO_PAD.decode(black_box(signature)).expect("base64");
            let payload = URL_SAFE_NO_PAD.decode(black_box(payload)).expect("base64");
            let mut mac = keyed.clone();
            mac.update(black_box(signing_input).as_bytes());
            mac.verify_slice(&signature).expect("the signature matches");
            payload
        })
    });
    group.finish();
}

criterion_group!(benches, tokens);
criterion_main!(benches);
