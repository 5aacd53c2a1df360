//! The `ai` schema on `/rest/v1`: chosen with the profile headers, guarded by its default
//! access posture (checked table by table, caller by caller, command by command), and
//! answering the read and bulk-write requests the platform recommends PostgREST for.

use crate::harness::{TestApp, User, send};
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::cell::Cell;
use std::collections::BTreeMap;
use uuid::Uuid;

/// How a table is shared, as `spec/ai.yaml` declares it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// User-configurable: every signed-in user reads and writes every row.
    Config,
    /// Session-shaped: a signed-in user reads and writes only rows whose `user_id` is theirs.
    Mine,
    /// Written by the platform: signed-in users read every row and write none.
    Read,
    /// Secrets: service_role only.
    Secret,
}

/// Every table of the schema, parents before children, with its posture.
const TABLES: &[(&str, Kind)] = &[
    ("sources", Kind::Config),
    ("knowledge_bases", Kind::Config),
    ("indexed_sources", Kind::Read),
    ("chunks", Kind::Read),
    ("embeddings", Kind::Read),
    ("enrichment_configs", Kind::Config),
    ("page_index_toc", Kind::Read),
    ("page_index_nodes", Kind::Read),
    ("full_documents", Kind::Read),
    ("doc2json_documents", Kind::Read),
    ("graph_index_toc", Kind::Read),
    ("graph_index_nodes", Kind::Read),
    ("agents", Kind::Config),
    ("agent_sessions", Kind::Mine),
    ("tools", Kind::Config),
    ("agent_tools", Kind::Config),
    ("agent_knowledge_bases", Kind::Config),
    ("agent_mcp_servers", Kind::Config),
    ("hooks", Kind::Config),
    ("orchestrations", Kind::Config),
    ("workflows", Kind::Config),
    ("orchestration_entities", Kind::Config),
    ("orchestration_sessions", Kind::Mine),
    ("orchestration_runs", Kind::Mine),
    ("workflow_blocks", Kind::Config),
    ("workflow_edges", Kind::Config),
    ("workflow_executions", Kind::Read),
    ("workflow_block_logs", Kind::Read),
    ("agent_runs", Kind::Mine),
    ("context_handlers", Kind::Config),
    ("tool_call_events", Kind::Read),
    ("message_citations", Kind::Read),
    ("copilot_sessions", Kind::Read),
    ("copilot_messages", Kind::Read),
    ("project_settings", Kind::Config),
    ("ai_provider_keys", Kind::Secret),
];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Caller {
    Anon,
    UserA,
    UserB,
    Service,
}

const CALLERS: [Caller; 4] = [Caller::Anon, Caller::UserA, Caller::UserB, Caller::Service];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Command {
    Select,
    Insert,
    Update,
    Delete,
}

/// What a caller's request does to the fixture row it targets.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Outcome {
    /// Succeeds and reaches the row.
    Allowed,
    /// Succeeds but does not reach the row (RLS filters it out); anon reads an empty list.
    Filtered,
    /// Refused: 401 for anon, 403 for a signed-in user, and nothing changes.
    Denied,
}

/// The default posture: the fixture row of a `Mine` table belongs to user A.
fn expected(kind: Kind, caller: Caller, command: Command) -> Outcome {
    use Outcome::*;
    match (kind, caller, command) {
        (_, Caller::Service, _) => Allowed,
        (Kind::Secret, _, _) => Denied,
        (_, Caller::Anon, Command::Select) => Filtered,
        (_, Caller::Anon, _) => Denied,
        (Kind::Config, _, _) => Allowed,
        (Kind::Read, _, Command::Select) => Allowed,
        (Kind::Read, _, _) => Denied,
        (Kind::Mine, Caller::UserA, _) => Allowed,
        // B creates rows of its own, and neither sees nor changes A's.
        (Kind::Mine, Caller::UserB, Command::Insert) => Allowed,
        (Kind::Mine, Caller::UserB, _) => Filtered,
    }
}

/// Fixture rows written as the superuser, and the request bodies of each table.
struct World {
    admin: PgPool,
    a: User,
    b: User,
    /// The row of each table that requests target (user A's in `Mine` tables).
    ids: BTreeMap<&'static str, Uuid>,
    /// User B's row in each `Mine` table.
    b_rows: BTreeMap<&'static str, Uuid>,
    counter: Cell<u32>,
    /// A credential sealed under the project's key: what credential columns and header
    /// values must hold, whichever surface writes them.
    sealed: String,
}

impl World {
    async fn new(app: &TestApp) -> World {
        let mut world = World {
            admin: app.admin.clone(),
            a: app.user("a@example.com").await,
            b: app.user("b@example.com").await,
            ids: BTreeMap::new(),
            b_rows: BTreeMap::new(),
            counter: Cell::new(0),
            sealed: app
                .jwt
                .sealing_key()
                .seal("fixture-credential-1234")
                .expect("seal"),
        };
        for &(table, kind) in TABLES {
            let a = world.a.id.clone();
            let id = world.put(table, world.body(table, &a).await).await;
            world.ids.insert(table, id);
            if kind == Kind::Mine {
                let b = world.b.id.clone();
                let id = world.put(table, world.body(table, &b).await).await;
                world.b_rows.insert(table, id);
            }
            if table == "workflow_blocks" {
                let second = world.put(table, world.body(table, &a).await).await;
                world.ids.insert("workflow_blocks#2", second);
            }
        }
        world
    }

    fn id(&self, table: &str) -> String {
        self.ids[table].to_string()
    }

    fn next(&self) -> u32 {
        self.counter.set(self.counter.get() + 1);
        self.counter.get()
    }

    /// Inserts a row as the superuser; absent keys take the column defaults.
    async fn put(&self, table: &str, body: Value) -> Uuid {
        let columns: Vec<String> = body
            .as_object()
            .expect("object body")
            .keys()
            .map(|k| format!("\"{k}\""))
            .collect();
        let list = columns.join(", ");
        let sql = format!(
            "insert into ai.\"{table}\" ({list}) \
             select {list} from jsonb_populate_record(null::ai.\"{table}\", $1) returning id"
        );
        sqlx::query_scalar(&sql)
            .bind(&body)
            .fetch_one(&self.admin)
            .await
            .unwrap_or_else(|e| panic!("fixture row of {table}: {e}"))
    }

    /// A fresh source indexed into the fixture knowledge base.
    async fn fresh_indexed_source(&self) -> Uuid {
        let n = self.next();
        let source = self
            .put("sources", json!({"name": format!("source {n}")}))
            .await;
        self.put(
            "indexed_sources",
            json!({"knowledge_base_id": self.id("knowledge_bases"), "source_id": source}),
        )
        .await
    }

    /// A valid new row of `table`; `owner` is the `user_id` of session-shaped rows. Rows
    /// under a one-per-parent unique constraint get a parent of their own.
    async fn body(&self, table: &str, owner: &str) -> Value {
        let n = self.next();
        let id = |t: &str| self.id(t);
        match table {
            "sources" => {
                json!({"name": format!("source {n}"), "type": "url", "tags": ["web"], "user_id": owner})
            }
            "knowledge_bases" => json!({"name": format!("kb {n}"), "user_id": owner}),
            "indexed_sources" => {
                let source = self
                    .put("sources", json!({"name": format!("source {n}")}))
                    .await;
                json!({"knowledge_base_id": id("knowledge_bases"), "source_id": source})
            }
            "chunks" => json!({
                "knowledge_base_id": id("knowledge_bases"),
                "indexed_source_id": id("indexed_sources"),
                "chunk_index": n,
                "content": "Refunds are issued within 14 days.",
            }),
            "embeddings" => json!({
                "chunk_id": id("chunks"),
                "knowledge_base_id": id("knowledge_bases"),
                "model": format!("model-{n}"),
                "dimensions": 1536,
                "embedding": crate::search::basis(n as usize % 1536),
            }),
            "enrichment_configs" => json!({
                "knowledge_base_id": id("knowledge_bases"),
                "name": format!("summaries {n}"),
                "type": "summary",
            }),
            "page_index_toc" | "full_documents" | "doc2json_documents" | "graph_index_toc" => {
                let indexed = self.fresh_indexed_source().await;
                let mut v = json!({
                    "indexed_source_id": indexed,
                    "knowledge_base_id": id("knowledge_bases"),
                });
                if table == "full_documents" {
                    v["content"] = json!("The whole text.");
                }
                v
            }
            "page_index_nodes" => json!({"toc_id": id("page_index_toc"), "title": "Intro"}),
            "graph_index_nodes" => json!({"toc_id": id("graph_index_toc"), "name": "Acme"}),
            "agents" => {
                json!({"name": format!("agent {n}"), "system_prompt": "Be brief.", "user_id": owner})
            }
            "agent_sessions" => json!({"agent_id": id("agents"), "user_id": owner}),
            "agent_runs" => json!({"agent_id": id("agents"), "user_id": owner}),
            "tools" => json!({
                "name": format!("tool {n}"),
                "user_id": owner,
                "config": {"endpoint": "https://tools.example.com", "headers": {"authorization": self.sealed}},
            }),
            "agent_tools" => {
                let tool = self
                    .put("tools", json!({"name": format!("tool {n}")}))
                    .await;
                json!({"agent_id": id("agents"), "tool_id": tool})
            }
            "agent_knowledge_bases" => {
                let kb = self
                    .put("knowledge_bases", json!({"name": format!("kb {n}")}))
                    .await;
                json!({"agent_id": id("agents"), "knowledge_base_id": kb})
            }
            "agent_mcp_servers" => json!({
                "agent_id": id("agents"),
                "name": format!("mcp {n}"),
                "url": "https://mcp.example.com",
                "headers": {"authorization": self.sealed},
            }),
            "hooks" => json!({
                "agent_id": id("agents"),
                "event": "before_run",
                "type": "webhook",
                "config": {"url": "https://example.com/hook", "headers": {"x-token": self.sealed}},
            }),
            "orchestrations" => json!({"name": format!("orchestration {n}"), "user_id": owner}),
            "orchestration_entities" => json!({
                "orchestration_id": id("orchestrations"),
                "entity_type": "agent",
                "agent_id": id("agents"),
            }),
            "orchestration_sessions" | "orchestration_runs" => {
                json!({"orchestration_id": id("orchestrations"), "user_id": owner})
            }
            "workflows" => json!({"name": format!("workflow {n}"), "user_id": owner}),
            "workflow_blocks" => json!({
                "workflow_id": id("workflows"),
                "name": format!("block {n}"),
                "type": "agent",
            }),
            "workflow_edges" => json!({
                "workflow_id": id("workflows"),
                "source_block_id": id("workflow_blocks"),
                "target_block_id": id("workflow_blocks#2"),
            }),
            "workflow_executions" => json!({"workflow_id": id("workflows")}),
            "workflow_block_logs" => json!({
                "execution_id": id("workflow_executions"),
                "block_id": id("workflow_blocks"),
            }),
            "context_handlers" => json!({"name": format!("context {n}"), "user_id": owner}),
            "tool_call_events" => json!({"run_id": id("agent_runs"), "tool_name": "web_search"}),
            "message_citations" => json!({
                "run_id": id("agent_runs"),
                "source_id": id("sources"),
                "citation_index": 1,
            }),
            "copilot_sessions" => json!({"user_id": owner}),
            "copilot_messages" => json!({
                "session_id": id("copilot_sessions"),
                "role": "user",
                "content": "Add a retry block.",
            }),
            "project_settings" => json!({"key": format!("setting {n}"), "value": {"on": true}}),
            "ai_provider_keys" => json!({
                "provider": "openai",
                "name": format!("key {n}"),
                "encrypted_key": self.sealed,
                "key_hint": "1234",
            }),
            other => panic!("no body for {other}"),
        }
    }

    async fn exists(&self, table: &str, id: Uuid) -> bool {
        sqlx::query_scalar(&format!(
            "select exists (select 1 from ai.\"{table}\" where id = $1)"
        ))
        .bind(id)
        .fetch_one(&self.admin)
        .await
        .expect("exists")
    }

    async fn created_at_is(&self, table: &str, id: Uuid, stamp: &str) -> bool {
        sqlx::query_scalar(&format!(
            "select coalesce((select created_at = $2::timestamptz from ai.\"{table}\" where id = $1), false)"
        ))
        .bind(id)
        .bind(stamp)
        .fetch_one(&self.admin)
        .await
        .expect("created_at")
    }
}

/// A `/rest/v1` request on the `ai` schema as `caller`.
fn ai_request(
    app: &TestApp,
    world: &World,
    caller: Caller,
    method: Method,
    path: &str,
) -> reqwest::RequestBuilder {
    let service = app.service_key();
    let token = match caller {
        Caller::Anon => None,
        Caller::UserA => Some(world.a.token.as_str()),
        Caller::UserB => Some(world.b.token.as_str()),
        Caller::Service => Some(service.as_str()),
    };
    let header = if method == Method::GET {
        "accept-profile"
    } else {
        "content-profile"
    };
    app.rest(method, path, token).header(header, "ai")
}

fn denied_status(caller: Caller) -> u16 {
    if caller == Caller::Anon { 401 } else { 403 }
}

#[tokio::test]
async fn the_seed_example_request_needs_the_profile_header() {
    let app = TestApp::start().await;
    let world = World::new(&app).await;
    let (s, _, body) = send(ai_request(
        &app,
        &world,
        Caller::Service,
        Method::GET,
        "agent_runs?limit=10",
    ))
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body.as_array().map(Vec::len), Some(2), "{body}");
    for field in [
        "run_id",
        "session_id",
        "parent_orchestration_run_id",
        "parent_workflow_execution_id",
        "status",
        "input_messages",
        "output_messages",
        "content",
        "usage",
        "retrieved_context",
        "error",
        "started_at",
        "completed_at",
        "steps",
        "events",
        "tool_calls",
        "reasoning_steps",
        "created_at",
    ] {
        assert!(body[0].get(field).is_some(), "agent_runs has no {field}");
    }

    // A signed-in user gets only their own runs.
    let (s, _, body) = send(ai_request(
        &app,
        &world,
        Caller::UserA,
        Method::GET,
        "agent_runs?limit=10&select=id",
    ))
    .await;
    assert_eq!(
        (s, body),
        (200, json!([{"id": world.id("agent_runs")}])),
        "user A sees their run only"
    );

    // Without the header the default schema, public, answers: it has no such table.
    let (s, _, body) =
        send(app.rest(Method::GET, "agent_runs?limit=10", Some(&app.service_key()))).await;
    assert_eq!(s, 404, "{body}");
    assert_eq!(body["code"], "PGRST205", "{body}");

    // The schema's OpenAPI document is served with the same header.
    let (s, _, doc) = send(
        app.rest(Method::GET, "", Some(&app.service_key()))
            .header("accept-profile", "ai"),
    )
    .await;
    assert_eq!(s, 200);
    let paths = doc["paths"].as_object().expect("paths");
    assert_eq!(
        TABLES
            .iter()
            .filter(|(t, _)| paths.contains_key(&format!("/{t}")))
            .count(),
        TABLES.len(),
        "every ai table has a path: {:?}",
        paths.keys().collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn every_table_follows_the_default_posture() {
    let app = TestApp::start().await;
    let world = World::new(&app).await;
    let mut wrong = Vec::new();
    let mut checked = 0;
    for &(table, kind) in TABLES {
        for (i, caller) in CALLERS.into_iter().enumerate() {
            let target = world.ids[table];
            let deny = denied_status(caller);

            // select
            let want = expected(kind, caller, Command::Select);
            let (s, _, body) = send(ai_request(
                &app,
                &world,
                caller,
                Method::GET,
                &format!("{table}?select=id"),
            ))
            .await;
            let seen: Vec<String> = body
                .as_array()
                .map(|rows| {
                    rows.iter()
                        .filter_map(|r| r["id"].as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let sees = |id: Uuid| seen.contains(&id.to_string());
            let got = match s {
                200 if sees(target) => Outcome::Allowed,
                200 if caller != Caller::Anon || seen.is_empty() => Outcome::Filtered,
                s if s == deny => Outcome::Denied,
                _ => {
                    wrong.push(format!("{table} select as {caller:?}: {s} {body}"));
                    continue;
                }
            };
            if got != want {
                wrong.push(format!(
                    "{table} select as {caller:?}: want {want:?}, got {got:?} ({s})"
                ));
            }
            if let Some(&b_row) = world.b_rows.get(table) {
                let want_b = matches!(caller, Caller::UserB | Caller::Service);
                if sees(b_row) != want_b {
                    wrong.push(format!(
                        "{table} select as {caller:?}: user B's row seen: {}",
                        !want_b
                    ));
                }
            }

            // insert
            let want = expected(kind, caller, Command::Insert);
            let owner = if caller == Caller::UserB {
                &world.b.id
            } else {
                &world.a.id
            };
            let new_id = Uuid::new_v4();
            let mut row = world.body(table, owner).await;
            row["id"] = json!(new_id);
            let (s, _, body) =
                send(ai_request(&app, &world, caller, Method::POST, table).json(&row)).await;
            let got = match (s, world.exists(table, new_id).await) {
                (201, true) => Outcome::Allowed,
                (s, false) if s == deny => Outcome::Denied,
                (s, there) => {
                    wrong.push(format!(
                        "{table} insert as {caller:?}: {s}, row written: {there}, {body}"
                    ));
                    continue;
                }
            };
            if got != want {
                wrong.push(format!(
                    "{table} insert as {caller:?}: want {want:?}, got {got:?}"
                ));
            }

            // update
            let want = expected(kind, caller, Command::Update);
            let stamp = format!("{}-01-01T00:00:00Z", 2001 + i);
            let (s, _, body) = send(
                ai_request(
                    &app,
                    &world,
                    caller,
                    Method::PATCH,
                    &format!("{table}?id=eq.{target}"),
                )
                .json(&json!({"created_at": stamp})),
            )
            .await;
            let got = match (s, world.created_at_is(table, target, &stamp).await) {
                (204, true) => Outcome::Allowed,
                (204, false) => Outcome::Filtered,
                (s, false) if s == deny => Outcome::Denied,
                (s, changed) => {
                    wrong.push(format!(
                        "{table} update as {caller:?}: {s}, changed: {changed}, {body}"
                    ));
                    continue;
                }
            };
            if got != want {
                wrong.push(format!(
                    "{table} update as {caller:?}: want {want:?}, got {got:?}"
                ));
            }

            // delete, of a row of its own (user A's in session-shaped tables)
            let want = expected(kind, caller, Command::Delete);
            let doomed = world.put(table, world.body(table, &world.a.id).await).await;
            let (s, _, body) = send(ai_request(
                &app,
                &world,
                caller,
                Method::DELETE,
                &format!("{table}?id=eq.{doomed}"),
            ))
            .await;
            let got = match (s, world.exists(table, doomed).await) {
                (204, false) => Outcome::Allowed,
                (204, true) => Outcome::Filtered,
                (s, true) if s == deny => Outcome::Denied,
                (s, there) => {
                    wrong.push(format!(
                        "{table} delete as {caller:?}: {s}, row left: {there}, {body}"
                    ));
                    continue;
                }
            };
            if got != want {
                wrong.push(format!(
                    "{table} delete as {caller:?}: want {want:?}, got {got:?}"
                ));
            }
            checked += 4;
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of the matrix differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert_eq!(checked, TABLES.len() * CALLERS.len() * 4);
}

#[tokio::test]
async fn a_user_cannot_file_runs_or_sessions_for_someone_else() {
    let app = TestApp::start().await;
    let world = World::new(&app).await;
    for table in [
        "agent_sessions",
        "agent_runs",
        "orchestration_sessions",
        "orchestration_runs",
    ] {
        let mut row = world.body(table, &world.a.id).await;
        let id = Uuid::new_v4();
        row["id"] = json!(id);
        let (s, _, body) =
            send(ai_request(&app, &world, Caller::UserB, Method::POST, table).json(&row)).await;
        assert_eq!(
            (s, body["code"].as_str()),
            (403, Some("42501")),
            "{table}: {body}"
        );
        assert!(!world.exists(table, id).await, "{table}");
        // Nor hand one's own row over to them.
        let b_row = world.b_rows[table];
        let (s, _, body) = send(
            ai_request(
                &app,
                &world,
                Caller::UserB,
                Method::PATCH,
                &format!("{table}?id=eq.{b_row}"),
            )
            .json(&json!({"user_id": world.a.id})),
        )
        .await;
        assert_eq!(s, 403, "{table}: {body}");
    }
    // The secret column is out of reach even when named.
    let (s, _, _) = send(ai_request(
        &app,
        &world,
        Caller::UserA,
        Method::GET,
        "ai_provider_keys?select=provider,key_hint",
    ))
    .await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn the_recommended_postgrest_reads_and_bulk_writes_work() {
    let app = TestApp::start().await;
    let world = World::new(&app).await;
    let admin = &world.admin;
    let user = Caller::UserA;

    // Runs of the last 7 days whose agent's system prompt mentions refunds, in one request.
    let refunds = world
        .put(
            "agents",
            json!({"name": "Refund desk", "system_prompt": "You handle REFUND requests politely."}),
        )
        .await;
    let recent = world
        .put(
            "agent_runs",
            json!({"agent_id": refunds, "user_id": world.a.id, "status": "completed"}),
        )
        .await;
    let old = world
        .put(
            "agent_runs",
            json!({"agent_id": refunds, "user_id": world.a.id}),
        )
        .await;
    sqlx::query("update ai.agent_runs set created_at = now() - interval '30 days' where id = $1")
        .bind(old)
        .execute(admin)
        .await
        .expect("age a run");
    let week_ago: String = sqlx::query_scalar(
        "select to_char((now() - interval '7 days') at time zone 'utc', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
    )
    .fetch_one(admin)
    .await
    .expect("timestamp");
    let (s, _, body) = send(ai_request(
        &app,
        &world,
        user,
        Method::GET,
        &format!(
            "agent_runs?select=id,status,agents!inner(system_prompt)\
             &agents.system_prompt=ilike.*refund*&created_at=gte.{week_ago}"
        ),
    ))
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        body,
        json!([{
            "id": recent,
            "status": "completed",
            "agents": {"system_prompt": "You handle REFUND requests politely."},
        }])
    );

    // Bulk-tag sources with one PATCH and a filter.
    for (name, tags) in [
        ("a", json!(["legacy"])),
        ("b", json!(["legacy", "pdf"])),
        ("c", json!(["new"])),
    ] {
        world
            .put(
                "sources",
                json!({"name": format!("bulk {name}"), "tags": tags}),
            )
            .await;
    }
    let (s, _, body) = send(
        ai_request(
            &app,
            &world,
            user,
            Method::PATCH,
            "sources?tags=cs.{legacy}&select=name,tags&order=name",
        )
        .header("prefer", "return=representation")
        .json(&json!({"tags": ["migrated"]})),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        body,
        json!([
            {"name": "bulk a", "tags": ["migrated"]},
            {"name": "bulk b", "tags": ["migrated"]},
        ])
    );
    let untouched: Vec<String> =
        sqlx::query_scalar("select name from ai.sources where tags = '{new}'")
            .fetch_all(admin)
            .await
            .expect("untouched");
    assert_eq!(untouched, ["bulk c"]);

    // Usage analytics in one request: runs and tokens per status.
    sqlx::query(
        "update ai.agent_runs set usage = jsonb_build_object('total_tokens', 100) where user_id = $1",
    )
    .bind(Uuid::parse_str(&world.a.id).unwrap())
    .execute(admin)
    .await
    .expect("usage");
    let (s, _, body) = send(ai_request(
        &app,
        &world,
        user,
        Method::GET,
        "agent_runs?select=status,runs:count(),tokens:usage->total_tokens.sum()&order=status",
    ))
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        body,
        json!([
            {"status": "completed", "runs": 1, "tokens": 100},
            {"status": "pending", "runs": 2, "tokens": 200},
        ])
    );
    // Another user's runs are not in their totals.
    let (_, _, body) = send(ai_request(
        &app,
        &world,
        Caller::UserB,
        Method::GET,
        "agent_runs?select=runs:count()",
    ))
    .await;
    assert_eq!(body, json!([{"runs": 1}]));
}

/// The strict posture (`spec/ai.strict.yaml.example`) applied over the default one: every
/// row is its owner's, and another signed-in user neither sees nor changes it.
#[tokio::test]
async fn the_strict_posture_scopes_every_row_to_its_owner() {
    let app = TestApp::start().await;
    let world = World::new(&app).await;
    let spec = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ai-strict-it");
    let _ = std::fs::remove_dir_all(&spec);
    std::fs::create_dir_all(&spec).expect("folder");
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    for (from, to) in [
        ("auth.yaml", "auth.yaml"),
        ("public.yaml", "public.yaml"),
        ("ai.strict.yaml.example", "ai.yaml"),
    ] {
        std::fs::copy(root.join("spec").join(from), spec.join(to)).expect("copy spec file");
    }
    let switched = codegen::generate_project(&spec, &root.join("generated/artifacts/migrations"))
        .expect("the strict spec builds");
    assert!(switched.new_migration.is_some());
    let switch = switched.migrations.last().expect("the switch");
    sqlx::raw_sql(&switch.sql)
        .execute(&world.admin)
        .await
        .expect("the switch applies");

    let mut wrong = Vec::new();
    for &(table, kind) in TABLES {
        if kind == Kind::Secret || table == "project_settings" {
            continue;
        }
        let target = world.ids[table];
        for caller in [Caller::UserA, Caller::UserB] {
            let (s, _, body) = send(ai_request(
                &app,
                &world,
                caller,
                Method::GET,
                &format!("{table}?select=id&id=eq.{target}"),
            ))
            .await;
            let sees = body.as_array().is_some_and(|rows| rows.len() == 1);
            if s != 200 || sees != (caller == Caller::UserA) {
                wrong.push(format!("{table} select as {caller:?}: {s} {body}"));
            }
        }
        let stamp = "1999-01-01T00:00:00Z";
        let (s, _, _) = send(
            ai_request(
                &app,
                &world,
                Caller::UserB,
                Method::PATCH,
                &format!("{table}?id=eq.{target}"),
            )
            .json(&json!({"created_at": stamp})),
        )
        .await;
        let allowed = if kind == Kind::Read { 403 } else { 204 };
        if s != allowed || world.created_at_is(table, target, stamp).await {
            wrong.push(format!("{table} update as UserB: {s}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // Nor can B attach things to A's agent.
    let mut row = world.body("agent_tools", &world.b.id).await;
    row["id"] = json!(Uuid::new_v4());
    let (s, _, body) =
        send(ai_request(&app, &world, Caller::UserB, Method::POST, "agent_tools").json(&row)).await;
    assert_eq!(s, 403, "{body}");
}

/// Credentials (provider keys, and the header values of MCP servers, custom tools and
/// webhooks) are held sealed whichever surface writes them: `/api` seals them, and the
/// table checks refuse plain text from `/rest/v1`, even from service_role.
#[tokio::test]
async fn rest_writes_of_plain_credentials_are_refused() {
    let app = TestApp::start().await;
    let world = World::new(&app).await;
    let plain = "Bearer sk-live-plain-text-1234";
    // A value shaped like a sealed one in its prefix only.
    let prefixed = "v1:sk-live-plain-text-1234";
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "agent_mcp_servers",
            json!({"headers": {"authorization": plain}}),
            "agent_mcp_servers_headers_sealed",
        ),
        (
            "agent_mcp_servers",
            json!({"headers": {"authorization": world.sealed, "x-other": prefixed}}),
            "agent_mcp_servers_headers_sealed",
        ),
        (
            "agent_mcp_servers",
            json!({"headers": {"authorization": [world.sealed]}}),
            "agent_mcp_servers_headers_sealed",
        ),
        (
            "tools",
            json!({"config": {"endpoint": "https://x.example.com", "headers": {"authorization": plain}}}),
            "tools_config_headers_sealed",
        ),
        (
            "tools",
            json!({"config": {"headers": "authorization: secret"}}),
            "tools_config_headers_sealed",
        ),
        (
            "hooks",
            json!({"config": {"url": "https://example.com/hook", "headers": {"x-token": plain}}}),
            "hooks_config_headers_sealed",
        ),
        (
            "ai_provider_keys",
            json!({"encrypted_key": plain}),
            "ai_provider_keys_encrypted_key_sealed",
        ),
        (
            "ai_provider_keys",
            json!({"encrypted_key": prefixed}),
            "ai_provider_keys_encrypted_key_sealed",
        ),
    ];
    for (table, change, constraint) in &cases {
        let callers: &[Caller] = if *table == "ai_provider_keys" {
            &[Caller::Service]
        } else {
            &[Caller::UserA, Caller::Service]
        };
        for &caller in callers {
            // Insert: a valid row with the plain credential in it.
            let mut row = world.body(table, &world.a.id).await;
            let id = Uuid::new_v4();
            row["id"] = json!(id);
            for (k, v) in change.as_object().unwrap() {
                row[k] = v.clone();
            }
            let (s, _, body) =
                send(ai_request(&app, &world, caller, Method::POST, table).json(&row)).await;
            assert_eq!(
                (s, body["code"].as_str()),
                (400, Some("23514")),
                "{table} insert as {caller:?}: {body}"
            );
            assert!(
                body["message"].as_str().unwrap().contains(constraint),
                "{body}"
            );
            assert!(!world.exists(table, id).await, "{table}");

            // Update of the fixture row.
            let target = world.ids[*table];
            let (s, _, body) = send(
                ai_request(
                    &app,
                    &world,
                    caller,
                    Method::PATCH,
                    &format!("{table}?id=eq.{target}"),
                )
                .json(change),
            )
            .await;
            assert_eq!(
                (s, body["code"].as_str()),
                (400, Some("23514")),
                "{table} update as {caller:?}: {body}"
            );
        }
    }

    // Reads through /rest/v1 show the sealed values, never the plain text.
    for (table, column) in [
        ("agent_mcp_servers", "headers"),
        ("tools", "config"),
        ("hooks", "config"),
        ("ai_provider_keys", "encrypted_key"),
    ] {
        let caller = if table == "ai_provider_keys" {
            Caller::Service
        } else {
            Caller::UserA
        };
        let (s, _, rows) = send(ai_request(
            &app,
            &world,
            caller,
            Method::GET,
            &format!("{table}?select={column}"),
        ))
        .await;
        assert_eq!(s, 200, "{rows}");
        let text = rows.to_string();
        assert!(
            text.contains(&world.sealed)
                && !text.contains("fixture-credential")
                && !text.contains(plain),
            "{table}: {text}"
        );
    }
    // A sealed value written through /rest/v1 is accepted, and opens to its plain text.
    let sealed = app.jwt.sealing_key().seal(plain).unwrap();
    let target = world.ids["agent_mcp_servers"];
    let (s, _, body) = send(
        ai_request(
            &app,
            &world,
            Caller::UserA,
            Method::PATCH,
            &format!("agent_mcp_servers?id=eq.{target}"),
        )
        .json(&json!({"headers": {"authorization": sealed}})),
    )
    .await;
    assert_eq!(s, 204, "{body}");
    let stored: Value =
        sqlx::query_scalar("select headers from ai.agent_mcp_servers where id = $1")
            .bind(target)
            .fetch_one(&world.admin)
            .await
            .unwrap();
    let opened = app.jwt.sealing_key().open_object(&stored).unwrap();
    assert_eq!(opened["authorization"], plain);
}
