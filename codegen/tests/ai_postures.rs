//! The `ai` schema's two access postures: `spec/ai.yaml` (the default, project-wide) and
//! `spec/ai.strict.yaml.example` (every row scoped to its owner). Both declare the same
//! tables, functions and typed endpoints, so switching from one to the other is a migration
//! of policies and grants only.

use std::path::PathBuf;

fn spec_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec")
}

/// The example spec with the strict file in place of `ai.yaml`, in a folder of its own.
fn strict_spec() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ai-strict-spec");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("folder");
    for name in ["auth.yaml", "public.yaml"] {
        std::fs::copy(spec_dir().join(name), dir.join(name)).expect("copy spec file");
    }
    std::fs::copy(
        spec_dir().join("ai.strict.yaml.example"),
        dir.join("ai.yaml"),
    )
    .expect("copy strict file");
    dir
}

/// The `ai` tables of a model without their policies and grants.
fn ai_tables_without_access(ir: &codegen::ir::Ir) -> Vec<serde_json::Value> {
    ir.tables
        .iter()
        .filter(|t| t.schema == "ai")
        .map(|t| {
            let mut v = serde_json::to_value(t).expect("table serializes");
            let o = v.as_object_mut().expect("object");
            o.remove("policies");
            o.remove("grants");
            v
        })
        .collect()
}

#[test]
fn the_strict_posture_changes_only_policies_and_grants() {
    let default = codegen::generate_dir(&spec_dir()).expect("the default spec builds");
    let strict = codegen::generate_dir(&strict_spec()).expect("the strict spec builds");
    let tables = ai_tables_without_access(&default.ir);
    assert!(tables.len() >= 35, "{} ai tables", tables.len());
    assert_eq!(tables, ai_tables_without_access(&strict.ir));
    // The typed API and the functions do not depend on the posture.
    assert_eq!(default.ir.endpoints, strict.ir.endpoints);
    assert!(
        strict.ir.endpoints.iter().any(|e| e.path == "/api/agents"),
        "the strict posture keeps the agents API"
    );
    assert_eq!(default.ir.functions, strict.ir.functions);
    for t in strict.ir.tables.iter().filter(|t| t.schema == "ai") {
        assert!(t.rls, "ai.{} has row level security", t.name);
        assert!(
            !t.policies.is_empty(),
            "ai.{} has policies under the strict posture",
            t.name
        );
    }

    // Over the committed migrations, the switch is one migration of policies and grants.
    let switched = codegen::generate_project(
        &strict_spec(),
        &spec_dir().join("../generated/artifacts/migrations"),
    )
    .expect("the switch builds over the committed migrations");
    assert!(
        switched.new_migration.is_some(),
        "the switch writes a migration"
    );
    let migration = switched.migrations.last().expect("the new migration");
    let statements: Vec<&str> = migration
        .sql
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("--") && !l.starts_with(' '))
        .collect();
    assert!(!statements.is_empty());
    for s in statements {
        assert!(
            ["drop policy", "create policy", "grant ", "revoke "]
                .iter()
                .any(|p| s.starts_with(p)),
            "the switch only touches access: {s}"
        );
    }
}
