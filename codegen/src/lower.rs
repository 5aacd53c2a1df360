//! Lowering: parsed spec files in, validated [`Ir`] out.
//!
//! Every cross-check happens here, and every problem of a pass is collected so that the
//! user sees all of them at once, each with its file, line and column.

use crate::error::{Diagnostic, Error, Result};
use crate::ir::*;
use crate::source::PositionIndex;
use crate::spec::{self, SpecFile};
use crate::sql::quote_literal;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A spec file's text with its name relative to the spec folder.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Name relative to the spec folder, e.g. `public.yaml`.
    pub name: String,
    /// The YAML text.
    pub text: String,
}

/// Parses and lowers spec files into the IR.
pub fn lower(files: &[SourceFile]) -> Result<Ir> {
    let mut diags = Diagnostics::default();
    let mut parsed = Vec::new();
    for file in files {
        let index = PositionIndex::build(&file.text);
        diags.indexes.insert(file.name.clone(), index);
        match serde_yaml::from_str::<SpecFile>(&file.text) {
            Ok(spec) => parsed.push((file.name.clone(), spec)),
            Err(e) => {
                let (line, column) = e
                    .location()
                    .map(|l| (l.line(), l.column()))
                    .unwrap_or((0, 0));
                diags.list.push(Diagnostic {
                    file: file.name.clone(),
                    line,
                    column,
                    path: String::new(),
                    message: plain_serde_message(&e.to_string()),
                });
            }
        }
    }
    let ir = Lowerer {
        diags: &mut diags,
        files: &parsed,
    }
    .run();
    diags
        .list
        .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    if diags.list.is_empty() {
        Ok(ir)
    } else {
        Err(Error::Spec(diags.list))
    }
}

/// serde_yaml appends " at line L column C" to its messages; the diagnostic carries those.
fn plain_serde_message(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

#[derive(Default)]
struct Diagnostics {
    indexes: HashMap<String, PositionIndex>,
    list: Vec<Diagnostic>,
}

impl Diagnostics {
    fn error(&mut self, file: &str, path: &str, message: impl Into<String>) {
        let (line, column) = self
            .indexes
            .get(file)
            .map(|i| i.locate(path))
            .unwrap_or((0, 0));
        self.list.push(Diagnostic {
            file: file.to_string(),
            line,
            column,
            path: path.to_string(),
            message: message.into(),
        });
    }
}

struct Lowerer<'a> {
    diags: &'a mut Diagnostics,
    files: &'a [(String, SpecFile)],
}

/// Roles a policy or grant may name.
const KNOWN_ROLES: &[&str] = &["anon", "authenticated", "service_role", "public"];
const PRIVILEGES: &[&str] = &[
    "select",
    "insert",
    "update",
    "delete",
    "truncate",
    "references",
    "trigger",
    "all",
];
const INDEX_METHODS: &[&str] = &["btree", "hash", "gin", "gist", "brin", "hnsw", "ivfflat"];

/// pgvector's operator classes for `vector` columns: distance by L2, inner product, cosine
/// (these three for ivfflat and hnsw) and L1 (hnsw only).
const VECTOR_OPCLASSES: [&str; 4] = [
    "vector_l2_ops",
    "vector_ip_ops",
    "vector_cosine_ops",
    "vector_l1_ops",
];

fn valid_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && s.len() <= 63
}

/// Postgres truncates identifiers to 63 bytes; generated names do the same so that the
/// database and the metadata agree.
fn pg_name(s: String) -> String {
    if s.len() <= 63 {
        s
    } else {
        let mut end = 63;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s[..end].to_string()
    }
}

impl Lowerer<'_> {
    fn run(mut self) -> Ir {
        let mut schemas = Vec::new();
        let mut seen_schemas: BTreeMap<String, String> = BTreeMap::new();
        for (file, spec) in self.files {
            if spec.version != 1 {
                self.diags.error(
                    file,
                    "version",
                    format!("spec version {} is not supported; use 1", spec.version),
                );
            }
            if !valid_ident(&spec.schema) {
                self.diags.error(file, "schema", format!("`{}` is not a valid schema name: use lowercase letters, digits and underscores, starting with a letter", spec.schema));
            }
            if spec.schema.starts_with("pg_") || spec.schema == "information_schema" {
                self.diags.error(
                    file,
                    "schema",
                    format!("`{}` is a Postgres system schema", spec.schema),
                );
            }
            if let Some(other) = seen_schemas.insert(spec.schema.clone(), file.clone()) {
                self.diags.error(
                    file,
                    "schema",
                    format!("schema `{}` is already declared in {other}", spec.schema),
                );
                continue;
            }
            schemas.push(Schema {
                name: spec.schema.clone(),
                exposed: spec.exposed,
                aggregates: spec.aggregates,
                comment: spec.comment.clone(),
                source: file.clone(),
            });
        }
        schemas.sort_by(|a, b| a.name.cmp(&b.name));

        // First pass: every table's columns, so references can be resolved in any order.
        let mut known: BTreeMap<(String, String), Vec<(String, SqlType)>> = BTreeMap::new();
        for (_, spec) in self.files {
            for t in &spec.tables {
                let cols = t
                    .columns
                    .iter()
                    .filter_map(|c| SqlType::parse(&c.ty).map(|ty| (c.name.clone(), ty)))
                    .collect();
                known
                    .entry((spec.schema.clone(), t.name.clone()))
                    .or_insert(cols);
            }
        }

        let mut tables = Vec::new();
        for (file, spec) in self.files {
            self.renames(
                file,
                "tables",
                "table",
                spec.tables
                    .iter()
                    .map(|t| (t.name.as_str(), t.renamed_from.as_deref())),
            );
            let mut names = BTreeSet::new();
            for (ti, t) in spec.tables.iter().enumerate() {
                let path = format!("tables[{ti}]");
                if !names.insert(t.name.clone()) {
                    self.diags.error(
                        file,
                        &format!("{path}.name"),
                        format!(
                            "table `{}` is declared twice in schema `{}`",
                            t.name, spec.schema
                        ),
                    );
                    continue;
                }
                if let Some(table) = self.table(file, spec, t, &path, &known) {
                    tables.push(table);
                }
            }
        }
        let tables = dependency_order(tables);
        let views = self.views(&tables, &known);
        let mut functions = Vec::new();
        for (file, spec) in self.files {
            let mut names = BTreeSet::new();
            for (fi, f) in spec.functions.iter().enumerate() {
                let path = format!("functions[{fi}]");
                if !names.insert(f.name.clone()) {
                    self.diags.error(
                        file,
                        &format!("{path}.name"),
                        format!(
                            "function `{}` is declared twice in schema `{}`",
                            f.name, spec.schema
                        ),
                    );
                    continue;
                }
                if let Some(func) = self.function(file, spec, f, &path, &known) {
                    functions.push(func);
                }
            }
        }
        functions.sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
        let mut sources: Vec<String> = self.files.iter().map(|(f, _)| f.clone()).collect();
        sources.sort();
        let mut allow_destructive = Vec::new();
        for (file, spec) in self.files {
            for (i, entry) in spec.allow_destructive.iter().enumerate() {
                match Destructive::parse(entry) {
                    Some(d) if !allow_destructive.contains(&d) => allow_destructive.push(d),
                    Some(_) => {}
                    None => self.diags.error(
                        file,
                        &format!("allow_destructive[{i}]"),
                        format!(
                            "`{entry}` is not a change this list can allow; write `drop table <schema>.<table>`, `drop column <schema>.<table>.<column>` or `alter column <schema>.<table>.<column> type <type>`"
                        ),
                    ),
                }
            }
        }
        let endpoints = self.endpoints(&tables, &functions);
        Ir {
            schemas,
            tables,
            views,
            sources,
            functions,
            allow_destructive,
            endpoints,
        }
    }

    /// Checks the `renamed_from` keys of a list of tables or columns: each names an old
    /// name that no item of the list still has, and no two name the same one.
    fn renames<'n>(
        &mut self,
        file: &str,
        path: &str,
        what: &str,
        items: impl Iterator<Item = (&'n str, Option<&'n str>)>,
    ) {
        let items: Vec<(&str, Option<&str>)> = items.collect();
        let mut claimed: BTreeMap<&str, &str> = BTreeMap::new();
        for (i, (name, from)) in items.iter().enumerate() {
            let Some(from) = from else { continue };
            let rpath = format!("{path}[{i}].renamed_from");
            if !valid_ident(from) {
                self.diags
                    .error(file, &rpath, format!("`{from}` is not a valid {what} name"));
            } else if from == name {
                self.diags.error(
                    file,
                    &rpath,
                    format!("{what} `{name}` cannot be renamed from its own name"),
                );
            } else if items.iter().any(|(n, _)| n == from) {
                self.diags.error(
                    file,
                    &rpath,
                    format!(
                        "{what} `{name}` is renamed from `{from}`, but `{from}` is still declared"
                    ),
                );
            } else if let Some(other) = claimed.insert(from, name) {
                self.diags.error(
                    file,
                    &rpath,
                    format!("{what}s `{other}` and `{name}` are both renamed from `{from}`"),
                );
            }
        }
    }

    fn function(
        &mut self,
        file: &str,
        spec: &SpecFile,
        f: &spec::FunctionSpec,
        path: &str,
        known: &BTreeMap<(String, String), Vec<(String, SqlType)>>,
    ) -> Option<Function> {
        let mut ok = true;
        if !valid_ident(&f.name) {
            self.diags.error(file, &format!("{path}.name"), format!("`{}` is not a valid function name: use lowercase letters, digits and underscores, starting with a letter", f.name));
            ok = false;
        }
        let mut args = Vec::new();
        let mut seen = BTreeSet::new();
        let mut defaulted = false;
        for (ai, a) in f.args.iter().enumerate() {
            let apath = format!("{path}.args[{ai}]");
            if a.name.is_empty() {
                let json = SqlType::parse(&a.ty).is_some_and(|t| t.base.is_json() && !t.array);
                if f.args.len() != 1 || !json {
                    self.diags.error(
                        file,
                        &format!("{apath}.name"),
                        "only a function's sole argument, of type json or jsonb, may be unnamed (it receives the whole request body)",
                    );
                    ok = false;
                }
            } else if !valid_ident(&a.name) {
                self.diags.error(
                    file,
                    &format!("{apath}.name"),
                    format!("`{}` is not a valid argument name", a.name),
                );
                ok = false;
            }
            if !seen.insert(a.name.clone()) {
                self.diags.error(
                    file,
                    &format!("{apath}.name"),
                    format!("argument `{}` is declared twice", a.name),
                );
                ok = false;
            }
            if a.default_sql.is_some() {
                defaulted = true;
            } else if defaulted {
                self.diags.error(
                    file,
                    &format!("{apath}.default_sql"),
                    format!(
                        "argument `{}` follows an argument with a default, so it needs one too",
                        a.name
                    ),
                );
                ok = false;
            }
            match SqlType::parse(&a.ty) {
                Some(ty) => args.push(Arg {
                    name: a.name.clone(),
                    ty,
                    default_sql: a.default_sql.clone(),
                }),
                None => {
                    self.diags.error(
                        file,
                        &format!("{apath}.type"),
                        format!("unknown type `{}`", a.ty),
                    );
                    ok = false;
                }
            }
        }
        let returns_text = f.returns.trim();
        let returns = if returns_text == "void" {
            Returns::Void
        } else if let Some(table) = returns_text.strip_prefix("setof ") {
            Returns::SetOf(table.trim().to_string())
        } else if let Some(ty) = SqlType::parse(returns_text) {
            Returns::Scalar(ty)
        } else {
            Returns::Row(returns_text.to_string())
        };
        if let Returns::SetOf(t) | Returns::Row(t) = &returns
            && !known.contains_key(&(spec.schema.clone(), t.clone()))
        {
            self.diags.error(
                file,
                &format!("{path}.returns"),
                format!(
                    "`{returns_text}` is neither a type nor a table of schema `{}`",
                    spec.schema
                ),
            );
            ok = false;
        }
        let volatility = f.volatility.clone().unwrap_or_else(|| "volatile".into());
        if !["immutable", "stable", "volatile"].contains(&volatility.as_str()) {
            self.diags.error(
                file,
                &format!("{path}.volatility"),
                format!("unknown volatility `{volatility}`; use immutable, stable or volatile"),
            );
            ok = false;
        }
        let language = f.language.clone().unwrap_or_else(|| "sql".into());
        if !["sql", "plpgsql"].contains(&language.as_str()) {
            self.diags.error(
                file,
                &format!("{path}.language"),
                format!("unknown language `{language}`; use sql or plpgsql"),
            );
            ok = false;
        }
        if f.body.contains("$fn$") {
            self.diags.error(
                file,
                &format!("{path}.body"),
                "the body may not contain `$fn$`, which quotes it in the migration",
            );
            ok = false;
        }
        for (gi, g) in f.grants.iter().enumerate() {
            if !KNOWN_ROLES.contains(&g.as_str()) {
                self.diags.error(
                    file,
                    &format!("{path}.grants[{gi}]"),
                    format!("unknown role `{g}`; use one of {}", KNOWN_ROLES.join(", ")),
                );
                ok = false;
            }
        }
        ok.then(|| Function {
            schema: spec.schema.clone(),
            name: f.name.clone(),
            comment: f.comment.clone(),
            args,
            returns,
            volatility,
            language,
            security_definer: f.security_definer,
            body: f.body.clone(),
            grants: f.grants.clone(),
            exposed: spec.exposed,
        })
    }

    fn table(
        &mut self,
        file: &str,
        spec: &SpecFile,
        t: &spec::TableSpec,
        path: &str,
        known: &BTreeMap<(String, String), Vec<(String, SqlType)>>,
    ) -> Option<Table> {
        if !valid_ident(&t.name) {
            self.diags.error(file, &format!("{path}.name"), format!("`{}` is not a valid table name: use lowercase letters, digits and underscores, starting with a letter", t.name));
        }
        if t.columns.is_empty() {
            self.diags.error(
                file,
                &format!("{path}.columns"),
                format!("table `{}` has no columns", t.name),
            );
        }
        let mut table = Table {
            schema: spec.schema.clone(),
            name: t.name.clone(),
            comment: t.comment.clone(),
            columns: Vec::new(),
            primary_key: Vec::new(),
            uniques: Vec::new(),
            checks: Vec::new(),
            foreign_keys: Vec::new(),
            indexes: Vec::new(),
            rls: t.rls,
            policies: Vec::new(),
            grants: Vec::new(),
            exposed: spec.exposed,
            renamed_from: t.renamed_from.clone(),
        };
        self.renames(
            file,
            &format!("{path}.columns"),
            "column",
            t.columns
                .iter()
                .map(|c| (c.name.as_str(), c.renamed_from.as_deref())),
        );
        let mut col_names = BTreeSet::new();
        for (ci, c) in t.columns.iter().enumerate() {
            let cpath = format!("{path}.columns[{ci}]");
            if !col_names.insert(c.name.clone()) {
                self.diags.error(
                    file,
                    &format!("{cpath}.name"),
                    format!(
                        "column `{}` is declared twice in table `{}`",
                        c.name, t.name
                    ),
                );
                continue;
            }
            if !valid_ident(&c.name) {
                self.diags.error(file, &format!("{cpath}.name"), format!("`{}` is not a valid column name: use lowercase letters, digits and underscores, starting with a letter", c.name));
            }
            if let Some(col) = self.column(file, &mut table, c, &cpath, known) {
                table.columns.push(col);
            }
        }
        for (ui, cols) in t.unique.iter().enumerate() {
            let upath = format!("{path}.unique[{ui}]");
            if cols.is_empty() {
                self.diags.error(
                    file,
                    &upath,
                    "a unique constraint needs at least one column",
                );
            }
            for c in cols {
                if !col_names.contains(c) {
                    self.unknown_column(file, &upath, &t.name, c, &col_names);
                }
            }
            table.uniques.push(Unique {
                name: pg_name(format!("{}_{}_key", t.name, cols.join("_"))),
                columns: cols.clone(),
            });
        }
        for (ki, check) in t.checks.iter().enumerate() {
            if check.expr.trim().is_empty() {
                self.diags.error(
                    file,
                    &format!("{path}.checks[{ki}].expr"),
                    "a check needs an expression",
                );
            }
            table.checks.push(Check {
                name: check.name.clone(),
                column: None,
                expr: check.expr.clone(),
            });
        }
        for (ii, idx) in t.indexes.iter().enumerate() {
            let ipath = format!("{path}.indexes[{ii}]");
            let cpath = format!("{ipath}.columns");
            let method = idx.method.clone().unwrap_or_else(|| "btree".into());
            if !INDEX_METHODS.contains(&method.as_str()) {
                self.diags.error(
                    file,
                    &format!("{ipath}.method"),
                    format!(
                        "unknown index method `{method}`; use one of {}",
                        INDEX_METHODS.join(", ")
                    ),
                );
            }
            let mut columns = Vec::new();
            for c in &idx.columns {
                let mut words: Vec<&str> = c.split_whitespace().collect();
                let descending = match words.last() {
                    Some(&"desc") => {
                        words.pop();
                        true
                    }
                    Some(&"asc") => {
                        words.pop();
                        false
                    }
                    _ => false,
                };
                let name = words.first().copied().unwrap_or_default().to_string();
                let opclass = match words.get(1..).unwrap_or_default() {
                    [] => None,
                    [op] if valid_ident(op) => Some(op.to_string()),
                    rest => {
                        self.diags.error(
                            file,
                            &cpath,
                            format!(
                                "`{c}`: write an index column as `column [operator_class] [asc|desc]`; `{}` is not an operator class",
                                rest.join(" ")
                            ),
                        );
                        None
                    }
                };
                match table.column(&name) {
                    Some(col) => {
                        self.index_column_fits(file, &cpath, &method, col, opclass.as_deref())
                    }
                    // A column declared twice, already reported.
                    None if col_names.contains(&name) => {}
                    None => self.unknown_column(file, &cpath, &t.name, &name, &col_names),
                }
                columns.push(IndexColumn {
                    name,
                    descending,
                    opclass,
                });
            }
            if matches!(method.as_str(), "hnsw" | "ivfflat") && (columns.len() != 1 || idx.unique) {
                self.diags.error(
                    file,
                    &cpath,
                    format!("a {method} index covers exactly one vector column and is not unique"),
                );
            }
            let name = idx.name.clone().unwrap_or_else(|| {
                let cols: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
                pg_name(format!("{}_{}_idx", t.name, cols.join("_")))
            });
            table.indexes.push(Index {
                name,
                columns,
                unique: idx.unique,
                method,
            });
        }
        let mut policy_names = BTreeSet::new();
        for (pi, p) in t.policies.iter().enumerate() {
            let ppath = format!("{path}.policies[{pi}]");
            if !policy_names.insert(p.name.clone()) {
                self.diags.error(
                    file,
                    &format!("{ppath}.name"),
                    format!(
                        "policy `{}` is declared twice on table `{}`",
                        p.name, t.name
                    ),
                );
            }
            let Some(command) = Command::parse(&p.command) else {
                self.diags.error(
                    file,
                    &format!("{ppath}.command"),
                    format!(
                        "unknown policy command `{}`; use select, insert, update, delete or all",
                        p.command
                    ),
                );
                continue;
            };
            if command == Command::Insert && p.using.is_some() {
                self.diags.error(
                    file,
                    &format!("{ppath}.using"),
                    "an insert policy has no `using` (there is no existing row); use `with_check`",
                );
            }
            if matches!(command, Command::Select | Command::Delete) && p.with_check.is_some() {
                self.diags.error(
                    file,
                    &format!("{ppath}.with_check"),
                    format!(
                        "a {} policy has no `with_check` (no new row is written); use `using`",
                        command.sql()
                    ),
                );
            }
            if p.using.is_none() && p.with_check.is_none() {
                self.diags
                    .error(file, &ppath, "a policy needs `using`, `with_check` or both");
            }
            for (ri, role) in p.roles.iter().enumerate() {
                if !KNOWN_ROLES.contains(&role.as_str()) {
                    self.diags.error(
                        file,
                        &format!("{ppath}.roles[{ri}]"),
                        format!(
                            "unknown role `{role}`; use one of {}",
                            KNOWN_ROLES.join(", ")
                        ),
                    );
                }
            }
            table.policies.push(Policy {
                name: p.name.clone(),
                command,
                roles: p.roles.clone(),
                using: p.using.as_deref().map(once_per_statement),
                with_check: p.with_check.as_deref().map(once_per_statement),
                restrictive: p.restrictive,
            });
        }
        if !t.policies.is_empty() && !t.rls {
            self.diags.error(file, &format!("{path}.rls"), format!("table `{}` has policies but `rls` is not enabled, so the policies would have no effect", t.name));
        }
        table.grants = self.grants(file, path, &t.grants);
        Some(table)
    }

    /// The views of every file, after the tables (their names must not clash, and their
    /// relationships may point at tables or at views declared before them).
    fn views(
        &mut self,
        tables: &[Table],
        known: &BTreeMap<(String, String), Vec<(String, SqlType)>>,
    ) -> Vec<View> {
        let mut targets = known.clone();
        let mut views = Vec::new();
        for (file, spec) in self.files {
            for (vi, v) in spec.views.iter().enumerate() {
                let path = format!("views[{vi}]");
                if !valid_ident(&v.name) {
                    self.diags.error(file, &format!("{path}.name"), format!("`{}` is not a valid view name: use lowercase letters, digits and underscores, starting with a letter", v.name));
                }
                let clash = tables
                    .iter()
                    .any(|t| t.schema == spec.schema && t.name == v.name)
                    || views
                        .iter()
                        .any(|w: &View| w.schema == spec.schema && w.name == v.name);
                if clash {
                    self.diags.error(
                        file,
                        &format!("{path}.name"),
                        format!(
                            "`{}` is already a table or view of schema `{}`",
                            v.name, spec.schema
                        ),
                    );
                    continue;
                }
                if v.query.trim().is_empty() {
                    self.diags
                        .error(file, &format!("{path}.query"), "a view needs a query");
                }
                if v.columns.is_empty() {
                    self.diags.error(
                        file,
                        &format!("{path}.columns"),
                        format!("view `{}` declares no columns", v.name),
                    );
                }
                let mut scratch = Table {
                    schema: spec.schema.clone(),
                    name: v.name.clone(),
                    comment: None,
                    columns: Vec::new(),
                    primary_key: Vec::new(),
                    uniques: Vec::new(),
                    checks: Vec::new(),
                    foreign_keys: Vec::new(),
                    indexes: Vec::new(),
                    rls: false,
                    policies: Vec::new(),
                    grants: Vec::new(),
                    exposed: spec.exposed,
                    renamed_from: None,
                };
                let mut columns: Vec<Column> = Vec::new();
                for (ci, c) in v.columns.iter().enumerate() {
                    let cpath = format!("{path}.columns[{ci}]");
                    if columns.iter().any(|o| o.name == c.name) {
                        self.diags.error(
                            file,
                            &format!("{cpath}.name"),
                            format!("column `{}` is declared twice in view `{}`", c.name, v.name),
                        );
                        continue;
                    }
                    if !valid_ident(&c.name) {
                        self.diags.error(file, &format!("{cpath}.name"), format!("`{}` is not a valid column name: use lowercase letters, digits and underscores, starting with a letter", c.name));
                    }
                    let Some(ty) = SqlType::parse(&c.ty) else {
                        self.diags.error(
                            file,
                            &format!("{cpath}.type"),
                            format!(
                                "unknown type `{}`; use a type a table column may have",
                                c.ty
                            ),
                        );
                        continue;
                    };
                    if let Some(r) = &c.references {
                        if r.on_delete.is_some() {
                            self.diags.error(
                                file,
                                &format!("{cpath}.references.on_delete"),
                                "a view's reference is a relationship for embedding, not a constraint: it has no `on_delete`",
                            );
                        }
                        let column = RefColumn {
                            name: &c.name,
                            nullable: true,
                        };
                        self.reference(file, &mut scratch, column, ty, r, &cpath, &targets);
                    }
                    columns.push(Column {
                        name: c.name.clone(),
                        ty,
                        nullable: c.nullable,
                        default: None,
                        comment: c.comment.clone(),
                        rule: Rule::default(),
                        renamed_from: None,
                        generated: None,
                    });
                }
                targets.insert(
                    (spec.schema.clone(), v.name.clone()),
                    columns.iter().map(|c| (c.name.clone(), c.ty)).collect(),
                );
                let grants = self.grants(file, &path, &v.grants);
                views.push(View {
                    schema: spec.schema.clone(),
                    name: v.name.clone(),
                    comment: v.comment.clone(),
                    columns,
                    foreign_keys: scratch.foreign_keys,
                    query: v.query.trim().to_string(),
                    security_invoker: v.security_invoker,
                    grants,
                    exposed: spec.exposed,
                });
            }
        }
        views
    }

    /// The privileges per role of a table or view, checked and sorted by role.
    fn grants(
        &mut self,
        file: &str,
        path: &str,
        spec: &BTreeMap<String, Vec<String>>,
    ) -> Vec<Grant> {
        let mut grants = Vec::new();
        for (role, privs) in spec {
            let gpath = format!("{path}.grants.{role}");
            if !KNOWN_ROLES.contains(&role.as_str()) {
                self.diags.error(
                    file,
                    &gpath,
                    format!(
                        "unknown role `{role}`; use one of {}",
                        KNOWN_ROLES.join(", ")
                    ),
                );
            }
            let mut list: Vec<String> = Vec::new();
            for p in privs {
                let lower = p.to_ascii_lowercase();
                if !PRIVILEGES.contains(&lower.as_str()) {
                    self.diags.error(
                        file,
                        &gpath,
                        format!(
                            "unknown privilege `{p}`; use one of {}",
                            PRIVILEGES.join(", ")
                        ),
                    );
                } else if !list.contains(&lower) {
                    list.push(lower);
                }
            }
            if list.iter().any(|p| p == "all") {
                list = vec!["all".into()];
            }
            list.sort();
            grants.push(Grant {
                role: role.clone(),
                privileges: list,
            });
        }
        grants
    }

    /// Whether an index method (with an operator class, if given) can index a column.
    fn index_column_fits(
        &mut self,
        file: &str,
        path: &str,
        method: &str,
        col: &Column,
        opclass: Option<&str>,
    ) {
        let ty = col.ty;
        let problem = match method {
            "hnsw" | "ivfflat" => {
                let classes: &[&str] = if method == "hnsw" {
                    &VECTOR_OPCLASSES
                } else {
                    &VECTOR_OPCLASSES[..3]
                };
                if !matches!(ty.base, BaseType::Vector(Some(_))) {
                    Some(format!(
                        "a {method} index needs a vector(N) column (its width set); `{}` is {}",
                        col.name,
                        ty.sql()
                    ))
                } else {
                    opclass.filter(|op| !classes.contains(op)).map(|op| {
                        format!(
                            "`{op}` is not an operator class of {method}; use one of {}",
                            classes.join(", ")
                        )
                    })
                }
            }
            "gin" if opclass.is_none() => {
                let indexable = ty.array || matches!(ty.base, BaseType::Jsonb | BaseType::TsVector);
                (!indexable).then(|| {
                    format!(
                        "a gin index needs a tsvector, jsonb or array column (or an operator class); `{}` is {}",
                        col.name,
                        ty.sql()
                    )
                })
            }
            _ => None,
        };
        if let Some(p) = problem {
            self.diags.error(file, path, p);
        }
    }

    fn unknown_column(
        &mut self,
        file: &str,
        path: &str,
        table: &str,
        name: &str,
        known: &BTreeSet<String>,
    ) {
        let hint = closest(name, known.iter().map(String::as_str))
            .map(|c| format!("; did you mean `{c}`?"))
            .unwrap_or_default();
        self.diags.error(
            file,
            path,
            format!("table `{table}` has no column `{name}`{hint}"),
        );
    }

    fn column(
        &mut self,
        file: &str,
        table: &mut Table,
        c: &spec::ColumnSpec,
        path: &str,
        known: &BTreeMap<(String, String), Vec<(String, SqlType)>>,
    ) -> Option<Column> {
        let Some(ty) = SqlType::parse(&c.ty) else {
            let names: Vec<&str> = BaseType::ALL
                .iter()
                .filter(|(_, t)| !t.is_scalar_only())
                .map(|(n, _)| *n)
                .collect();
            self.diags.error(
                file,
                &format!("{path}.type"),
                format!(
                    "unknown type `{}`; use one of {} (optionally followed by []), tsvector, or vector(N) with N from 1 to {VECTOR_MAX_DIMENSIONS} (or vector of any width)",
                    c.ty,
                    names.join(", ")
                ),
            );
            return None;
        };
        let generated = c.generated.as_ref().map(|expr| {
            let clashes = [
                ("default", c.default.is_some()),
                ("default_sql", c.default_sql.is_some()),
                ("primary_key", c.primary_key),
                ("references", c.references.is_some()),
            ];
            for (key, set) in clashes {
                if set {
                    self.diags.error(
                        file,
                        &format!("{path}.{key}"),
                        format!(
                            "a generated column cannot have `{key}`: Postgres computes its value"
                        ),
                    );
                }
            }
            if expr.trim().is_empty() {
                self.diags.error(
                    file,
                    &format!("{path}.generated"),
                    "`generated` needs a SQL expression",
                );
            }
            expr.trim().to_string()
        });
        if c.primary_key {
            table.primary_key.push(c.name.clone());
            if c.nullable {
                self.diags.error(
                    file,
                    &format!("{path}.nullable"),
                    "a primary key column cannot be nullable",
                );
            }
        }
        if c.unique {
            table.uniques.push(Unique {
                name: pg_name(format!("{}_{}_key", table.name, c.name)),
                columns: vec![c.name.clone()],
            });
        }
        let default = match (&c.default, &c.default_sql) {
            (Some(_), Some(_)) => {
                self.diags.error(
                    file,
                    &format!("{path}.default_sql"),
                    "give either `default` (a value) or `default_sql` (an expression), not both",
                );
                None
            }
            (Some(v), None) => {
                self.check_literal(file, &format!("{path}.default"), ty, v);
                Some(DefaultValue::Literal(v.clone()))
            }
            (None, Some(s)) => Some(DefaultValue::Sql(s.clone())),
            (None, None) => None,
        };
        let rule = self.rule(
            file,
            path,
            RuleInput {
                length: c.length.as_ref(),
                one_of: c.one_of.as_ref(),
                range: c.range.as_ref(),
            },
            Target::Column(ty),
        );
        let mut rule = rule;
        if let Some(shape) = &c.shape {
            if !ty.base.is_json() || ty.array {
                self.diags.error(
                    file,
                    &format!("{path}.shape"),
                    format!(
                        "`shape` applies to jsonb and json columns, not {}",
                        ty.sql()
                    ),
                );
            }
            rule.shape = Some(self.shape(file, &format!("{path}.shape"), shape, c.closed));
        } else if c.closed {
            self.diags
                .error(file, &format!("{path}.closed"), "`closed` needs a `shape`");
        }
        if let Some(expr) = crate::sql::rule_check(&c.name, ty, &rule) {
            table.checks.push(Check {
                name: pg_name(format!("{}_{}_check", table.name, c.name)),
                column: Some(c.name.clone()),
                expr,
            });
        }
        if let Some(expr) = &c.check {
            table.checks.push(Check {
                name: pg_name(format!("{}_{}_check1", table.name, c.name)),
                column: Some(c.name.clone()),
                expr: expr.clone(),
            });
        }
        if let Some(r) = &c.references {
            let column = RefColumn {
                name: &c.name,
                nullable: c.nullable,
            };
            self.reference(file, table, column, ty, r, path, known);
        }
        Some(Column {
            name: c.name.clone(),
            ty,
            nullable: c.nullable && !c.primary_key,
            default,
            comment: c.comment.clone(),
            rule,
            renamed_from: c.renamed_from.clone(),
            generated,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn reference(
        &mut self,
        file: &str,
        table: &mut Table,
        c: RefColumn<'_>,
        ty: SqlType,
        r: &spec::ReferenceSpec,
        path: &str,
        known: &BTreeMap<(String, String), Vec<(String, SqlType)>>,
    ) {
        let rpath = format!("{path}.references");
        let (ref_schema, ref_table) = match r.table.split_once('.') {
            Some((s, t)) => (s.to_string(), t.to_string()),
            None => (table.schema.clone(), r.table.clone()),
        };
        let ref_column = r.column.clone().unwrap_or_else(|| "id".into());
        let on_delete = match &r.on_delete {
            None => FkAction::NoAction,
            Some(s) => match FkAction::parse(s) {
                Some(a) => a,
                None => {
                    self.diags.error(
                        file,
                        &format!("{rpath}.on_delete"),
                        format!("unknown action `{s}`; use cascade, restrict, set null, set default or no action"),
                    );
                    FkAction::NoAction
                }
            },
        };
        if on_delete == FkAction::SetNull && !c.nullable {
            self.diags.error(
                file,
                &format!("{rpath}.on_delete"),
                format!(
                    "`on_delete: set null` needs column `{}` to be nullable",
                    c.name
                ),
            );
        }
        match known.get(&(ref_schema.clone(), ref_table.clone())) {
            None => {
                let tables = known
                    .keys()
                    .map(|(s, t)| format!("{s}.{t}"))
                    .collect::<Vec<_>>();
                let hint = closest(
                    &format!("{ref_schema}.{ref_table}"),
                    tables.iter().map(String::as_str),
                )
                .map(|c| format!("; did you mean `{c}`?"))
                .unwrap_or_default();
                self.diags.error(
                    file,
                    &format!("{rpath}.table"),
                    format!("column `{}` references table `{ref_schema}.{ref_table}`, which the spec does not declare{hint}", c.name),
                );
            }
            Some(cols) => match cols.iter().find(|(n, _)| *n == ref_column) {
                None => {
                    let names: BTreeSet<String> = cols.iter().map(|(n, _)| n.clone()).collect();
                    self.unknown_column(
                        file,
                        &rpath,
                        &format!("{ref_schema}.{ref_table}"),
                        &ref_column,
                        &names,
                    );
                }
                Some((_, rty)) if *rty != ty => {
                    self.diags.error(
                        file,
                        &rpath,
                        format!(
                            "column `{}` is {} but references `{ref_schema}.{ref_table}.{ref_column}`, which is {}",
                            c.name,
                            ty.sql(),
                            rty.sql()
                        ),
                    );
                }
                Some(_) => {}
            },
        }
        table.foreign_keys.push(ForeignKey {
            name: pg_name(format!("{}_{}_fkey", table.name, c.name)),
            columns: vec![c.name.to_string()],
            ref_schema,
            ref_table,
            ref_columns: vec![ref_column],
            on_delete,
        });
    }

    fn check_literal(&mut self, file: &str, path: &str, ty: SqlType, v: &serde_json::Value) {
        use serde_json::Value;
        let ok = match (ty.array, ty.base, v) {
            (_, _, Value::Null) => true,
            (true, _, Value::Array(_)) => true,
            (true, _, _) => false,
            (false, b, _) if b.is_json() => true,
            (false, BaseType::Boolean, Value::Bool(_)) => true,
            (false, b, Value::Number(n)) if b.is_integer() => n.is_i64() || n.is_u64(),
            (false, b, Value::Number(_)) if b.is_numeric() => true,
            (false, b, Value::String(_)) => !b.is_numeric() && b != BaseType::Boolean,
            _ => false,
        };
        if !ok {
            self.diags.error(
                file,
                path,
                format!(
                    "default {v} does not fit type {}; for an SQL expression use `default_sql`",
                    ty.sql()
                ),
            );
        }
    }

    fn rule(&mut self, file: &str, path: &str, input: RuleInput<'_>, target: Target) -> Rule {
        let mut rule = Rule::default();
        let texty = match target {
            Target::Column(ty) => !ty.array && ty.base == BaseType::Text,
            Target::Field(t) => t == JsonType::String,
        };
        let numeric = match target {
            Target::Column(ty) => !ty.array && ty.base.is_numeric(),
            Target::Field(t) => matches!(t, JsonType::Number | JsonType::Integer),
        };
        let what = match target {
            Target::Column(ty) => ty.sql(),
            Target::Field(t) => t.name().to_string(),
        };
        if let Some(l) = input.length {
            if !texty {
                self.diags.error(
                    file,
                    &format!("{path}.length"),
                    format!("`length` applies to text values, not {what}"),
                );
            }
            if let (Some(min), Some(max)) = (l.min, l.max)
                && min > max
            {
                self.diags.error(
                    file,
                    &format!("{path}.length"),
                    format!("length min {min} is greater than max {max}"),
                );
            }
            rule.min_length = l.min;
            rule.max_length = l.max;
        }
        if let Some(values) = input.one_of {
            if !texty {
                self.diags.error(
                    file,
                    &format!("{path}.enum"),
                    format!("`enum` applies to text values, not {what}"),
                );
            }
            if values.is_empty() {
                self.diags.error(
                    file,
                    &format!("{path}.enum"),
                    "`enum` needs at least one value",
                );
            }
            rule.one_of = values.clone();
        }
        if let Some(r) = input.range {
            if !numeric {
                self.diags.error(
                    file,
                    &format!("{path}.range"),
                    format!("`range` applies to numbers, not {what}"),
                );
            }
            if let (Some(min), Some(max)) = (r.min, r.max)
                && min > max
            {
                self.diags.error(
                    file,
                    &format!("{path}.range"),
                    format!("range min {min} is greater than max {max}"),
                );
            }
            rule.minimum = r.min;
            rule.maximum = r.max;
        }
        rule
    }

    fn shape(
        &mut self,
        file: &str,
        path: &str,
        shape: &BTreeMap<String, spec::FieldSpec>,
        closed: bool,
    ) -> Shape {
        let mut fields = Vec::new();
        for (name, f) in shape {
            let fpath = format!("{path}.{name}");
            if name.contains('\'') || name.is_empty() {
                self.diags
                    .error(file, &fpath, format!("`{name}` is not a usable key name"));
                continue;
            }
            let Some(ty) = JsonType::parse(&f.ty) else {
                self.diags.error(
                    file,
                    &format!("{fpath}.type"),
                    format!(
                        "unknown JSON type `{}`; use string, number, integer, boolean, array or object",
                        f.ty
                    ),
                );
                continue;
            };
            let rule = self.rule(
                file,
                &fpath,
                RuleInput {
                    length: f.length.as_ref(),
                    one_of: f.one_of.as_ref(),
                    range: f.range.as_ref(),
                },
                Target::Field(ty),
            );
            let items = match (&f.items, ty) {
                (None, _) => None,
                (Some(i), JsonType::Array) => {
                    match JsonType::parse(i) {
                        Some(
                            t @ (JsonType::String
                            | JsonType::Number
                            | JsonType::Integer
                            | JsonType::Boolean),
                        ) => Some(t),
                        _ => {
                            self.diags.error(
                            file,
                            &format!("{fpath}.items"),
                            format!("array items must be string, number, integer or boolean, not `{i}`"),
                        );
                            None
                        }
                    }
                }
                (Some(_), _) => {
                    self.diags.error(
                        file,
                        &format!("{fpath}.items"),
                        "`items` applies to arrays only",
                    );
                    None
                }
            };
            fields.push(Field {
                name: name.clone(),
                ty,
                required: f.required,
                nullable: f.nullable,
                comment: f.comment.clone(),
                rule,
                items,
            });
        }
        Shape { fields, closed }
    }
}

struct RuleInput<'a> {
    length: Option<&'a spec::LengthSpec>,
    one_of: Option<&'a Vec<String>>,
    range: Option<&'a spec::RangeSpec>,
}

#[derive(Clone, Copy)]
enum Target {
    Column(SqlType),
    Field(JsonType),
}

/// The auth helpers a policy may call; each is stable, so Postgres can evaluate it once per
/// statement (an InitPlan) instead of once per row, but only when it sits in a sub-select.
const AUTH_HELPERS: &[&str] = &["auth.uid()", "auth.jwt()", "auth.role()", "auth.email()"];

/// Rewrites `auth.uid()` (and the other helpers) to `(select auth.uid())` in a policy
/// expression, leaving calls that already sit in such a sub-select alone.
pub fn once_per_statement(expr: &str) -> String {
    let mut out = String::with_capacity(expr.len() + 16);
    let mut rest = expr;
    'scan: while !rest.is_empty() {
        for helper in AUTH_HELPERS {
            let at_word_start = !out
                .chars()
                .last()
                .is_some_and(|p| p.is_ascii_alphanumeric() || p == '_' || p == '.');
            if at_word_start && rest.starts_with(helper) {
                let before = out.trim_end().to_ascii_lowercase();
                let after_select = before
                    .strip_suffix("select")
                    .is_some_and(|b| b.trim_end().ends_with('('));
                let wrapped = after_select && rest[helper.len()..].trim_start().starts_with(')');
                if wrapped {
                    out.push_str(helper);
                } else {
                    out.push_str(&format!("(select {helper})"));
                }
                rest = &rest[helper.len()..];
                continue 'scan;
            }
        }
        let c = rest.chars().next().expect("rest is not empty");
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Orders tables so that referenced tables come first; ties keep schema/name order.
fn dependency_order(mut tables: Vec<Table>) -> Vec<Table> {
    tables.sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
    let mut out: Vec<Table> = Vec::with_capacity(tables.len());
    let mut placed: BTreeSet<(String, String)> = BTreeSet::new();
    while !tables.is_empty() {
        let ready = tables.iter().position(|t| {
            t.foreign_keys.iter().all(|fk| {
                (fk.ref_schema == t.schema && fk.ref_table == t.name)
                    || placed.contains(&(fk.ref_schema.clone(), fk.ref_table.clone()))
                    || !tables
                        .iter()
                        .any(|o| o.schema == fk.ref_schema && o.name == fk.ref_table)
            })
        });
        // A reference cycle cannot be ordered; keep the remaining order (the migration adds
        // foreign keys after all tables, so it still applies).
        let i = ready.unwrap_or(0);
        let t = tables.remove(i);
        placed.insert((t.schema.clone(), t.name.clone()));
        out.push(t);
    }
    out
}

pub use sqltext::closest;

/// The column a reference starts from.
#[derive(Clone, Copy)]
struct RefColumn<'a> {
    name: &'a str,
    nullable: bool,
}

/// Renders a literal default as SQL: a quoted literal cast to the column type.
pub fn literal_default(v: &serde_json::Value, ty: SqlType) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) if !ty.base.is_json() => n.to_string(),
        Value::String(s) if !ty.base.is_json() && !ty.array => {
            format!("{}::{}", quote_literal(s), ty.sql())
        }
        Value::Array(items) if ty.array => {
            let parts: Vec<String> = items
                .iter()
                .map(|i| match i {
                    Value::String(s) => quote_literal(s),
                    other => other.to_string(),
                })
                .collect();
            format!("array[{}]::{}", parts.join(", "), ty.sql())
        }
        other => format!("{}::{}", quote_literal(&other.to_string()), ty.sql()),
    }
}

impl Lowerer<'_> {
    /// Checks a crud endpoint's `sealed_objects`: each names a json or jsonb column of its
    /// table, or a dotted key path inside one, that the endpoint answers.
    fn sealed_objects(
        &mut self,
        file: &str,
        path: &str,
        table: &Table,
        c: &spec::CrudSpec,
    ) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for (i, entry) in c.sealed_objects.iter().enumerate() {
            let at = format!("{path}.crud.sealed_objects[{i}]");
            let mut parts = entry.split('.').map(str::to_string);
            let column = parts.next().unwrap_or_default();
            let keys: Vec<String> = parts.collect();
            if column.is_empty() || keys.iter().any(String::is_empty) {
                self.diags.error(
                    file,
                    &at,
                    format!("`{entry}` is not a column or a dotted key path inside one (`config.headers`)"),
                );
                continue;
            }
            let Some(col) = table.column(&column) else {
                let known: BTreeSet<String> =
                    table.columns.iter().map(|c| c.name.clone()).collect();
                self.unknown_column(file, &at, &table.name, &column, &known);
                continue;
            };
            if !col.ty.base.is_json() || col.ty.array {
                self.diags.error(
                    file,
                    &at,
                    format!(
                        "column `{column}` is {}, not json or jsonb; a sealed object is a JSON object of credentials",
                        col.ty.sql()
                    ),
                );
                continue;
            }
            if c.hidden.contains(&column) {
                self.diags.error(
                    file,
                    &at,
                    format!(
                        "column `{column}` is hidden, so the endpoint neither takes nor answers it"
                    ),
                );
                continue;
            }
            if out.iter().any(|(c, k)| *c == column && *k == keys) {
                self.diags
                    .error(file, &at, format!("`{entry}` is listed twice"));
                continue;
            }
            out.push((column, keys));
        }
        out
    }

    /// Checks every typed endpoint against the tables and functions of its file's schema.
    fn endpoints(&mut self, tables: &[Table], functions: &[Function]) -> Vec<Endpoint> {
        let mut out: Vec<Endpoint> = Vec::new();
        let all_paths: Vec<String> = self
            .files
            .iter()
            .flat_map(|(_, s)| s.endpoints.iter().map(|e| e.path.clone()))
            .collect();
        for (file, spec) in self.files {
            for (ei, e) in spec.endpoints.iter().enumerate() {
                let path = format!("endpoints[{ei}]");
                if !e.path.starts_with("/api/") || e.path.ends_with('/') {
                    self.diags.error(
                        file,
                        &format!("{path}.path"),
                        format!("`{}` must start with /api/ and not end with /", e.path),
                    );
                    continue;
                }
                if out.iter().any(|o| o.path == e.path) {
                    self.diags.error(
                        file,
                        &format!("{path}.path"),
                        format!("endpoint `{}` is declared twice", e.path),
                    );
                    continue;
                }
                let params: Vec<&str> = e
                    .path
                    .split('/')
                    .filter_map(|seg| seg.strip_prefix('{').and_then(|p| p.strip_suffix('}')))
                    .collect();
                let kind = match (&e.crud, &e.sql, &e.handler) {
                    (None, None, Some(h)) => {
                        if !HANDLERS.contains(&h.name.as_str()) {
                            self.diags.error(
                                file,
                                &format!("{path}.handler.name"),
                                format!(
                                    "unknown handler `{}`; the runtime has: {}",
                                    h.name,
                                    HANDLERS.join(", ")
                                ),
                            );
                            continue;
                        }
                        let method = h
                            .method
                            .clone()
                            .unwrap_or_else(|| "POST".into())
                            .to_ascii_uppercase();
                        if method != "GET" && method != "POST" {
                            self.diags.error(
                                file,
                                &format!("{path}.handler.method"),
                                format!("method `{method}` is not GET or POST"),
                            );
                        }
                        let request =
                            self.shape(file, &format!("{path}.handler.request"), &h.request, true);
                        let response = self.shape(
                            file,
                            &format!("{path}.handler.response"),
                            &h.response,
                            false,
                        );
                        EndpointKind::Handler {
                            name: h.name.clone(),
                            method,
                            request,
                            response,
                        }
                    }
                    (Some(c), None, None) => {
                        let Some(table) = tables
                            .iter()
                            .find(|t| t.schema == spec.schema && t.name == c.table)
                        else {
                            self.diags.error(
                                file,
                                &format!("{path}.crud.table"),
                                format!("table `{}.{}` is not declared", spec.schema, c.table),
                            );
                            continue;
                        };
                        let column_ok = |name: &str, at: &str, this: &mut Self| {
                            if table.column(name).is_none() {
                                let known: BTreeSet<String> =
                                    table.columns.iter().map(|c| c.name.clone()).collect();
                                this.unknown_column(
                                    file,
                                    &format!("{path}.crud.{at}"),
                                    &table.name,
                                    name,
                                    &known,
                                );
                            }
                        };
                        let key = c
                            .key
                            .clone()
                            .or_else(|| table.primary_key.first().cloned())
                            .unwrap_or_else(|| "id".into());
                        column_ok(&key, "key", self);
                        if let Some(owner) = &c.owner {
                            column_ok(owner, "owner", self);
                        }
                        let item = c.item.clone().unwrap_or_else(|| "id".into());
                        if params.contains(&item.as_str()) {
                            self.diags.error(file, &format!("{path}.crud.item"), format!("`{item}` is already a parameter of `{}`; name the item parameter with `item:`", e.path));
                        }
                        let operations = c.operations.clone().unwrap_or_else(|| {
                            ["list", "get", "create", "update", "delete"]
                                .map(String::from)
                                .to_vec()
                        });
                        for op in &operations {
                            if !["list", "get", "create", "update", "replace", "delete"]
                                .contains(&op.as_str())
                            {
                                self.diags.error(file, &format!("{path}.crud.operations"), format!("unknown operation `{op}`; use list, get, create, update, replace or delete"));
                            }
                        }
                        let parent = match &c.parent {
                            None => None,
                            Some(p) => {
                                if !all_paths.contains(&p.endpoint) {
                                    self.diags.error(
                                        file,
                                        &format!("{path}.crud.parent.endpoint"),
                                        format!("no endpoint `{}` is declared", p.endpoint),
                                    );
                                }
                                if !params.contains(&p.param.as_str()) {
                                    self.diags.error(
                                        file,
                                        &format!("{path}.crud.parent.param"),
                                        format!("`{}` is not a parameter of `{}`", p.param, e.path),
                                    );
                                }
                                column_ok(&p.column, "parent.column", self);
                                Some((p.endpoint.clone(), p.param.clone(), p.column.clone()))
                            }
                        };
                        for (field, column) in &c.renames {
                            column_ok(column, &format!("renames.{field}"), self);
                        }
                        for field in &c.update {
                            let column = c.renames.get(field).unwrap_or(field);
                            column_ok(column, "update", self);
                        }
                        let lookup = match &c.lookup {
                            None => None,
                            Some(l) => {
                                let key = l.key.clone().unwrap_or_else(|| "id".into());
                                match tables
                                    .iter()
                                    .find(|t| t.schema == spec.schema && t.name == l.table)
                                {
                                    None => self.diags.error(
                                        file,
                                        &format!("{path}.crud.lookup.table"),
                                        format!(
                                            "table `{}.{}` is not declared",
                                            spec.schema, l.table
                                        ),
                                    ),
                                    Some(lt) => {
                                        for col in [&l.column, &key] {
                                            if lt.column(col).is_none() {
                                                self.diags.error(
                                                    file,
                                                    &format!("{path}.crud.lookup"),
                                                    format!(
                                                        "table `{}` has no column `{col}`",
                                                        lt.name
                                                    ),
                                                );
                                            }
                                        }
                                    }
                                }
                                column_ok(&l.sets, "lookup.sets", self);
                                Some((
                                    l.field.clone(),
                                    l.table.clone(),
                                    l.column.clone(),
                                    key,
                                    l.sets.clone(),
                                ))
                            }
                        };
                        EndpointKind::Crud(Box::new(Crud {
                            schema: spec.schema.clone(),
                            table: c.table.clone(),
                            item_param: item,
                            key,
                            owner: c.owner.clone(),
                            parent,
                            operations,
                            renames: c
                                .renames
                                .iter()
                                .map(|(f, col)| (f.clone(), col.clone()))
                                .collect(),
                            update_fields: c.update.clone(),
                            lookup,
                            checks: c
                                .checks
                                .iter()
                                .map(|(field, check)| {
                                    if !FIELD_CHECKS.contains(&check.as_str()) {
                                        self.diags.error(
                                            file,
                                            &format!("{path}.crud.checks.{field}"),
                                            format!(
                                                "unknown check `{check}`; use one of {}",
                                                FIELD_CHECKS.join(", ")
                                            ),
                                        );
                                    }
                                    (field.clone(), check.clone())
                                })
                                .collect(),
                            hidden: {
                                for h in &c.hidden {
                                    column_ok(h, "hidden", self);
                                }
                                c.hidden.clone()
                            },
                            seal: c.seal.as_ref().map(|seal| {
                                column_ok(&seal.column, "seal.column", self);
                                if let Some(h) = &seal.hint {
                                    column_ok(h, "seal.hint", self);
                                }
                                (seal.field.clone(), seal.column.clone(), seal.hint.clone())
                            }),
                            sealed_objects: self.sealed_objects(file, &path, table, c),
                        }))
                    }
                    (None, Some(q), None) => {
                        if !functions
                            .iter()
                            .any(|f| f.schema == spec.schema && f.name == q.function)
                        {
                            self.diags.error(
                                file,
                                &format!("{path}.sql.function"),
                                format!(
                                    "function `{}.{}` is not declared",
                                    spec.schema, q.function
                                ),
                            );
                            continue;
                        }
                        let method = q
                            .method
                            .clone()
                            .unwrap_or_else(|| "POST".into())
                            .to_ascii_uppercase();
                        if method != "GET" && method != "POST" {
                            self.diags.error(
                                file,
                                &format!("{path}.sql.method"),
                                format!("method `{method}` is not GET or POST"),
                            );
                        }
                        EndpointKind::Sql {
                            method,
                            schema: spec.schema.clone(),
                            function: q.function.clone(),
                        }
                    }
                    _ => {
                        self.diags.error(
                            file,
                            &path,
                            "an endpoint needs exactly one of `crud` or `sql`",
                        );
                        continue;
                    }
                };
                out.push(Endpoint {
                    path: e.path.clone(),
                    not_found: e.not_found.clone().unwrap_or_else(|| "Not found".into()),
                    conflict: e.conflict.clone(),
                    kind,
                });
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::once_per_statement;

    #[test]
    fn auth_helpers_run_once_per_statement() {
        assert_eq!(
            once_per_statement("auth.uid() = user_id"),
            "(select auth.uid()) = user_id"
        );
        assert_eq!(
            once_per_statement("(select auth.uid()) = user_id"),
            "(select auth.uid()) = user_id"
        );
        assert_eq!(
            once_per_statement("( SELECT auth.uid() ) = user_id"),
            "( SELECT auth.uid() ) = user_id"
        );
        assert_eq!(
            once_per_statement("auth.jwt() ->> 'role' = 'admin' or owner = auth.uid()"),
            "(select auth.jwt()) ->> 'role' = 'admin' or owner = (select auth.uid())"
        );
        assert_eq!(
            once_per_statement("my_auth.uid_col = 1"),
            "my_auth.uid_col = 1"
        );
        assert_eq!(once_per_statement("my_auth.uid() = 1"), "my_auth.uid() = 1");
    }
}
