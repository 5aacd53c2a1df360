//! The real `@supabase/supabase-js` client (npm) drives the seed's calls and PostgREST's
//! features against the server.

use crate::harness::TestApp;
use std::path::PathBuf;

/// Runs a client script (`node` for `.mjs`, the venv's Python for `.py`) with `env` and
/// asserts it succeeded and printed `expect`.
pub async fn run_client_script(script: &str, env: &[(&str, String)], expect: &str) {
    let tests = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let (program, dir) = if script.ends_with(".py") {
        let python = tests.join("../target/venv/bin/python");
        assert!(
            python.exists(),
            "target/venv is missing: run scripts/test.sh"
        );
        (python, tests.join("py"))
    } else {
        let js = tests.join("js");
        assert!(
            js.join("node_modules/@supabase/supabase-js").exists(),
            "supabase-js is not installed: run `npm ci --prefix tests/js` (scripts/test.sh does this)"
        );
        (PathBuf::from("node"), js)
    };
    let mut cmd = tokio::process::Command::new(&program);
    cmd.arg(dir.join(script)).current_dir(&dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .output()
        .await
        .unwrap_or_else(|e| panic!("{} does not start: {e}", program.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{script} failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains(expect), "{stdout}");
}

#[tokio::test]
async fn supabase_js_seed_calls_as_two_users() {
    let app = TestApp::start().await;
    let alice = app.user("alice@example.com").await;
    let bob = app.user("bob@example.com").await;
    run_client_script(
        "agents.mjs",
        &[
            ("FERROBASE_URL", app.base.clone()),
            ("ANON_KEY", app.anon_key()),
            ("ALICE_TOKEN", alice.token.clone()),
            ("ALICE_ID", alice.id.clone()),
            ("BOB_TOKEN", bob.token.clone()),
            ("BOB_ID", bob.id.clone()),
        ],
        "all seed calls behaved",
    )
    .await;
}

#[tokio::test]
async fn supabase_js_postgrest_features() {
    let app = TestApp::start().await;
    let user = app.user("features@example.com").await;
    run_client_script(
        "rest.mjs",
        &[
            ("FERROBASE_URL", app.base.clone()),
            ("ANON_KEY", app.anon_key()),
            ("SERVICE_KEY", app.service_key()),
            ("USER_TOKEN", user.token.clone()),
            ("USER_ID", user.id.clone()),
        ],
        "PostgREST features behaved",
    )
    .await;
}

#[tokio::test]
async fn supabase_js_hybrid_search() {
    let app = TestApp::start().await;
    let user = app.user("search@example.com").await;
    run_client_script(
        "search.mjs",
        &[
            ("FERROBASE_URL", app.base.clone()),
            ("ANON_KEY", app.anon_key()),
            ("SERVICE_KEY", app.service_key()),
            ("USER_TOKEN", user.token.clone()),
        ],
        "hybrid search behaved",
    )
    .await;
}
