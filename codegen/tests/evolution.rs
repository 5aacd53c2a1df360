//! Spec evolution: a series of spec edits under `tests/cases/evolution/<step>/`, each built
//! on the migrations of the steps before it, as `cargo build` does over
//! `generated/artifacts/migrations`. Each step's new migration is compared with its
//! `migration.sql`, a refused step's message with its `error.txt`.
//! Accept changes with `EXPECTORATE=overwrite cargo test -p codegen --test evolution`.
//!
//! The integration tests (`tests/it/evolution.rs`) apply the same migrations to PostgreSQL
//! and compare the result with the last step's spec applied from scratch.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh folder for one test's migrations.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn steps() -> Vec<PathBuf> {
    let mut steps: Vec<PathBuf> = std::fs::read_dir(root().join("tests/cases/evolution"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    steps.sort();
    steps
}

/// Compares `text` with the golden file `name` of a step and makes sure the step has no
/// golden file of the other outcome.
fn expect(step: &Path, name: &str, other: &str, text: &str) {
    let stale = step.join(other);
    if std::env::var("EXPECTORATE").as_deref() == Ok("overwrite") {
        let _ = std::fs::remove_file(&stale);
    }
    assert!(
        !stale.exists(),
        "{} expects the other outcome ({other})",
        step.display()
    );
    expectorate::assert_contents(step.join(name), text);
}

#[test]
fn spec_edits_become_numbered_migrations() {
    let out = scratch("evolution");
    let migrations = out.join("migrations");
    let mut written = Vec::new();
    for step in steps() {
        match codegen::generate_project(&step, &migrations) {
            Ok(artifacts) => {
                artifacts.write_to(&out).unwrap();
                let text = match &artifacts.new_migration {
                    Some(file) => {
                        written.push(file.clone());
                        artifacts.migrations.last().unwrap().sql.clone()
                    }
                    None => "-- no migration: the database objects are unchanged\n".into(),
                };
                expect(&step, "migration.sql", "error.txt", &text);
                // The next build over the same spec has nothing to add.
                let again = codegen::generate_project(&step, &migrations).unwrap();
                assert_eq!(again.new_migration, None, "{}", step.display());
                assert_eq!(again.migrations, artifacts.migrations);
            }
            Err(e) => expect(&step, "error.txt", "migration.sql", &format!("{e}\n")),
        }
    }
    assert_eq!(
        written,
        [
            "0001_init.sql",
            "0002_add_agents_nickname.sql",
            "0003_spec_change.sql",
            "0004_spec_change.sql",
            "0005_spec_change.sql",
            "0006_drop_agent_tools_and_drop_invoices_and_drop_schema_billing.sql",
            "0007_spec_change.sql",
            "0008_drop_agents_summary_and_add_agents_summary.sql",
            "0009_create_view_agent_scores_and_create_view_top_agents.sql",
            "0010_spec_change.sql",
        ]
    );
    // Migrations already written are left as they were, and every one has its snapshot.
    let history = codegen::History::read(&migrations).unwrap();
    let names: Vec<String> = history.migrations.iter().map(|m| m.file_name()).collect();
    assert_eq!(names, written);
    for m in &history.migrations {
        let snapshot = migrations.join(format!("{}_{}.snapshot.json", m.version, m.name));
        assert!(snapshot.exists(), "{}", snapshot.display());
    }
}

#[test]
fn snapshots_are_deterministic_and_load_back() {
    let spec = root().join("tests/cases/evolution/06_new_schema");
    let a = codegen::generate_dir(&spec).unwrap();
    let b = codegen::generate_dir(&spec).unwrap();
    assert_eq!(a.snapshots[0].to_json(), b.snapshots[0].to_json());
    let out = scratch("snapshot-load");
    a.write_to(&out).unwrap();
    let history = codegen::History::read(&out.join("migrations")).unwrap();
    let loaded = history.snapshot.expect("a snapshot");
    assert_eq!(loaded.to_json(), a.snapshots[0].to_json());
    // Loaded back, the model differs from the spec in nothing a migration would change.
    let again = codegen::generate_project(&spec, &out.join("migrations")).unwrap();
    assert_eq!(again.new_migration, None);
}

#[test]
fn migrations_written_before_snapshots_are_adopted() {
    let spec = root().join("tests/cases/evolution/01_init");
    let out = scratch("adopt");
    let first = codegen::generate_dir(&spec).unwrap();
    let migrations = out.join("migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    let init = &first.migrations[0];
    std::fs::write(migrations.join(init.file_name()), &init.sql).unwrap();

    // The same spec: its first migration is adopted and gets its snapshot.
    let adopted = codegen::generate_project(&spec, &migrations).unwrap();
    assert_eq!(adopted.new_migration, None);
    assert_eq!(adopted.snapshots.len(), 1);
    assert_eq!(adopted.snapshots[0].file_name(), "0001_init.snapshot.json");

    // A changed spec without any snapshot: the state of the database is unknown.
    let changed = root().join("tests/cases/evolution/02_add_column");
    let err = codegen::generate_project(&changed, &migrations).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("migration 0001_init has no snapshot beside it"),
        "{err}"
    );
}

#[test]
fn hand_written_migrations_keep_their_place() {
    let out = scratch("hand-written");
    let migrations = out.join("migrations");
    let first = root().join("tests/cases/evolution/01_init");
    codegen::generate_project(&first, &migrations)
        .unwrap()
        .write_to(&out)
        .unwrap();
    std::fs::write(
        migrations.join("0002_backfill.sql"),
        "update public.agents set score = 1;\n",
    )
    .unwrap();
    let next = root().join("tests/cases/evolution/02_add_column");
    let a = codegen::generate_project(&next, &migrations).unwrap();
    let names: Vec<String> = a.migrations.iter().map(|m| m.file_name()).collect();
    assert_eq!(
        names,
        [
            "0001_init.sql",
            "0002_backfill.sql",
            "0003_add_agents_nickname.sql"
        ]
    );
    assert!(
        a.migrations[2]
            .sql
            .contains("changes the schema 0001_init leaves behind")
    );
}

#[test]
fn renames_and_allowances_are_checked_in_the_spec() {
    let files = [codegen::SourceFile {
        name: "spec.yaml".into(),
        text: r#"schema: public
allow_destructive:
  - drop column agents.avatar
  - alter column public.agents.age type integer
tables:
  - name: agents
    renamed_from: agents
    columns:
      - { name: id, type: uuid, primary_key: true }
      - { name: avatar_url, type: text, renamed_from: avatar }
      - { name: avatar, type: text }
      - { name: picture, type: text, renamed_from: photo }
      - { name: image, type: text, renamed_from: photo }
"#
        .into(),
    }];
    let err = codegen::generate(&files).unwrap_err().to_string();
    expect_test_lines(
        &err,
        &[
            "spec.yaml:3:5: allow_destructive[0]: `drop column agents.avatar` is not a change this list can allow",
            "spec.yaml:7:19: tables[0].renamed_from: table `agents` cannot be renamed from its own name",
            "spec.yaml:10:55: tables[0].columns[1].renamed_from: column `avatar_url` is renamed from `avatar`, but `avatar` is still declared",
            "spec.yaml:13:50: tables[0].columns[4].renamed_from: columns `picture` and `image` are both renamed from `photo`",
        ],
    );
}

fn expect_test_lines(text: &str, lines: &[&str]) {
    for line in lines {
        assert!(text.contains(line), "missing\n  {line}\nin\n{text}");
    }
}
