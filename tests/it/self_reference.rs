//! Embedding along a self-referencing foreign key, which needs a hint to pick a direction.
//! The example spec has no such table, so this test declares one by hand in the runtime's
//! metadata types (exactly what codegen emits) and creates it with SQL.

use crate::harness::TestApp;
use runtime::meta::{Catalog, Column, ColumnKind, ForeignKey, Rule, Schema, Table};
use runtime::rest::{execute, plan, query, request};
use serde_json::{Value, json};

static NODES: Table = Table {
    schema: "public",
    name: "nodes",
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
            name: "name",
            sql_type: "text",
            kind: ColumnKind::Text,
            array: false,
            nullable: false,
            default_sql: None,
            generated: false,
            rule: Rule::NONE,
        },
        Column {
            name: "parent_id",
            sql_type: "integer",
            kind: ColumnKind::Integer,
            array: false,
            nullable: true,
            default_sql: None,
            generated: false,
            rule: Rule::NONE,
        },
    ],
    primary_key: &["id"],
    foreign_keys: &[ForeignKey {
        name: "nodes_parent_id_fkey",
        columns: &["parent_id"],
        ref_schema: "public",
        ref_table: "nodes",
        ref_columns: &["id"],
    }],
    rls: false,
    policies: &[],
    view: false,
};

static CATALOG: Catalog = Catalog {
    schemas: &[Schema {
        name: "public",
        exposed: true,
        aggregates: false,
        tables: &[Table { ..NODES }],
        functions: &[],
    }],
    migrations: &[],
    openapi: &[],
    endpoints: &[],
    api_openapi: None,
};

async fn get(app: &TestApp, query_string: &str) -> Result<Value, runtime::ApiError> {
    let req = request::parse(
        &reqwest::Method::GET,
        "nodes",
        Some(query_string),
        &Default::default(),
        b"",
    )?;
    let plan = plan::plan(&CATALOG, req)?;
    let stmt = query::build(&plan);
    let auth = runtime::auth::AuthContext {
        role: "service_role",
        claims: json!({"role": "service_role"}),
    };
    let out = execute::execute(
        &app.pool,
        &auth,
        plan.table(),
        "select",
        &stmt,
        false,
        &|_| Ok(()),
    )
    .await?;
    Ok(serde_json::from_str(out.body.as_deref().unwrap_or("null")).unwrap())
}

#[tokio::test]
async fn self_references_need_and_take_a_hint() {
    let app = TestApp::start().await;
    sqlx::raw_sql(
        "create table public.nodes (id integer primary key, name text not null, parent_id integer references public.nodes(id));
         grant select on public.nodes to service_role;
         insert into public.nodes values (1, 'root', null), (2, 'left', 1), (3, 'right', 1);",
    )
    .execute(&app.admin)
    .await
    .unwrap();
    // Both directions match, so a bare embed is ambiguous and the error lists the options.
    let err = get(&app, "select=name,nodes(name)").await.unwrap_err();
    assert_eq!((err.status.as_u16(), err.code.as_str()), (300, "PGRST201"));
    assert_eq!(
        err.details
            .as_deref()
            .and_then(Value::as_array)
            .map(Vec::len),
        Some(2)
    );
    // A hint by column picks the parent (many-to-one), by constraint name the children.
    let parents = get(&app, "select=name,parent:nodes!parent_id(name)&order=id")
        .await
        .unwrap();
    assert_eq!(
        parents,
        json!([
            {"name": "root", "parent": null},
            {"name": "left", "parent": {"name": "root"}},
            {"name": "right", "parent": {"name": "root"}},
        ])
    );
    let children = get(
        &app,
        "select=name,children:nodes!nodes_parent_id_fkey(name)&id=eq.1&children.order=name",
    )
    .await
    .unwrap();
    assert_eq!(
        children,
        json!([{"name": "root", "children": [{"name": "left"}, {"name": "right"}]}])
    );
}
