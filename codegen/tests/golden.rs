//! Golden files: the example spec's artifacts, spec diagnostics, and the spec JSON Schema.
//! Accept changes with `EXPECTORATE=overwrite cargo test -p codegen --test golden`.

use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn example_spec_artifacts() {
    let artifacts =
        codegen::generate_dir(&root().join("../spec")).expect("the example spec is valid");
    let golden = root().join("tests/golden/example");
    for m in &artifacts.migrations {
        expectorate::assert_contents(golden.join(m.file_name()), &m.sql);
    }
    expectorate::assert_contents(golden.join("catalog.rs"), &artifacts.rust);
    for (schema, doc) in &artifacts.openapi {
        expectorate::assert_contents(golden.join(format!("openapi-{schema}.json")), doc);
    }
}

#[test]
fn output_is_byte_identical_for_identical_input() {
    let a = codegen::generate_dir(&root().join("../spec")).unwrap();
    let b = codegen::generate_dir(&root().join("../spec")).unwrap();
    assert_eq!(a.rust, b.rust);
    assert_eq!(a.migrations, b.migrations);
    assert_eq!(a.openapi, b.openapi);
}

#[test]
fn spec_mistakes_are_reported_together_with_positions() {
    let dir = root().join("tests/cases/errors");
    let text = std::fs::read_to_string(dir.join("spec.yaml")).unwrap();
    let files = [codegen::SourceFile {
        name: "spec.yaml".into(),
        text,
    }];
    let err = codegen::generate(&files).expect_err("the spec has mistakes");
    expectorate::assert_contents(dir.join("expected.txt"), &format!("{err}\n"));
}

#[test]
fn yaml_shape_errors_have_positions() {
    let files = [codegen::SourceFile {
        name: "bad.yaml".into(),
        text: "schema: public\ntables:\n  - name: t\n    colums: []\n".into(),
    }];
    let err = codegen::generate(&files).unwrap_err().to_string();
    assert!(
        err.contains("bad.yaml:4:5: tables[0]: unknown field `colums`"),
        "{err}"
    );
}

#[test]
fn sealed_objects_name_json_columns_of_the_endpoint() {
    let text = r#"schema: public
tables:
  - name: things
    columns:
      - { name: id, type: uuid, primary_key: true }
      - { name: title, type: text }
      - { name: config, type: jsonb }
      - { name: secret, type: jsonb }
      - { name: many, type: "jsonb[]" }
endpoints:
  - path: /api/things
    crud:
      table: things
      hidden: [secret]
      sealed_objects:
        - config.headers
        - config.headers
        - headers
        - title
        - many
        - secret
        - "config..x"
"#;
    let files = [codegen::SourceFile {
        name: "spec.yaml".into(),
        text: text.into(),
    }];
    let err = codegen::generate(&files).unwrap_err().to_string();
    let crud = "endpoints[0].crud.sealed_objects";
    for expected in [
        format!("spec.yaml:17:11: {crud}[1]: `config.headers` is listed twice"),
        format!("spec.yaml:18:11: {crud}[2]: table `things` has no column `headers`"),
        format!(
            "spec.yaml:19:11: {crud}[3]: column `title` is text, not json or jsonb; a sealed object is a JSON object of credentials"
        ),
        format!("spec.yaml:20:11: {crud}[4]: column `many` is jsonb[], not json or jsonb"),
        format!(
            "spec.yaml:21:11: {crud}[5]: column `secret` is hidden, so the endpoint neither takes nor answers it"
        ),
        format!(
            "spec.yaml:22:11: {crud}[6]: `config..x` is not a column or a dotted key path inside one"
        ),
    ] {
        assert!(err.contains(&expected), "{expected}\nnot in:\n{err}");
    }
    assert_eq!(err.matches(crud).count(), 6, "{err}");
}

#[test]
fn spec_json_schema_is_published() {
    expectorate::assert_contents(
        root().join("../spec/spec.schema.json"),
        &codegen::spec::json_schema(),
    );
}

/// Adding a column with a constraint reaches the migration, the runtime catalog and the
/// OpenAPI document (the same path `cargo build` takes through generated/build.rs).
#[test]
fn a_spec_edit_changes_every_artifact() {
    let (mut files, _) = codegen::read_spec_dir(&root().join("../spec")).unwrap();
    let before = codegen::generate(&files).unwrap();
    let public = files.iter_mut().find(|f| f.name == "public.yaml").unwrap();
    public.text = public.text.replacen(
        "      - name: system_prompt\n",
        "      - name: nickname\n        type: text\n        nullable: true\n        length: { max: 20 }\n      - name: system_prompt\n",
        1,
    );
    let after = codegen::generate(&files).unwrap();
    let sql = &after.migrations[0].sql;
    assert!(sql.contains("\"nickname\" text,"), "{sql}");
    assert!(sql.contains("constraint \"agents_nickname_check\" check (\"nickname\" is null or (char_length(\"nickname\") <= 20))"));
    assert!(!before.migrations[0].sql.contains("nickname"));
    assert!(after.rust.contains("name: \"nickname\""));
    let public_doc = after
        .openapi
        .iter()
        .find(|(schema, _)| schema == "public")
        .map(|(_, doc)| doc)
        .expect("public has a document");
    let doc: serde_json::Value = serde_json::from_str(public_doc).unwrap();
    assert_eq!(
        doc.pointer("/components/schemas/agents/properties/nickname/maxLength"),
        Some(&serde_json::json!(20))
    );
}
