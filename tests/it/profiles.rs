//! Schema selection with `Accept-Profile` / `Content-Profile` when several schemas are
//! exposed. The example spec exposes one schema, so this test declares a second catalog by
//! hand in the runtime's metadata types and serves it.

use crate::harness::{TestApp, send};
use reqwest::Method;
use runtime::meta::{Catalog, Column, ColumnKind, Rule, Schema, Table};
use serde_json::json;

const fn notes(schema: &'static str) -> Table {
    Table {
        schema,
        name: "notes",
        columns: &[
            Column {
                name: "id",
                sql_type: "integer",
                kind: ColumnKind::Integer,
                array: false,
                nullable: false,
                default_sql: None,
                generated: false,
                rule: Rule::NONE,
            },
            Column {
                name: "body",
                sql_type: "text",
                kind: ColumnKind::Text,
                array: false,
                nullable: false,
                default_sql: None,
                generated: false,
                rule: Rule::NONE,
            },
        ],
        primary_key: &["id"],
        foreign_keys: &[],
        rls: false,
        policies: &[],
        view: false,
    }
}

static CATALOG: Catalog = Catalog {
    schemas: &[
        Schema {
            name: "hidden",
            exposed: false,
            aggregates: false,
            tables: &[notes("hidden")],
            functions: &[],
        },
        Schema {
            name: "public",
            exposed: true,
            aggregates: false,
            tables: &[notes("public")],
            functions: &[],
        },
        Schema {
            name: "work",
            exposed: true,
            aggregates: false,
            tables: &[notes("work")],
            functions: &[],
        },
    ],
    migrations: &[],
    openapi: &[],
    endpoints: &[],
    api_openapi: None,
};

#[tokio::test]
async fn profiles_pick_the_schema() {
    let app = TestApp::start().await;
    sqlx::raw_sql(
        "create schema work; create schema hidden;
         create table public.notes (id integer primary key, body text not null);
         create table work.notes (id integer primary key, body text not null);
         create table hidden.notes (id integer primary key, body text not null);
         grant usage on schema work, hidden to service_role;
         grant all on public.notes, work.notes, hidden.notes to service_role;
         insert into public.notes values (1, 'public note');
         insert into work.notes values (1, 'work note');",
    )
    .execute(&app.admin)
    .await
    .unwrap();
    let state = runtime::server::AppState {
        catalog: &CATALOG,
        pool: app.pool.clone(),
        jwt: app.jwt.clone(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, runtime::server::app(state))
            .await
            .unwrap()
    });
    let key = app.service_key();
    let req = |m: Method, q: &str| {
        app.http
            .request(m, format!("{base}/rest/v1/{q}"))
            .header("apikey", &key)
    };

    // Without a profile the default (public) schema answers.
    assert_eq!(
        send(req(Method::GET, "notes?select=body")).await.2,
        json!([{"body": "public note"}])
    );
    assert_eq!(
        send(req(Method::GET, "notes?select=body").header("accept-profile", "work"))
            .await
            .2,
        json!([{"body": "work note"}])
    );
    // Writes take Content-Profile.
    let (s, _, b) = send(
        req(Method::POST, "notes?select=body")
            .header("content-profile", "work")
            .header("prefer", "return=representation")
            .json(&json!({"id": 2, "body": "second"})),
    )
    .await;
    assert_eq!((s, b), (201, json!([{"body": "second"}])));
    let n: i64 = sqlx::query_scalar("select count(*) from work.notes")
        .fetch_one(&app.admin)
        .await
        .unwrap();
    assert_eq!(n, 2);
    // A schema that is not exposed, or does not exist, is a 406 naming the exposed ones.
    for profile in ["hidden", "nope"] {
        let (s, _, b) = send(req(Method::GET, "notes").header("accept-profile", profile)).await;
        assert_eq!(
            (s, b["code"].clone()),
            (406, json!("PGRST106")),
            "{profile}"
        );
        assert_eq!(
            b["message"],
            "The schema must be one of the following: public, work"
        );
    }
}
