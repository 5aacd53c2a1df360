//! The real `@supabase/supabase-js` client (npm) drives the seed's calls against the server.

use crate::harness::TestApp;
use std::path::PathBuf;

fn js_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("js")
}

#[tokio::test]
async fn supabase_js_seed_calls_as_two_users() {
    let dir = js_dir();
    assert!(
        dir.join("node_modules/@supabase/supabase-js").exists(),
        "supabase-js is not installed: run `npm ci --prefix tests/js` (the test script does this)"
    );
    let app = TestApp::start().await;
    let alice = app.user("alice@example.com").await;
    let bob = app.user("bob@example.com").await;
    let out = tokio::process::Command::new("node")
        .arg(dir.join("agents.mjs"))
        .current_dir(&dir)
        .env("FERROBASE_URL", &app.base)
        .env("ANON_KEY", app.anon_key())
        .env("ALICE_TOKEN", &alice.token)
        .env("ALICE_ID", &alice.id)
        .env("BOB_TOKEN", &bob.token)
        .env("BOB_ID", &bob.id)
        .output()
        .await
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "supabase-js script failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("all seed calls behaved"), "{stdout}");
}

#[tokio::test]
async fn supabase_js_postgrest_features() {
    let dir = js_dir();
    assert!(
        dir.join("node_modules/@supabase/supabase-js").exists(),
        "supabase-js is not installed: run `npm ci --prefix tests/js` (the test script does this)"
    );
    let app = TestApp::start().await;
    let user = app.user("features@example.com").await;
    let out = tokio::process::Command::new("node")
        .arg(dir.join("rest.mjs"))
        .current_dir(&dir)
        .env("FERROBASE_URL", &app.base)
        .env("ANON_KEY", app.anon_key())
        .env("SERVICE_KEY", app.service_key())
        .env("USER_TOKEN", &user.token)
        .env("USER_ID", &user.id)
        .output()
        .await
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "supabase-js script failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("PostgREST features behaved"), "{stdout}");
}
