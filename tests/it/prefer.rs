//! `Prefer` handling on writes: upserts, PUT, missing=default, headers-only with
//! `Location`, max-affected, tx=rollback and strict handling.

use crate::harness::{TestApp, send};
use reqwest::Method;
use serde_json::{Value, json};

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.admin).await.unwrap()
}

#[tokio::test]
async fn upserts_and_put() {
    let app = TestApp::start().await;
    let service = app.service_key();
    let post = |prefer: &str, q: &str, body: Value| {
        app.rest(Method::POST, &format!("tools{q}"), Some(&service))
            .header("prefer", prefer)
            .json(&body)
    };
    let (s, _, _) = send(post(
        "return=minimal",
        "",
        json!({"name": "search", "category": "web"}),
    ))
    .await;
    assert_eq!(s, 201);
    // Without a resolution a duplicate is a conflict.
    let (s, _, _) = send(post("return=minimal", "", json!({"name": "search"}))).await;
    assert_eq!(s, 409);
    // merge-duplicates on a unique column updates the row in place.
    let (s, h, b) = send(post(
        "resolution=merge-duplicates,return=representation",
        "?on_conflict=name&select=name,category",
        json!([{"name": "search", "category": "internet"}, {"name": "maps", "category": "geo"}]),
    ))
    .await;
    assert_eq!(
        (s, b),
        (
            201,
            json!([{"name": "search", "category": "internet"}, {"name": "maps", "category": "geo"}])
        )
    );
    assert_eq!(
        h["preference-applied"],
        "resolution=merge-duplicates, return=representation"
    );
    // ignore-duplicates keeps the existing row.
    let (s, _, b) = send(post(
        "resolution=ignore-duplicates,return=representation",
        "?on_conflict=name&select=name,category",
        json!({"name": "maps", "category": "ignored"}),
    ))
    .await;
    assert_eq!((s, b), (201, json!([])));
    assert_eq!(
        count(
            &app,
            "select count(*) from public.tools where category = 'geo'"
        )
        .await,
        1
    );
    let (s, _, b) = send(post(
        "resolution=merge-duplicates",
        "?on_conflict=nope",
        json!({"name": "x"}),
    ))
    .await;
    assert_eq!((s, b["code"].clone()), (400, json!("42703")));

    // PUT upserts one row addressed by its primary key.
    let id = uuid::Uuid::new_v4().to_string();
    let put = |body: Value, q: &str| {
        app.rest(Method::PUT, &format!("tools?id=eq.{id}{q}"), Some(&service))
            .header("prefer", "return=representation")
            .json(&body)
    };
    let (s, _, b) = send(put(json!({"id": id, "name": "calendar"}), "&select=name")).await;
    assert_eq!((s, b), (200, json!([{"name": "calendar"}])));
    let (s, _, b) = send(put(json!({"id": id, "name": "calendar2"}), "&select=name")).await;
    assert_eq!((s, b), (200, json!([{"name": "calendar2"}])));
    assert_eq!(
        count(
            &app,
            "select count(*) from public.tools where name like 'calendar%'"
        )
        .await,
        1
    );
    let (s, _, b) = send(put(json!({"id": uuid::Uuid::new_v4(), "name": "x"}), "")).await;
    assert_eq!((s, b["code"].clone()), (400, json!("PGRST115")));
    let (s, _, b) = send(
        app.rest(Method::PUT, "tools?name=eq.x", Some(&service))
            .json(&json!({"name": "x"})),
    )
    .await;
    assert_eq!((s, b["code"].clone()), (405, json!("PGRST105")));
}

#[tokio::test]
async fn missing_default_headers_only_and_location() {
    let app = TestApp::start().await;
    let u = app.user("prefer@example.com").await;
    // Without missing=default, a key absent from one row of a bulk insert is null.
    let rows = json!([{"name": "a", "status": "thinking"}, {"name": "b"}]);
    let (s, _, b) = send(
        app.rest(Method::POST, "agents?select=name,status", Some(&u.token))
            .header("prefer", "return=representation")
            .json(&rows),
    )
    .await;
    assert_eq!(
        (s, b),
        (
            201,
            json!([{"name": "a", "status": "thinking"}, {"name": "b", "status": null}])
        )
    );
    let (s, _, b) = send(
        app.rest(Method::POST, "agents?select=name,status", Some(&u.token))
            .header("prefer", "return=representation, missing=default")
            .json(&json!([{"name": "c", "status": "thinking"}, {"name": "d"}])),
    )
    .await;
    assert_eq!(
        (s, b),
        (
            201,
            json!([{"name": "c", "status": "thinking"}, {"name": "d", "status": "idle"}])
        )
    );

    // headers-only: no body, a Location naming the new row.
    let (s, h, b) = send(
        app.rest(Method::POST, "agents", Some(&u.token))
            .header("prefer", "return=headers-only")
            .json(&json!({"name": "e"})),
    )
    .await;
    assert_eq!((s, b), (201, Value::Null));
    let location = h["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/agents?id=eq."), "{location}");
    let (_, _, b) = send(app.rest(
        Method::GET,
        &format!("{}&select=name", &location[1..]),
        Some(&u.token),
    ))
    .await;
    assert_eq!(b, json!([{"name": "e"}]));
}

#[tokio::test]
async fn max_affected_rollback_and_strict_handling() {
    let app = TestApp::start().await;
    let u = app.user("strict@example.com").await;
    let (s, _, _) = send(
        app.rest(Method::POST, "agents", Some(&u.token))
            .json(&json!([{"name": "a"}, {"name": "b"}, {"name": "c"}])),
    )
    .await;
    assert_eq!(s, 201);
    // max-affected under strict handling refuses and rolls back.
    let (s, _, b) = send(
        app.rest(Method::PATCH, "agents?name=neq.zzz", Some(&u.token))
            .header("prefer", "handling=strict, max-affected=2")
            .json(&json!({"role": "bulk"})),
    )
    .await;
    assert_eq!((s, b["code"].clone()), (400, json!("PGRST124")));
    assert_eq!(
        count(
            &app,
            "select count(*) from public.agents where role = 'bulk'"
        )
        .await,
        0
    );
    let (s, _, _) = send(
        app.rest(Method::PATCH, "agents?name=eq.a", Some(&u.token))
            .header("prefer", "handling=strict, max-affected=2")
            .json(&json!({"role": "one"})),
    )
    .await;
    assert_eq!(s, 204);
    assert_eq!(
        count(
            &app,
            "select count(*) from public.agents where role = 'one'"
        )
        .await,
        1
    );
    // tx=rollback answers as if committed, and keeps nothing.
    let (s, h, b) = send(
        app.rest(
            Method::DELETE,
            "agents?name=eq.b&select=name",
            Some(&u.token),
        )
        .header("prefer", "tx=rollback, return=representation"),
    )
    .await;
    assert_eq!((s, b), (200, json!([{"name": "b"}])));
    assert_eq!(
        h["preference-applied"],
        "tx=rollback, return=representation"
    );
    assert_eq!(
        count(&app, "select count(*) from public.agents where name = 'b'").await,
        1
    );
    // Unknown preferences are ignored, unless handling=strict.
    let (s, _, _) = send(
        app.rest(Method::GET, "agents", Some(&u.token))
            .header("prefer", "frobnicate=yes"),
    )
    .await;
    assert_eq!(s, 200);
    let (s, _, b) = send(
        app.rest(Method::GET, "agents", Some(&u.token))
            .header("prefer", "handling=strict, frobnicate=yes"),
    )
    .await;
    assert_eq!((s, b["code"].clone()), (400, json!("PGRST122")));
}
