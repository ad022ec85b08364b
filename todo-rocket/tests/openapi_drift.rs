//! `openapi/openapi.json` is the code's document, committed; this fails when they differ.

use std::path::Path;

#[test]
fn the_committed_openapi_document_matches_the_code() {
    let committed_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/openapi.json");
    let committed = std::fs::read_to_string(&committed_path).expect("openapi/openapi.json exists");
    let generated = todo_rocket::openapi::document("/").to_pretty_json().expect("renders") + "\n";
    assert!(
        committed == generated,
        "openapi/openapi.json is stale; regenerate it with\n    cargo run -p todo-rocket -- openapi > openapi/openapi.json"
    );
}
