//! Media types and counting: CSV out and in, form bodies, `nulls=stripped`, planned and
//! estimated counts, OPTIONS and CORS.

use crate::harness::{TestApp, send};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn csv_form_and_stripped_nulls() {
    let app = TestApp::start().await;
    let u = app.user("formats@example.com").await;
    // CSV in.
    let (s, _, b) = send(
        app.rest(
            Method::POST,
            "agents?select=name,role,framework",
            Some(&u.token),
        )
        .header("content-type", "text/csv")
        .header("prefer", "return=representation")
        .body("name,role,framework\nAda,\"Analyst, senior\",openai\nBob,NULL,google\n"),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(
        b,
        json!([{"name": "Ada", "role": "Analyst, senior", "framework": "openai"}, {"name": "Bob", "role": null, "framework": "google"}])
    );
    // Form-urlencoded in.
    let (s, _, b) = send(
        app.rest(Method::POST, "agents?select=name,model", Some(&u.token))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("prefer", "return=representation")
            .body("name=Cy&model=gpt-4o"),
    )
    .await;
    assert_eq!((s, b), (201, json!([{"name": "Cy", "model": "gpt-4o"}])));
    // CSV out, with quoting.
    let resp = app
        .rest(
            Method::GET,
            "agents?select=name,role&order=name",
            Some(&u.token),
        )
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert_eq!(
        resp.text().await.unwrap(),
        "name,role\nAda,\"Analyst, senior\"\nBob,\nCy,\n"
    );
    // nulls=stripped.
    let (_, _, b) = send(
        app.rest(
            Method::GET,
            "agents?select=name,role&order=name",
            Some(&u.token),
        )
        .header("accept", "application/vnd.pgrst.array+json;nulls=stripped"),
    )
    .await;
    assert_eq!(
        b,
        json!([{"name": "Ada", "role": "Analyst, senior"}, {"name": "Bob"}, {"name": "Cy"}])
    );
    let (_, _, b) = send(
        app.rest(
            Method::GET,
            "agents?select=name,role&name=eq.Bob",
            Some(&u.token),
        )
        .header("accept", "application/vnd.pgrst.object+json;nulls=stripped"),
    )
    .await;
    assert_eq!(b, json!({"name": "Bob"}));
    // Unsupported body type.
    let (s, _, b) = send(
        app.rest(Method::POST, "agents", Some(&u.token))
            .header("content-type", "text/xml")
            .body("<a/>"),
    )
    .await;
    assert_eq!((s, b["code"].clone()), (415, json!("PGRST107")));
}

#[tokio::test]
async fn planned_and_estimated_counts() {
    let app = TestApp::start().await;
    let service = app.service_key();
    sqlx::query(
        "insert into public.tools (name) select 'tool-' || g from generate_series(1, 1500) g",
    )
    .execute(&app.admin)
    .await
    .unwrap();
    sqlx::query("analyze public.tools")
        .execute(&app.admin)
        .await
        .unwrap();
    let range = |prefer: &str, q: &str| {
        let rb = app
            .rest(
                Method::GET,
                &format!("tools?select=name&limit=10{q}"),
                Some(&service),
            )
            .header("prefer", prefer.to_string());
        async move {
            let (s, h, _) = send(rb).await;
            (s, h["content-range"].to_str().unwrap().to_string())
        }
    };
    assert_eq!(
        range("count=exact", "").await,
        (206, "0-9/1500".to_string())
    );
    // The planner's estimate after ANALYZE is close to, but not necessarily, the truth.
    let (s, planned) = range("count=planned", "").await;
    assert_eq!(s, 206);
    let n: i64 = planned.rsplit('/').next().unwrap().parse().unwrap();
    assert!((1400..=1600).contains(&n), "{planned}");
    // Estimated: exact below the threshold, the planner above it.
    assert_eq!(
        range("count=estimated", "&name=like.tool-1*").await.1,
        "0-9/612"
    );
    let (_, estimated) = range("count=estimated", "").await;
    let n: i64 = estimated.rsplit('/').next().unwrap().parse().unwrap();
    assert!((1400..=1600).contains(&n), "{estimated}");
    // A page that is not full gives the exact total without counting the table.
    assert_eq!(
        range("count=exact", "&name=eq.tool-7").await,
        (200, "0-0/1".to_string())
    );
}

#[tokio::test]
async fn options_and_cors() {
    let app = TestApp::start().await;
    let resp = app
        .http
        .request(Method::OPTIONS, format!("{}/rest/v1/agents", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["allow"],
        "OPTIONS,GET,HEAD,POST,PUT,PATCH,DELETE"
    );
    let resp = app
        .http
        .request(Method::OPTIONS, format!("{}/rest/v1/agents", app.base))
        .header("origin", "http://localhost:3000")
        .header("access-control-request-method", "PATCH")
        .header(
            "access-control-request-headers",
            "apikey,authorization,prefer",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    assert!(
        resp.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("PATCH")
    );
    let resp = app
        .rest(Method::GET, "agents", None)
        .header("origin", "http://localhost:3000")
        .send()
        .await
        .unwrap();
    assert!(
        resp.headers()["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .contains("content-range")
    );
}
