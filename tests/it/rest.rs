//! `/rest/v1` over HTTP: reads, writes, headers and every error status of the foundation.

use crate::harness::{TestApp, send};
use reqwest::Method;
use serde_json::{Value, json};

async fn seed_agents(app: &TestApp, token: &str, names: &[(&str, &str)]) -> Vec<Value> {
    let rows: Vec<Value> = names
        .iter()
        .map(|(name, framework)| json!({"name": name, "framework": framework}))
        .collect();
    let (status, _, body) = send(
        app.rest(Method::POST, "agents", Some(token))
            .header("prefer", "return=representation")
            .json(&rows),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body.as_array().expect("array").clone()
}

#[tokio::test]
async fn read_filters_order_and_paging() {
    let app = TestApp::start().await;
    let u = app.user("reader@example.com").await;
    seed_agents(
        &app,
        &u.token,
        &[
            ("Alpha", "openai"),
            ("Beta", "anthropic"),
            ("Gamma", "google"),
            ("Delta", "openai"),
        ],
    )
    .await;
    let get = |q: &str| app.rest(Method::GET, &format!("agents?{q}"), Some(&u.token));

    let (s, h, b) = send(get("select=name&order=name.asc")).await;
    assert_eq!(s, 200);
    assert_eq!(
        b,
        json!([{"name":"Alpha"},{"name":"Beta"},{"name":"Delta"},{"name":"Gamma"}])
    );
    assert_eq!(h["content-range"], "0-3/*");
    // Each stage reports its time.
    let timing = h["server-timing"].to_str().unwrap();
    for stage in [
        "auth;dur=",
        "request;dur=",
        "plan;dur=",
        "query;dur=",
        "execute;dur=",
        "response;dur=",
        "total;dur=",
    ] {
        assert!(timing.contains(stage), "{timing}");
    }

    let (_, _, b) = send(get("select=name&framework=eq.openai&order=name.desc")).await;
    assert_eq!(b, json!([{"name":"Delta"},{"name":"Alpha"}]));
    let (_, _, b) = send(get("select=name&framework=neq.openai&order=name")).await;
    assert_eq!(b, json!([{"name":"Beta"},{"name":"Gamma"}]));
    let (_, _, b) = send(get("select=name&name=ilike.*ta&order=name")).await;
    assert_eq!(b, json!([{"name":"Beta"},{"name":"Delta"}]));
    let (_, _, b) = send(get("select=name&name=like.G*")).await;
    assert_eq!(b, json!([{"name":"Gamma"}]));
    let (_, _, b) = send(get(
        "select=name&framework=in.(google,anthropic)&order=name",
    ))
    .await;
    assert_eq!(b, json!([{"name":"Beta"},{"name":"Gamma"}]));
    let (_, _, b) = send(get(
        "select=name&framework=not.in.(google,anthropic)&order=name",
    ))
    .await;
    assert_eq!(b, json!([{"name":"Alpha"},{"name":"Delta"}]));
    let (_, _, b) = send(get("select=name&model=is.null&name=gt.C&order=name")).await;
    assert_eq!(b, json!([{"name":"Delta"},{"name":"Gamma"}]));
    let (_, _, b) = send(get("select=name&name=gte.Delta&name=lt.Gamma&order=name")).await;
    assert_eq!(b, json!([{"name":"Delta"}]));
    let (_, _, b) = send(get("select=name&name=lte.Beta&order=name")).await;
    assert_eq!(b, json!([{"name":"Alpha"},{"name":"Beta"}]));
    let (_, _, b) = send(get(
        "select=name&or=(name.eq.Alpha,framework.eq.google)&order=name",
    ))
    .await;
    assert_eq!(b, json!([{"name":"Alpha"},{"name":"Gamma"}]));
    let (_, _, b) = send(get("select=label:name,framework::text&name=eq.Beta")).await;
    assert_eq!(b, json!([{"label":"Beta","framework":"anthropic"}]));

    // limit/offset and Range, with and without a total.
    let (s, h, b) = send(get("select=name&order=name&limit=2&offset=1")).await;
    assert_eq!((s, b), (200, json!([{"name":"Beta"},{"name":"Delta"}])));
    assert_eq!(h["content-range"], "1-2/*");
    let (s, h, b) = send(
        get("select=name&order=name")
            .header("range", "0-1")
            .header("prefer", "count=exact"),
    )
    .await;
    assert_eq!((s, b), (206, json!([{"name":"Alpha"},{"name":"Beta"}])));
    assert_eq!(h["content-range"], "0-1/4");
    // The unit may be named in the value or in Range-Unit (only `items` exists); an open
    // end runs to the last row.
    let (s, h, b) = send(
        get("select=name&order=name")
            .header("range-unit", "items")
            .header("range", "items=2-")
            .header("prefer", "count=exact"),
    )
    .await;
    assert_eq!((s, b), (206, json!([{"name":"Delta"},{"name":"Gamma"}])));
    assert_eq!(h["content-range"], "2-3/4");
    let (s, _, b) = send(get("select=name").header("range", "items=x-2")).await;
    assert_eq!((s, b["code"].as_str()), (400, Some("PGRST103")), "{b}");
    let (s, _, b) = send(get("select=name&offset=10").header("prefer", "count=exact")).await;
    assert_eq!(s, 416, "{b}");
    assert_eq!(b["code"], "PGRST103");

    // HEAD gives headers only.
    let resp = app
        .rest(Method::HEAD, "agents", Some(&u.token))
        .header("prefer", "count=exact")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-range"], "0-3/4");
    assert!(resp.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn writes_and_single_objects() {
    let app = TestApp::start().await;
    let u = app.user("writer@example.com").await;
    // One object with return=representation and the single-object media type.
    let (s, h, created) = send(
        app.rest(
            Method::POST,
            "agents?select=id,name,user_id,framework,status,settings",
            Some(&u.token),
        )
        .header("prefer", "return=representation")
        .header("accept", "application/vnd.pgrst.object+json")
        .json(&json!({"name": "Solo", "settings": {"temperature": 0.5, "stop": ["END"]}})),
    )
    .await;
    assert_eq!(s, 201, "{created}");
    assert!(
        h["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/vnd.pgrst.object+json")
    );
    assert_eq!(
        created["user_id"],
        json!(u.id),
        "user_id defaults to the caller"
    );
    assert_eq!(created["framework"], "openai");
    assert_eq!(created["status"], "idle");
    assert_eq!(
        created["settings"],
        json!({"temperature": 0.5, "stop": ["END"]})
    );
    let id = created["id"].as_str().unwrap().to_string();

    // return=minimal (the default): 201 and no body.
    let (s, _, b) = send(
        app.rest(Method::POST, "agents", Some(&u.token))
            .json(&json!({"name": "Quiet"})),
    )
    .await;
    assert_eq!((s, b), (201, Value::Null));

    // PATCH with a filter: minimal gives 204, representation the changed rows.
    let (s, _, _) = send(
        app.rest(Method::PATCH, &format!("agents?id=eq.{id}"), Some(&u.token))
            .json(&json!({"model": "gpt-4o"})),
    )
    .await;
    assert_eq!(s, 204);
    let (s, _, b) = send(
        app.rest(
            Method::PATCH,
            &format!("agents?id=eq.{id}&select=name,model,status"),
            Some(&u.token),
        )
        .header("prefer", "return=representation")
        .json(&json!({"status": "thinking"})),
    )
    .await;
    assert_eq!(
        (s, b),
        (
            200,
            json!([{"name":"Solo","model":"gpt-4o","status":"thinking"}])
        )
    );

    // Single object on a read: one row is an object, zero or several are a 406.
    let (s, _, b) = send(
        app.rest(
            Method::GET,
            &format!("agents?id=eq.{id}&select=name"),
            Some(&u.token),
        )
        .header("accept", "application/vnd.pgrst.object+json"),
    )
    .await;
    assert_eq!((s, b), (200, json!({"name": "Solo"})));
    let (s, _, b) = send(
        app.rest(Method::GET, "agents", Some(&u.token))
            .header("accept", "application/vnd.pgrst.object+json"),
    )
    .await;
    assert_eq!(s, 406);
    assert_eq!(b["code"], "PGRST116");
    assert_eq!(b["details"], "The result contains 2 rows");
    let (s, _, b) = send(
        app.rest(Method::GET, "agents?name=eq.nobody", Some(&u.token))
            .header("accept", "application/vnd.pgrst.object+json"),
    )
    .await;
    assert_eq!(
        (s, b["details"].clone()),
        (406, json!("The result contains 0 rows"))
    );

    // A single-object write touching several rows is refused and rolled back.
    let (s, _, b) = send(
        app.rest(Method::PATCH, "agents?name=not.is.null", Some(&u.token))
            .header("prefer", "return=representation")
            .header("accept", "application/vnd.pgrst.object+json")
            .json(&json!({"role": "changed"})),
    )
    .await;
    assert_eq!((s, b["code"].clone()), (406, json!("PGRST116")));
    let changed: i64 =
        sqlx::query_scalar("select count(*) from public.agents where role = 'changed'")
            .fetch_one(&app.admin)
            .await
            .unwrap();
    assert_eq!(changed, 0);

    // PATCH and DELETE need filters.
    let (s, _, b) = send(app.rest(Method::DELETE, "agents", Some(&u.token))).await;
    assert_eq!((s, b["code"].clone()), (400, json!("21000")));
    let (s, _, b) = send(
        app.rest(Method::PATCH, "agents", Some(&u.token))
            .json(&json!({"role": "x"})),
    )
    .await;
    assert_eq!((s, b["code"].clone()), (400, json!("21000")));

    // DELETE with representation returns what was removed; minimal gives 204.
    let (s, _, b) = send(
        app.rest(
            Method::DELETE,
            &format!("agents?id=eq.{id}&select=name"),
            Some(&u.token),
        )
        .header("prefer", "return=representation"),
    )
    .await;
    assert_eq!((s, b), (200, json!([{"name": "Solo"}])));
    let (s, _, _) = send(app.rest(Method::DELETE, "agents?name=eq.Quiet", Some(&u.token))).await;
    assert_eq!(s, 204);
    let left: i64 = sqlx::query_scalar("select count(*) from public.agents")
        .fetch_one(&app.admin)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn validation_names_each_field() {
    let app = TestApp::start().await;
    let u = app.user("validate@example.com").await;
    let (s, _, b) = send(
        app.rest(Method::POST, "agents", Some(&u.token)).json(&json!({
            "framework": "cohere",
            "status": "sleeping",
            "settings": {"temperature": 3, "max_tokens": 1.5, "presence_penalty": -2.5, "top_p": "high", "stop": ["a", 1]}
        })),
    )
    .await;
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["code"], "VALIDATION_ERROR");
    assert_eq!(
        b["details"],
        json!({
            "name": "name is required",
            "framework": "framework must be one of: openai, anthropic, google",
            "status": "status must be one of: idle, thinking, responding, error",
            "settings.temperature": "settings.temperature must be between 0 and 2",
            "settings.max_tokens": "settings.max_tokens must be an integer",
            "settings.presence_penalty": "settings.presence_penalty must be between -2 and 2",
            "settings.top_p": "settings.top_p must be a number",
            "settings.stop": "settings.stop must be an array of strings",
        })
    );
    let (s, _, b) = send(
        app.rest(Method::POST, "agents", Some(&u.token))
            .json(&json!({"name": "x".repeat(101)})),
    )
    .await;
    assert_eq!(
        (s, b["details"].clone()),
        (
            400,
            json!({"name": "name must be 1 to 100 characters long"})
        )
    );
    // Updates check only what they change, and null where it is not allowed.
    let (s, _, b) = send(
        app.rest(Method::PATCH, "agents?name=eq.x", Some(&u.token))
            .json(&json!({"name": null})),
    )
    .await;
    assert_eq!(
        (s, b["details"].clone()),
        (400, json!({"name": "name must not be null"}))
    );
    let nothing: i64 = sqlx::query_scalar("select count(*) from public.agents")
        .fetch_one(&app.admin)
        .await
        .unwrap();
    assert_eq!(nothing, 0);
}

#[tokio::test]
async fn errors_use_postgrest_codes_and_statuses() {
    let app = TestApp::start().await;
    let u = app.user("errors@example.com").await;
    let service = app.service_key();

    // Unknown table: 404 with a hint.
    let (s, _, b) = send(app.rest(Method::GET, "agent", Some(&u.token))).await;
    assert_eq!((s, b["code"].clone()), (404, json!("PGRST205")));
    assert_eq!(b["hint"], "Perhaps you meant the table 'public.agents'");
    // Unknown column in select, filter and order: 400 42703; in a body: 400 PGRST204.
    for q in ["select=nme", "nme=eq.x", "order=nme"] {
        let (s, _, b) = send(app.rest(Method::GET, &format!("agents?{q}"), Some(&u.token))).await;
        assert_eq!((s, b["code"].clone()), (400, json!("42703")), "{q}");
        assert_eq!(
            b["hint"],
            "Perhaps you meant to reference the column \"agents.name\"."
        );
    }
    let (s, _, b) = send(
        app.rest(Method::POST, "agents", Some(&u.token))
            .json(&json!({"name": "a", "nmae": 1})),
    )
    .await;
    assert_eq!((s, b["code"].clone()), (400, json!("PGRST204")));
    // Bad grammar and bad values.
    let (s, _, b) = send(app.rest(Method::GET, "agents?name=foo.bar", Some(&u.token))).await;
    assert_eq!((s, b["code"].clone()), (400, json!("PGRST100")));
    let (s, _, b) = send(app.rest(Method::GET, "agents?id=eq.not-a-uuid", Some(&u.token))).await;
    assert_eq!((s, b["code"].clone()), (400, json!("22P02")));
    let (s, _, b) = send(
        app.rest(Method::POST, "agents", Some(&u.token))
            .header("content-type", "application/json")
            .body("{oops"),
    )
    .await;
    assert_eq!((s, b["code"].clone()), (400, json!("PGRST102")));
    // Unique violation: 409.
    let tool = json!({"name": "web_search"});
    let svc = |m: Method, p: &str| app.rest(m, p, Some(&service));
    let (s, _, _) = send(svc(Method::POST, "tools").json(&tool)).await;
    assert_eq!(s, 201);
    let (s, _, b) = send(svc(Method::POST, "tools").json(&tool)).await;
    assert_eq!((s, b["code"].clone()), (409, json!("23505")));
    // Foreign key violation: 409.
    let (s, _, b) = send(
        svc(Method::POST, "agent_tools")
            .json(&json!({"agent_id": uuid::Uuid::new_v4(), "tool_id": uuid::Uuid::new_v4()})),
    )
    .await;
    assert_eq!((s, b["code"].clone()), (409, json!("23503")));
    // Privileges: anon may not insert (401); a user may not write the tool catalogue (403).
    let (s, _, b) = send(
        app.rest(Method::POST, "agents", None)
            .json(&json!({"name": "anon"})),
    )
    .await;
    assert_eq!((s, b["code"].clone()), (401, json!("42501")));
    let (s, _, b) = send(
        app.rest(Method::POST, "tools", Some(&u.token))
            .json(&json!({"name": "mine"})),
    )
    .await;
    assert_eq!((s, b["code"].clone()), (403, json!("42501")));
    assert!(
        b["details"]
            .as_str()
            .unwrap()
            .contains("no insert privilege on public.tools"),
        "{b}"
    );
    // Unexposed schema: 406.
    let (s, _, b) = send(
        app.rest(Method::GET, "users", Some(&service))
            .header("accept-profile", "auth"),
    )
    .await;
    assert_eq!((s, b["code"].clone()), (406, json!("PGRST106")));
    // Unsupported media type on Accept: 406.
    let (s, _, b) = send(
        app.rest(Method::GET, "agents", Some(&u.token))
            .header("accept", "text/html"),
    )
    .await;
    assert_eq!((s, b["code"].clone()), (406, json!("PGRST107")));
}

#[tokio::test]
async fn check_violations_from_postgres_are_400() {
    // Request validation mirrors every CHECK, so a violation can only come from SQL that
    // skips it; run one through the same execute stage the handlers use.
    let app = TestApp::start().await;
    let u = app.user("check@example.com").await;
    let auth = runtime::auth::AuthContext {
        role: "authenticated",
        claims: json!({"sub": u.id, "role": "authenticated"}),
    };
    let table = generated::CATALOG.table("public", "agents").unwrap();
    let stmt = runtime::rest::query::Statement {
        sql: "insert into public.agents (name, framework) values ('x', 'cohere')".into(),
        binds: vec![],
        returns_summary: false,
        explain: None,
    };
    let err =
        runtime::rest::execute::execute(&app.pool, &auth, table, "insert", &stmt, false, &|_| {
            Ok(())
        })
        .await
        .unwrap_err();
    assert_eq!((err.status.as_u16(), err.code.as_str()), (400, "23514"));
    assert!(
        err.message.contains("agents_framework_check"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn tokens_are_checked() {
    let app = TestApp::start().await;
    let get = || app.http.get(format!("{}/rest/v1/agents", app.base));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let expired = app
        .jwt
        .sign(&json!({"role": "authenticated", "sub": uuid::Uuid::new_v4(), "exp": now - 10}));
    let other =
        runtime::auth::Jwt::new(b"some-other-secret-that-is-32-chars-long").api_key("service_role");
    let anon = app.anon_key();
    let mut tampered = app.jwt.api_key("anon");
    tampered = tampered.replace(
        &tampered[tampered.find('.').unwrap() + 1..tampered.rfind('.').unwrap()],
        "eyJyb2xlIjoic2VydmljZV9yb2xlIn0",
    );
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let none = format!(
        "{}.{}.",
        b64(r#"{"alg":"none","typ":"JWT"}"#),
        b64(r#"{"role":"service_role"}"#)
    );
    let cases: Vec<(&str, reqwest::RequestBuilder, &str)> = vec![
        ("missing", get(), "PGRST302"),
        ("malformed", get().header("apikey", "abc"), "PGRST301"),
        (
            "expired",
            get()
                .header("apikey", &anon)
                .header("authorization", format!("Bearer {expired}")),
            "PGRST303",
        ),
        ("wrong secret", get().header("apikey", &other), "PGRST301"),
        (
            "tampered",
            get()
                .header("apikey", &anon)
                .header("authorization", format!("Bearer {tampered}")),
            "PGRST301",
        ),
        (
            "alg none",
            get()
                .header("apikey", &anon)
                .header("authorization", format!("Bearer {none}")),
            "PGRST301",
        ),
        (
            "not bearer",
            get()
                .header("apikey", &anon)
                .header("authorization", "Basic abc"),
            "PGRST301",
        ),
    ];
    for (name, rb, code) in cases {
        let (s, h, b) = send(rb).await;
        assert_eq!(s, 401, "{name}: {b}");
        assert_eq!(b["code"], code, "{name}");
        assert!(h.contains_key("www-authenticate"), "{name}");
    }
}

#[tokio::test]
async fn openapi_document_is_served() {
    let app = TestApp::start().await;
    let (s, h, doc) = send(app.rest(Method::GET, "", None)).await;
    assert_eq!(s, 200);
    assert!(
        h["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openapi+json")
    );
    assert_eq!(
        doc,
        serde_json::from_str::<Value>(generated::CATALOG.openapi_for("public").unwrap()).unwrap()
    );
    assert!(doc["paths"]["/agents"].is_object(), "{doc}");
    assert_eq!(
        doc["components"]["schemas"]["agents"]["properties"]["name"]["maxLength"],
        100
    );
}
