//! `ferrobase spec import` against PostgreSQL: a database read back into spec files gives,
//! through codegen, the database it was read from.
//!
//! "No-op" is shown three ways: the imported spec applied to an empty database gives the
//! same catalog (compared as in `evolution`); its model differs from the example spec's
//! only where the database cannot hold the spec's words; and importing the database that
//! the imported spec made gives the same files, so a build over the first import's
//! migration writes no new one.

use crate::evolution::{apply, assert_same_schema, schema};
use crate::harness::{TestApp, fresh_database};
use codegen::emit::migrations::MigrationFile;
use runtime::import::{ImportedSpec, import};
use runtime::migrate::{self, MigrationSource};
use serde_json::Value;
use sqlx::PgPool;
use std::path::{Path, PathBuf};

/// A clean folder under the test binary's temporary directory.
fn folder(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("it-import")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("test folder");
    dir
}

fn write(dir: &Path, files: &[ImportedSpec]) {
    for f in files {
        std::fs::write(dir.join(&f.file_name), &f.yaml).expect("write spec file");
    }
}

/// The platform migration and then `migrations`, as the server applies them.
fn with_platform(migrations: &[MigrationFile]) -> Vec<MigrationSource<'_>> {
    runtime::platform::MIGRATIONS
        .iter()
        .map(|m| MigrationSource {
            version: m.version,
            name: m.name,
            sql: m.sql,
        })
        .chain(migrations.iter().map(|m| MigrationSource {
            version: &m.version,
            name: &m.name,
            sql: &m.sql,
        }))
        .collect()
}

/// A fresh database with the platform migration applied, then `sql`.
async fn database_with(sql: &str) -> PgPool {
    let (_, pool) = fresh_database().await;
    apply(&pool, &[]).await;
    sqlx::raw_sql(sql).execute(&pool).await.expect("fixture");
    pool
}

/// The leaves where two JSON values differ, as paths; arrays of objects with a `name` are
/// paired by name, so that order does not count.
fn differences(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    let named = |items: &[Value]| -> Option<Vec<(String, Value)>> {
        items
            .iter()
            .map(|i| {
                let name = i.get("name")?.as_str()?;
                let key = match i.get("schema").and_then(Value::as_str) {
                    Some(schema) => format!("{schema}.{name}"),
                    None => name.to_string(),
                };
                Some((key, i.clone()))
            })
            .collect()
    };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                differences(
                    &format!("{path}.{k}"),
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        (Value::Array(x), Value::Array(y)) => match (named(x), named(y)) {
            (Some(x), Some(y)) => {
                let mut keys: Vec<&String> = x.iter().chain(&y).map(|(k, _)| k).collect();
                keys.sort();
                keys.dedup();
                for k in keys {
                    let find = |items: &[(String, Value)]| {
                        items
                            .iter()
                            .find(|(n, _)| n == k)
                            .map(|(_, v)| v.clone())
                            .unwrap_or(Value::Null)
                    };
                    differences(&format!("{path}[{k}]"), &find(&x), &find(&y), out);
                }
            }
            _ if a != b => out.push(path.to_string()),
            _ => {}
        },
        _ if a != b => out.push(path.to_string()),
        _ => {}
    }
}

#[tokio::test]
async fn importing_the_example_database_and_regenerating_changes_nothing() {
    let app = TestApp::start().await;
    let files = import(&app.admin, &["ai".into(), "public".into(), "auth".into()])
        .await
        .expect("import");
    let names: Vec<&str> = files.iter().map(|f| f.file_name.as_str()).collect();
    assert_eq!(names, ["ai.yaml", "auth.yaml", "public.yaml"]);
    // Everything is in the spec format; a view only reminds that its relationships and
    // nullability are the spec's to declare.
    for f in &files {
        let other: Vec<&String> = f
            .notes
            .iter()
            .filter(|n| !n.contains("a view's column nullability and relationships"))
            .collect();
        assert!(
            other.is_empty(),
            "{}: the example is all in the spec format: {other:?}",
            f.file_name,
        );
    }
    assert!(
        files[2]
            .notes
            .iter()
            .any(|n| n.starts_with("public.agent_overview: a view's")),
        "{:?}",
        files[2].notes
    );
    let dir = folder("example/spec");
    write(&dir, &files);
    let imported = codegen::generate_dir(&dir).expect("the imported spec builds");

    // The imported spec, applied to an empty database, gives the catalog it came from.
    let (_, fresh) = fresh_database().await;
    apply(&fresh, &imported.migrations).await;
    assert_same_schema(
        &schema(&app.admin).await,
        &schema(&fresh).await,
        "the example database imported and applied from scratch",
    );

    // Its model is the example spec's, table by table, but for what a database does not
    // hold: a JSON shape (its CHECK comes back as a plain check), the aggregates setting,
    // a view's nullability and relationships, and SQL that Postgres prints its own way.
    let original =
        codegen::generate_dir(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec"))
            .expect("the example spec");
    let mut found = Vec::new();
    differences(
        "",
        &serde_json::to_value(&original.ir).expect("model serializes"),
        &serde_json::to_value(&imported.ir).expect("model serializes"),
        &mut found,
    );
    let expected = [
        ".functions[public.agent_count].args[framework].default_sql",
        ".schemas[ai].aggregates",
        ".schemas[public].aggregates",
        ".tables[ai.agent_mcp_servers].checks[agent_mcp_servers_headers_sealed].expr",
        ".tables[ai.ai_provider_keys].checks[ai_provider_keys_encrypted_key_sealed].expr",
        ".tables[ai.hooks].checks[hooks_config_headers_sealed].expr",
        ".tables[ai.orchestration_entities].checks[orchestration_entities_one_target].expr",
        ".tables[ai.sources].columns[tags].default.literal",
        ".tables[ai.sources].columns[tags].default.sql",
        ".tables[ai.tools].checks[tools_config_headers_sealed].expr",
        ".tables[public.agent_tools].policies[Owners assign tools to their agents].with_check",
        ".tables[public.agent_tools].policies[Owners change their agents' tools].using",
        ".tables[public.agent_tools].policies[Owners change their agents' tools].with_check",
        ".tables[public.agent_tools].policies[Owners remove their agents' tools].using",
        ".tables[public.agent_tools].policies[Owners see their agents' tools].using",
        ".tables[public.agents].checks[agents_settings_check].column",
        ".tables[public.agents].checks[agents_settings_check].expr",
        ".tables[public.agents].columns[settings].rule.shape",
        ".views[public.agent_overview].columns[agent_id].nullable",
        ".views[public.agent_overview].columns[framework].nullable",
        ".views[public.agent_overview].columns[name].nullable",
        ".views[public.agent_overview].columns[tools].nullable",
        ".views[public.agent_overview].foreign_keys[agent_overview_agent_id_fkey]",
    ];
    assert_eq!(found, expected, "the imported model differs elsewhere");

    // Importing the database the imported spec made gives the same files, so a project
    // whose first migration came from the import gets no second one.
    let again = import(&fresh, &["ai".into(), "public".into(), "auth".into()])
        .await
        .expect("second import");
    for (a, b) in files.iter().zip(&again) {
        assert_eq!(
            a.yaml, b.yaml,
            "{} changed on the second import",
            a.file_name
        );
    }
    let project = folder("example/project");
    imported.write_to(&project).expect("write migrations");
    let spec_again = folder("example/spec-again");
    write(&spec_again, &again);
    let rebuilt = codegen::generate_project(&spec_again, &project.join("migrations"))
        .expect("the second import builds over the first");
    assert_eq!(rebuilt.new_migration, None, "no migration after re-import");
    fresh.close().await;
}

/// A schema written by hand, as an existing project has it: every object is one the spec
/// can hold, so the import applied from scratch gives the same catalog.
const SHOP: &str = r#"
create schema shop;
comment on schema shop is 'Orders and their lines.';
grant usage on schema shop to anon, authenticated, service_role;

create table shop.customers (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid(),
  email text not null unique,
  name text check (char_length(name) > 0),
  tags text[] not null default '{}',
  score numeric not null default 0,
  "order" integer,
  created_at timestamptz not null default now()
);
comment on table shop.customers is 'People who order.';
comment on column shop.customers.email is 'Where receipts go.';
alter table shop.customers add constraint customers_order_check
  check ("order" is null or ("order" >= 0 and "order" <= 10));
alter table shop.customers add constraint customers_email_check
  check (email is null or (char_length(email) <= 200 and email in ('a@example.com', 'b@example.com')));

create table shop.orders (
  id bigint primary key,
  customer_id uuid not null references shop.customers (id) on delete restrict,
  placed_on date not null,
  total numeric(12) not null,
  status text default 'open',
  note jsonb default '{"gift": false}',
  constraint orders_total_positive check (total >= 0),
  unique (customer_id, placed_on)
);
create index orders_by_status on shop.orders using hash (status);
create index on shop.orders (placed_on desc, id);
alter table shop.orders enable row level security;
create policy "own orders" on shop.orders for all to authenticated
  using (customer_id in (select c.id from shop.customers c where c.user_id = (select auth.uid())))
  with check (customer_id in (select c.id from shop.customers c where c.user_id = (select auth.uid())));
create policy "closed stays closed" on shop.orders as restrictive for update
  using (status <> 'closed');

grant select on shop.customers to anon;
grant select, insert, update on shop.orders to authenticated;
grant all on shop.orders, shop.customers to service_role;

create function shop.order_total(customer uuid, since date default null) returns numeric
language sql stable as $$
select coalesce(sum(total), 0) from shop.orders
where customer_id = customer and (since is null or placed_on >= since)
$$;
comment on function shop.order_total(uuid, date) is 'What a customer spent.';
grant execute on function shop.order_total(uuid, date) to authenticated;

create function shop.customer_of(order_id bigint) returns shop.customers
language sql stable security definer set search_path = '' as $$
select c.* from shop.customers c join shop.orders o on o.customer_id = c.id where o.id = order_id
$$;
"#;

#[tokio::test]
async fn a_schema_written_by_hand_round_trips() {
    // total numeric(12) is outside the spec's types: the column must stop the import.
    let source = database_with(SHOP).await;
    let err = import(&source, &[]).await.expect_err("numeric(12)");
    assert_eq!(
        err.to_string().lines().nth(1).map(str::trim),
        Some(
            "shop.orders.total: type numeric(12,0) is not one of the spec's types (uuid, text, \
             boolean, smallint, integer, bigint, real, double precision, numeric, jsonb, json, \
             timestamptz, timestamp, date, time, bytea, or an array of one; tsvector; vector(N))"
        )
    );
    sqlx::raw_sql("alter table shop.orders alter column total type numeric")
        .execute(&source)
        .await
        .expect("plain numeric");

    // With no schema named, everything but the platform's (here: shop) is imported.
    let files = import(&source, &[]).await.expect("import");
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].file_name, "shop.yaml");
    assert_eq!(files[0].notes, Vec::<String>::new());
    let yaml = &files[0].yaml;
    for expected in [
        "exposed: true",
        // A check in the shape the spec's value constraints take comes back as them.
        "  - name: email\n    type: text\n    unique: true\n    length:\n      max: 200\n    enum:\n    - a@example.com\n    - b@example.com\n",
        "    range:\n      min: 0\n      max: 10\n",
        // Others stay checks.
        "  - name: customers_name_check\n    expr: char_length(name) > 0\n",
        "  - name: orders_total_positive\n    expr: total >= (0)::numeric\n",
        "  unique:\n  - - customer_id\n    - placed_on\n",
        "  - name: orders_by_status\n    columns:\n    - status\n    method: hash\n",
        "  - columns:\n    - placed_on desc\n    - id\n",
        "    default: open\n",
        "    default:\n      gift: false\n",
        "      table: customers\n      on_delete: restrict\n",
        "    restrictive: true\n",
        "  security_definer: true\n",
    ] {
        assert!(yaml.contains(expected), "missing {expected:?} in\n{yaml}");
    }

    let dir = folder("shop/spec");
    write(&dir, &files);
    let imported = codegen::generate_dir(&dir).expect("the imported spec builds");
    let (_, fresh) = fresh_database().await;
    apply(&fresh, &imported.migrations).await;
    assert_same_schema(
        &schema(&source).await,
        &schema(&fresh).await,
        "a hand-written schema imported and applied from scratch",
    );
    fresh.close().await;

    // Adoption, as docs/spec.md describes it: the database records the first migration as
    // applied without running it, and the server's migrations then find nothing to do ...
    let project = folder("shop/project");
    imported.write_to(&project).expect("write migrations");
    let init = &imported.migrations[0];
    let sql = std::fs::read_to_string(project.join("migrations").join(init.file_name()))
        .expect("the first migration");
    sqlx::query(
        "insert into ferrobase.schema_migrations (version, name, checksum)
         values ($1, $2, encode(sha256(convert_to($3, 'UTF8')), 'hex'))",
    )
    .bind(&init.version)
    .bind(&init.name)
    .bind(&sql)
    .execute(&source)
    .await
    .expect("record the first migration");
    let applied = migrate::apply(&source, &with_platform(&imported.migrations))
        .await
        .expect("the adopted database migrates");
    assert_eq!(applied, Vec::<String>::new(), "nothing left to apply");

    // ... and the next spec edit is an ordinary migration of the adopted database.
    let edited = folder("shop/spec-edited");
    std::fs::write(
        edited.join("shop.yaml"),
        files[0].yaml.replace(
            "  - name: created_at\n    type: timestamptz\n    default_sql: now()\n  checks:",
            "  - name: created_at\n    type: timestamptz\n    default_sql: now()\n  \
             - name: nickname\n    type: text\n    nullable: true\n  checks:",
        ),
    )
    .expect("edit the spec");
    let next = codegen::generate_project(&edited, &project.join("migrations"))
        .expect("the edited spec builds over the first migration");
    let added = next.new_migration.expect("a second migration");
    assert!(
        next.migrations
            .last()
            .expect("two")
            .sql
            .contains("add column \"nickname\" text"),
        "{added}: {}",
        next.migrations.last().expect("two").sql
    );
    let applied = migrate::apply(&source, &with_platform(&next.migrations))
        .await
        .expect("the second migration applies to the adopted database");
    assert_eq!(applied, [next.migrations[1].version.clone()]);
    source.close().await;
}

#[tokio::test]
async fn what_the_spec_cannot_hold_is_named() {
    let source = database_with(
        r#"
        create schema legacy;
        create type legacy.mood as enum ('ok', 'sad');
        create table legacy.things (
          id bigint generated always as identity primary key,
          label varchar(40) not null,
          "Price" numeric(10, 2),
          mood legacy.mood,
          doubled bigint generated always as (id * 2) virtual,
          label_search tsvector generated always as (to_tsvector('simple', label)) stored
        );
        "#,
    )
    .await;
    let err = import(&source, &["legacy".into()])
        .await
        .expect_err("unsupported columns");
    expect_lines(
        &err.to_string(),
        &[
            "import: the spec format cannot describe the following, so nothing was imported:",
            "  legacy.things.id: identity columns (`generated ... as identity`) are not in the spec format",
            "  legacy.things.Price: the spec's names are lowercase letters, digits and underscores, starting with a letter or underscore",
            "  legacy.things.Price: type numeric(10,2) is not one of",
            "  legacy.things.mood: type legacy.mood is not one of",
            "  legacy.things.doubled: virtual generated columns are not in the spec format (stored ones are)",
        ],
    );

    // Without those columns the table imports; what stays outside the spec is listed.
    sqlx::raw_sql(
        r#"
        create sequence legacy.counter;
        alter table legacy.things drop column doubled, drop column id, drop column "Price",
          drop column mood, add column id uuid primary key default gen_random_uuid(),
          add column price integer default nextval('legacy.counter');
        create view legacy.short as select * from legacy.things where length(label) < 5;
        create index on legacy.things (lower(label));
        create index things_recent on legacy.things (id) where price > 0;
        create function legacy.touch() returns trigger language plpgsql as $$
        begin return new; end
        $$;
        alter table legacy.things enable row level security;
        create policy mine on legacy.things for select to authenticated
          using (auth.uid() is not null);
        create trigger things_touch before update on legacy.things
          for each row execute function legacy.touch();
        do $$ begin
          if not exists (select from pg_roles where rolname = 'legacy_reader') then
            create role legacy_reader;
          end if;
        end $$;
        grant select on legacy.things to legacy_reader;
        "#,
    )
    .execute(&source)
    .await
    .expect("the columns the spec can hold, and objects it cannot");
    let files = import(&source, &["legacy".into()]).await.expect("import");
    let notes = &files[0].notes;
    expect_lines(
        &notes.join("\n"),
        &[
            "legacy.things.label: character varying(40) became text with length max 40",
            "legacy.things.price: the default nextval('legacy.counter'::regclass) uses a sequence",
            "legacy.things: index things_lower_idx (CREATE INDEX things_lower_idx ON legacy.things USING btree (lower((label)::text))): the spec's indexes are on plain columns",
            "legacy.things: index things_recent (CREATE INDEX things_recent ON legacy.things USING btree (id) WHERE (price > 0)): the spec's indexes are on plain columns",
            "legacy.things: policy \"mine\" calls an auth helper such as auth.uid() once per row",
            "legacy.short.label: character varying(40) became text",
            "legacy.short: a view's column nullability and relationships",
            "legacy.things: privileges of role legacy_reader (select)",
            "trigger things_touch on legacy.things",
            "function legacy.touch: return type trigger is not one of the spec's types",
        ],
    );
    assert!(
        files[0].yaml.starts_with(
            "# Schema `legacy` as the database held it when imported.\n#\n# What this file leaves out"
        ),
        "{}",
        files[0].yaml
    );
    assert!(files[0].yaml.contains("    length:\n      max: 40\n"));
    // A stored generated column comes back with its expression as Postgres prints it.
    assert!(
        files[0]
            .yaml
            .contains("generated: to_tsvector('simple'::regconfig, (label)::text)"),
        "{}",
        files[0].yaml
    );
    source.close().await;
}

/// Each of `expected` starts one line of `text`, in order, and there are no other lines.
fn expect_lines(text: &str, expected: &[&str]) {
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len(),
        expected.len(),
        "lines differ:\n{text}\nexpected lines starting with:\n{}",
        expected.join("\n")
    );
    for (line, start) in lines.iter().zip(expected) {
        assert!(
            line.starts_with(start),
            "{line:?} does not start with {start:?}\nin:\n{text}"
        );
    }
}
