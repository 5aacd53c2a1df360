//! Spec evolution against PostgreSQL: the migrations that a series of spec edits gives,
//! applied one after another to one database, leave the same schema (read back from the
//! catalog) as each spec applied from scratch to a fresh database; and rows survive
//! renames and type changes on the way.
//!
//! The series is codegen's `tests/cases/evolution/<step>/`, whose golden migrations the
//! codegen tests check.

use crate::harness::fresh_database;
use generated::CATALOG;
use runtime::migrate::{self, MigrationSource};
use sqlx::{PgPool, Row};
use std::path::PathBuf;

fn steps() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../codegen/tests/cases/evolution");
    let mut steps: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the evolution cases")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    steps.sort();
    steps
}

/// Applies the platform migration and then `migrations`, as the server does at start.
pub(crate) async fn apply(pool: &PgPool, migrations: &[codegen::emit::migrations::MigrationFile]) {
    let all: Vec<MigrationSource<'_>> = runtime::platform::MIGRATIONS
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
        .collect();
    migrate::apply(pool, &all).await.expect("migrations apply");
}

/// The schemas the comparison leaves out: Postgres' own and the migrations' bookkeeping.
const SYSTEM: &str =
    "n.nspname not like 'pg\\_%' and n.nspname not in ('information_schema', 'ferrobase')";

/// Functions of the spec, not those an extension (pgvector) brings.
const NOT_EXTENSION: &str = "not exists (select from pg_depend d
    where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')";

/// The database schema as sorted lines of text, read from the catalog: schemas, tables,
/// columns, constraints, indexes, policies, privileges and functions. Column order and the
/// names Postgres gives not-null constraints are left out: a column added later comes last
/// whatever its place in the spec, and such names follow the table's name at creation.
pub(crate) async fn schema(pool: &PgPool) -> String {
    let queries = [
        format!(
            "select format('schema %s comment=%s', n.nspname, coalesce(obj_description(n.oid, 'pg_namespace'), '-'))
             from pg_namespace n where {SYSTEM}"
        ),
        format!(
            "select format('schema %s grant %s to %s', n.nspname, a.privilege_type,
                    case when a.grantee = 0 then 'public' else a.grantee::regrole::text end)
             from pg_namespace n, aclexplode(n.nspacl) a where {SYSTEM}"
        ),
        format!(
            "select format('table %s.%s kind=%s rls=%s force=%s options=%s comment=%s', n.nspname,
                    c.relname, c.relkind, c.relrowsecurity, c.relforcerowsecurity, c.reloptions,
                    coalesce(obj_description(c.oid, 'pg_class'), '-'))
             from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where c.relkind in ('r', 'p', 'v', 'm', 'f', 'S') and {SYSTEM}"
        ),
        format!(
            "select format('column %s.%s.%s %s notnull=%s generated=%s default=%s comment=%s',
                    n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
                    a.attnotnull, a.attgenerated,
                    coalesce(pg_get_expr(d.adbin, d.adrelid), '-'),
                    coalesce(col_description(c.oid, a.attnum), '-'))
             from pg_attribute a
             join pg_class c on c.oid = a.attrelid
             join pg_namespace n on n.oid = c.relnamespace
             left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
             where a.attnum > 0 and not a.attisdropped and c.relkind in ('r', 'p', 'v') and {SYSTEM}"
        ),
        "select format('view %s.%s %s', schemaname, viewname, definition) from pg_views
         where schemaname not like 'pg\\_%' and schemaname not in ('information_schema', 'ferrobase')"
            .to_string(),
        format!(
            "select format('constraint %s.%s %s %s', n.nspname, c.relname, k.conname,
                    pg_get_constraintdef(k.oid))
             from pg_constraint k
             join pg_class c on c.oid = k.conrelid
             join pg_namespace n on n.oid = c.relnamespace
             where k.contype <> 'n' and {SYSTEM}"
        ),
        "select format('index %s.%s %s', schemaname, indexname, indexdef) from pg_indexes
         where schemaname not like 'pg\\_%' and schemaname not in ('information_schema', 'ferrobase')"
            .to_string(),
        "select format('policy %s.%s %s %s %s to %s using %s check %s', schemaname, tablename,
                policyname, permissive, cmd, (select string_agg(r, ',' order by r) from unnest(roles) r),
                coalesce(qual, '-'), coalesce(with_check, '-'))
         from pg_policies"
            .to_string(),
        "select format('grant %s on %s.%s to %s', privilege_type, table_schema, table_name, grantee)
         from information_schema.role_table_grants
         where table_schema not in ('pg_catalog', 'information_schema', 'ferrobase')"
            .to_string(),
        format!(
            "select format('function %s comment=%s', pg_get_functiondef(p.oid),
                    coalesce(obj_description(p.oid, 'pg_proc'), '-'))
             from pg_proc p join pg_namespace n on n.oid = p.pronamespace
             where {SYSTEM} and {NOT_EXTENSION}"
        ),
        format!(
            "select format('function %s.%s(%s) grant %s to %s', n.nspname, p.proname,
                    pg_get_function_identity_arguments(p.oid), a.privilege_type,
                    case when a.grantee = 0 then 'public' else a.grantee::regrole::text end)
             from pg_proc p join pg_namespace n on n.oid = p.pronamespace,
                  aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
             where {SYSTEM} and {NOT_EXTENSION}"
        ),
    ];
    let mut lines = Vec::new();
    for q in &queries {
        let rows = sqlx::query(q)
            .fetch_all(pool)
            .await
            .unwrap_or_else(|e| panic!("{e}: {q}"));
        for row in rows {
            lines.push(row.get::<String, _>(0));
        }
    }
    lines.sort();
    lines.join("\n")
}

/// Compares line by line so that a failure shows only what differs.
pub(crate) fn assert_same_schema(evolved: &str, scratch: &str, what: &str) {
    let a: Vec<&str> = evolved.lines().collect();
    let b: Vec<&str> = scratch.lines().collect();
    let only_evolved: Vec<&&str> = a.iter().filter(|l| !b.contains(l)).collect();
    let only_scratch: Vec<&&str> = b.iter().filter(|l| !a.contains(l)).collect();
    assert!(
        only_evolved.is_empty() && only_scratch.is_empty(),
        "{what}: the migrated database differs from the spec applied from scratch\n\
         only after the migrations:\n  {}\nonly from scratch:\n  {}",
        only_evolved
            .iter()
            .map(|l| l.replace('\n', "\n    "))
            .collect::<Vec<_>>()
            .join("\n  "),
        only_scratch
            .iter()
            .map(|l| l.replace('\n', "\n    "))
            .collect::<Vec<_>>()
            .join("\n  "),
    );
}

#[tokio::test]
async fn migrations_of_spec_edits_give_the_schema_of_the_last_spec() {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("it-evolution");
    let _ = std::fs::remove_dir_all(&out);
    let migrations = out.join("migrations");
    let (_, evolving) = fresh_database().await;
    let mut compared = 0;
    for step in steps() {
        let name = step.file_name().unwrap().to_string_lossy().into_owned();
        let artifacts = match codegen::generate_project(&step, &migrations) {
            Ok(a) => a,
            Err(codegen::Error::Destructive(_)) => continue,
            Err(e) => panic!("{name}: {e}"),
        };
        artifacts.write_to(&out).expect("write migrations");
        apply(&evolving, &artifacts.migrations).await;
        check_rows(&evolving, &name).await;

        let scratch = codegen::generate_dir(&step).expect("the step's spec");
        let (_, fresh) = fresh_database().await;
        apply(&fresh, &scratch.migrations).await;
        assert_same_schema(&schema(&evolving).await, &schema(&fresh).await, &name);
        fresh.close().await;
        compared += 1;
    }
    assert_eq!(compared, 11, "every step but the refused one is compared");
    evolving.close().await;
}

/// Puts rows in after the first step and follows them through renames and type changes.
async fn check_rows(pool: &PgPool, step: &str) {
    let agent = "00000000-0000-0000-0000-000000000001";
    match step {
        "01_init" => {
            sqlx::raw_sql(&format!(
                "insert into public.agents (id, name, avatar, age, notes)
                   values ('{agent}', 'Ada', 'https://example.com/ada.png', '42', 'old');
                 insert into public.tools (name, description) values ('search', 'Web search');
                 insert into public.agent_tools (agent_id, tool_id)
                   select '{agent}', id from public.tools;"
            ))
            .execute(pool)
            .await
            .expect("seed rows");
        }
        "03_rename" => {
            let row = sqlx::query(
                "select a.avatar_url, t.name from public.agents a, public.toolbox t
                 join public.agent_tools x on x.toolbox_id = t.id",
            )
            .fetch_one(pool)
            .await
            .expect("renamed table and column");
            assert_eq!(
                row.get::<String, _>(0),
                "https://example.com/ada.png",
                "the renamed column keeps its values"
            );
            assert_eq!(row.get::<String, _>(1), "search");
        }
        "05_allowed" => {
            let row = sqlx::query("select age, score, framework from public.agents")
                .fetch_one(pool)
                .await
                .expect("retyped columns");
            assert_eq!(row.get::<Option<i32>, _>(0), Some(42), "text 42 became 42");
            assert_eq!(row.get::<i64, _>(1), 0);
            assert_eq!(row.get::<String, _>(2), "openai");
        }
        "06_new_schema" => {
            let position: i32 = sqlx::query_scalar("select position from public.agent_tools")
                .fetch_one(pool)
                .await
                .expect("new column");
            assert_eq!(position, 0, "the new column's default filled the row");
        }
        "07_drop" => {
            let agents: i64 = sqlx::query_scalar("select count(*) from public.agents")
                .fetch_one(pool)
                .await
                .expect("agents");
            assert_eq!(agents, 1);
        }
        _ => {}
    }
}

/// The project's own migrations (`generated/artifacts/migrations`, as the server applies
/// them) leave the schema the current spec gives from scratch.
#[tokio::test]
async fn committed_migrations_give_the_schema_of_the_spec() {
    let spec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec");
    let scratch = codegen::generate_dir(&spec).expect("the spec");
    let (_, fresh) = fresh_database().await;
    apply(&fresh, &scratch.migrations).await;

    let (_, migrated) = fresh_database().await;
    let all = runtime::server::all_migrations(&CATALOG);
    migrate::apply(&migrated, &all)
        .await
        .expect("the committed migrations apply");
    assert_same_schema(
        &schema(&migrated).await,
        &schema(&fresh).await,
        "generated/artifacts/migrations",
    );
}
