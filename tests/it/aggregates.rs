//! Aggregates in `select=` with implied grouping.

use crate::harness::{TestApp, send};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn aggregates_group_by_the_other_columns() {
    let app = TestApp::start().await;
    let u = app.user("agg@example.com").await;
    let (s, _, _) = send(
        app.rest(Method::POST, "agents", Some(&u.token)).header("prefer", "missing=default").json(&json!([
            {"name": "a", "framework": "openai", "settings": {"temperature": 0.2, "max_tokens": 100}},
            {"name": "b", "framework": "openai", "settings": {"temperature": 0.6, "max_tokens": 300}},
            {"name": "c", "framework": "google", "settings": {"temperature": 1.0, "max_tokens": 50}},
        ])),
    )
    .await;
    assert_eq!(s, 201);
    let get = |q: &'static str| app.rest(Method::GET, &format!("agents?{q}"), Some(&u.token));
    let (s, _, b) = send(get("select=count()")).await;
    assert_eq!((s, b), (200, json!([{"count": 3}])));
    let (_, _, b) = send(get("select=framework,n:count()&order=framework")).await;
    assert_eq!(
        b,
        json!([{"framework": "google", "n": 1}, {"framework": "openai", "n": 2}])
    );
    let (_, _, b) = send(get(
        "select=framework,tokens:settings->max_tokens.sum(),hottest:settings->>temperature.max(),name.min()&framework=eq.openai",
    ))
    .await;
    assert_eq!(
        b,
        json!([{"framework": "openai", "tokens": 400, "hottest": "0.6", "min": "a"}])
    );
    let (_, _, b) = send(get("select=avg:settings->temperature.avg()::float8")).await;
    assert_eq!(
        b[0]["avg"].as_f64().map(|v| (v * 100.0).round()),
        Some(60.0)
    );
    let (s, _, b) = send(get("select=name,count(),agent_tools(id)")).await;
    assert_eq!((s, b["code"].clone()), (400, json!("PGRST100")));
    // The auth schema is not exposed, but aggregates are a per-schema switch too: tools
    // live in public, which allows them.
    let (s, _, b) = send(app.rest(
        Method::GET,
        "tools?select=count()",
        Some(&app.service_key()),
    ))
    .await;
    assert_eq!((s, b), (200, json!([{"count": 0}])));
}
