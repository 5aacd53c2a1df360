//! Hybrid search over the `ai` schema: the generated `tsvector` column of chunks with its
//! GIN index, the pgvector column of embeddings with its HNSW index, and
//! `rpc/hybrid_search` fusing both, all through `/rest/v1` with the profile headers.

use crate::harness::{TestApp, send};
use reqwest::Method;
use serde_json::{Value, json};

/// The width of `ai.embeddings.embedding` in the default spec.
const DIMENSIONS: usize = 1536;

/// A unit vector along axis `i`.
pub fn basis(i: usize) -> Vec<f32> {
    let mut v = vec![0.0; DIMENSIONS];
    v[i] = 1.0;
    v
}

fn service(app: &TestApp, method: Method, path: &str) -> reqwest::RequestBuilder {
    let key = app.service_key();
    app.http
        .request(method, format!("{}/rest/v1/{path}", app.base))
        .header("apikey", &key)
        .header("authorization", format!("Bearer {key}"))
        .header("accept-profile", "ai")
        .header("content-profile", "ai")
}

/// POSTs one row as service_role and answers its id.
async fn insert(app: &TestApp, table: &str, row: Value) -> String {
    let (s, _, body) = send(
        service(app, Method::POST, table)
            .header("prefer", "return=representation")
            .json(&row),
    )
    .await;
    assert_eq!(s, 201, "insert into {table}: {body}");
    body[0]["id"].as_str().expect("id").to_string()
}

/// A knowledge base with three chunks, each embedded along its own axis.
struct Corpus {
    kb: String,
    chunks: Vec<String>,
}

const TEXTS: [&str; 3] = [
    "Refunds are issued within 14 days of the purchase.",
    "Shipping takes three business days.",
    "The office dog is called Rex.",
];

async fn corpus(app: &TestApp) -> Corpus {
    let kb = insert(app, "knowledge_bases", json!({"name": "Help center"})).await;
    let source = insert(app, "sources", json!({"name": "faq.md"})).await;
    let indexed = insert(
        app,
        "indexed_sources",
        json!({"knowledge_base_id": kb, "source_id": source}),
    )
    .await;
    let mut chunks = Vec::new();
    for (i, text) in TEXTS.iter().enumerate() {
        let chunk = insert(
            app,
            "chunks",
            json!({"knowledge_base_id": kb, "indexed_source_id": indexed, "chunk_index": i, "content": text}),
        )
        .await;
        insert(
            app,
            "embeddings",
            json!({
                "chunk_id": chunk,
                "knowledge_base_id": kb,
                "model": "text-embedding-3-small",
                "dimensions": DIMENSIONS,
                "embedding": basis(i),
            }),
        )
        .await;
        chunks.push(chunk);
    }
    Corpus { kb, chunks }
}

fn ids(body: &Value) -> Vec<String> {
    body.as_array()
        .unwrap_or_else(|| panic!("an array: {body}"))
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect()
}

#[tokio::test]
async fn chunks_keep_a_search_document_that_clients_cannot_write() {
    let app = TestApp::start().await;
    let c = corpus(&app).await;

    // The tsvector column is filled in by the database and filtered as it is, with
    // stemming: "refund" finds "Refunds".
    let (s, _, body) = send(service(
        &app,
        Method::GET,
        "chunks?select=id,fts&fts=wfts(english).refund",
    ))
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(ids(&body), [c.chunks[0].clone()]);
    assert!(
        body[0]["fts"]
            .as_str()
            .is_some_and(|d| d.contains("'refund'")),
        "{body}"
    );
    let (s, _, body) = send(service(
        &app,
        Method::GET,
        "chunks?select=id&fts=plfts.office dog",
    ))
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(ids(&body), [c.chunks[2].clone()]);

    // Writing it is refused with the field named, on insert and on update.
    let (s, _, body) = send(service(&app, Method::POST, "chunks").json(&json!({
        "knowledge_base_id": c.kb,
        "indexed_source_id": Value::Null,
        "chunk_index": 9,
        "content": "x",
        "fts": "'x':1",
    })))
    .await;
    assert_eq!(s, 400, "{body}");
    assert_eq!(body["code"], "VALIDATION_ERROR", "{body}");
    assert!(
        body["details"]["fts"]
            .as_str()
            .is_some_and(|m| m.contains("generated")),
        "{body}"
    );
    let (s, _, body) = send(
        service(
            &app,
            Method::PATCH,
            &format!("chunks?id=eq.{}", c.chunks[1]),
        )
        .json(&json!({"fts": "'y':1"})),
    )
    .await;
    assert_eq!(s, 400, "{body}");
    assert!(body["details"]["fts"].is_string(), "{body}");

    // An edit of the content re-derives the document.
    let (s, _, body) = send(
        service(
            &app,
            Method::PATCH,
            &format!("chunks?id=eq.{}", c.chunks[1]),
        )
        .header("prefer", "return=representation")
        .json(&json!({"content": "Parcels leave the warehouse daily."})),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert!(
        body[0]["fts"]
            .as_str()
            .is_some_and(|d| d.contains("'warehous'")),
        "{body}"
    );
}

#[tokio::test]
async fn embeddings_are_vectors_of_the_declared_width() {
    let app = TestApp::start().await;
    let c = corpus(&app).await;

    // Read back in pgvector's text form, as PostgREST answers it.
    let (s, _, body) = send(service(
        &app,
        Method::GET,
        &format!("embeddings?select=embedding&chunk_id=eq.{}", c.chunks[0]),
    ))
    .await;
    assert_eq!(s, 200, "{body}");
    let text = body[0]["embedding"].as_str().expect("text form");
    let parsed: Vec<f32> = serde_json::from_str(text).expect("a JSON-shaped list");
    assert_eq!(parsed, basis(0));

    // A vector of the wrong width is refused before it reaches the database...
    let (s, _, body) = send(service(&app, Method::POST, "embeddings").json(&json!({
        "chunk_id": c.chunks[1],
        "knowledge_base_id": c.kb,
        "model": "other-model",
        "dimensions": 3,
        "embedding": [0.1, 0.2, 0.3],
    })))
    .await;
    assert_eq!(s, 400, "{body}");
    assert_eq!(body["code"], "VALIDATION_ERROR", "{body}");
    assert!(
        body["details"]["embedding"]
            .as_str()
            .is_some_and(|m| m.contains("1536 numbers")),
        "{body}"
    );
    // ... and so is one in text form, by the database, as a client error.
    let (s, _, body) = send(service(&app, Method::POST, "embeddings").json(&json!({
        "chunk_id": c.chunks[1],
        "knowledge_base_id": c.kb,
        "model": "other-model",
        "dimensions": 3,
        "embedding": "[0.1,0.2,0.3]",
    })))
    .await;
    assert_eq!(s, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("dimensions")),
        "{body}"
    );
}

#[tokio::test]
async fn hybrid_search_fuses_meaning_and_words() {
    let app = TestApp::start().await;
    let c = corpus(&app).await;
    let user = app.user("searcher@example.com").await;
    let call = |args: Value| {
        app.rest(Method::POST, "rpc/hybrid_search", Some(&user.token))
            .header("content-profile", "ai")
            .json(&args)
    };

    // Near chunk 1 by meaning, then chunk 0; only chunk 1 by words: chunk 1 leads, being
    // high in both lists.
    let mut query = basis(1);
    query[0] = 0.5;
    let (s, _, body) = send(call(json!({
        "knowledge_base_id": c.kb,
        "query_text": "shipping",
        "query_embedding": query,
        "match_count": 3,
    })))
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        ids(&body),
        [
            c.chunks[1].clone(),
            c.chunks[0].clone(),
            c.chunks[2].clone()
        ]
    );

    // Words alone, meaning alone, and the count.
    let (s, _, body) = send(call(json!({
        "knowledge_base_id": c.kb,
        "query_text": "refund",
        "query_embedding": null,
    })))
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(ids(&body), [c.chunks[0].clone()]);
    let (s, _, body) = send(call(json!({
        "knowledge_base_id": c.kb,
        "query_text": null,
        "query_embedding": basis(2),
        "match_count": 1,
    })))
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(ids(&body), [c.chunks[2].clone()]);

    // Another knowledge base's chunks never come back.
    let other = insert(&app, "knowledge_bases", json!({"name": "Elsewhere"})).await;
    let (s, _, body) = send(call(json!({
        "knowledge_base_id": other,
        "query_text": "refund",
        "query_embedding": basis(0),
    })))
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body, json!([]));

    // Execution is granted to signed-in users and service_role, not to anon.
    let (s, _, body) = send(
        app.rest(Method::POST, "rpc/hybrid_search", None)
            .header("content-profile", "ai")
            .json(&json!({"knowledge_base_id": c.kb, "query_text": "refund", "query_embedding": null})),
    )
    .await;
    assert_eq!(s, 401, "{body}");
}

/// The plan Postgres picks for `sql`, with sequential scans discouraged so that a usable
/// index shows (the tables are tiny).
async fn plan(app: &TestApp, sql: &str, arg: &str) -> String {
    let mut tx = app.admin.begin().await.expect("transaction");
    sqlx::query("set local enable_seqscan = off")
        .execute(&mut *tx)
        .await
        .expect("set");
    let rows: Vec<String> = sqlx::query_scalar(&format!("explain {sql}"))
        .bind(arg)
        .fetch_all(&mut *tx)
        .await
        .unwrap_or_else(|e| panic!("{e}: {sql}"));
    rows.join("\n")
}

#[tokio::test]
async fn both_halves_of_the_search_have_their_index() {
    let app = TestApp::start().await;
    corpus(&app).await;
    let nearest = plan(
        &app,
        "select id from ai.embeddings order by embedding <=> $1::vector limit 5",
        &serde_json::to_string(&basis(3)).expect("json"),
    )
    .await;
    assert!(nearest.contains("embeddings_embedding_idx"), "{nearest}");
    let words = plan(
        &app,
        "select id from ai.chunks where fts @@ websearch_to_tsquery('english', $1)",
        "refund",
    )
    .await;
    assert!(words.contains("chunks_fts_idx"), "{words}");
}
