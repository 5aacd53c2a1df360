//! Client SDKs generated from the SDK OpenAPI document work against the server:
//! openapi-python-client (PyPI) and openapi-typescript + openapi-fetch (npm), the latter
//! type-checked with tsc. scripts/test.sh installs the generators.

use crate::harness::TestApp;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The document the server serves at `/api/openapi.json`, saved for the generators.
async fn fetch_document(app: &TestApp, dir: &Path) -> PathBuf {
    let resp = app
        .http
        .get(format!("{}/api/openapi.json", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let doc = resp.text().await.unwrap();
    assert_eq!(
        doc,
        std::fs::read_to_string(root().join("generated/artifacts/openapi/api.json")).unwrap()
    );
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("api.json");
    std::fs::write(&path, doc).unwrap();
    path
}

fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what} does not start: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[tokio::test(flavor = "multi_thread")]
async fn generated_python_and_typescript_clients() {
    let root = root();
    let venv = root.join("target/venv/bin");
    assert!(
        venv.join("openapi-python-client").exists(),
        "openapi-python-client is not installed in target/venv: run scripts/test.sh"
    );
    let js = root.join("tests/js");
    assert!(
        js.join("node_modules/.bin/openapi-typescript").exists(),
        "openapi-typescript is not installed: run `npm ci --prefix tests/js`"
    );
    let work = root.join("target/sdk");
    let app = TestApp::start().await;
    let doc = fetch_document(&app, &work).await;
    let alice = app.user("sdk-python@example.com").await;
    let bob = app.user("sdk-ts@example.com").await;

    // Python.
    let py_dir = work.join("python");
    run(
        Command::new(venv.join("openapi-python-client"))
            .args(["generate", "--overwrite", "--path"])
            .arg(&doc)
            .arg("--output-path")
            .arg(&py_dir),
        "openapi-python-client",
    );
    let out = run(
        Command::new(venv.join("python"))
            .arg(root.join("tests/py/sdk_client.py"))
            .env("SDK_DIR", &py_dir)
            .env("FERROBASE_URL", &app.base)
            .env("ANON_KEY", app.anon_key())
            .env("SERVICE_KEY", app.service_key())
            .env("USER_TOKEN", &alice.token)
            .env("USER_ID", &alice.id),
        "the python client script",
    );
    assert!(
        out.contains("python sdk: typed endpoint and table calls behaved"),
        "{out}"
    );

    // TypeScript: generate types, type-check and compile, run.
    let generated = js.join("generated");
    std::fs::create_dir_all(&generated).unwrap();
    run(
        Command::new(js.join("node_modules/.bin/openapi-typescript"))
            .arg(&doc)
            // A default makes a field optional on input; it is not a promise of non-null.
            .arg("--default-non-nullable=false")
            .arg("-o")
            .arg(generated.join("api.d.ts")),
        "openapi-typescript",
    );
    run(
        Command::new(js.join("node_modules/.bin/tsc"))
            .args(["-p", "tsconfig.json"])
            .current_dir(&js),
        "tsc",
    );
    let out = run(
        Command::new("node")
            .arg(generated.join("out/sdk_client.mjs"))
            .current_dir(&js)
            .env("FERROBASE_URL", &app.base)
            .env("ANON_KEY", app.anon_key())
            .env("SERVICE_KEY", app.service_key())
            .env("USER_TOKEN", &bob.token),
        "the typescript client script",
    );
    assert!(
        out.contains("typescript sdk: typed endpoint and table calls behaved"),
        "{out}"
    );
}
