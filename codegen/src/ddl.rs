//! SQL definitions of single IR items (a column, a constraint, an index, a policy, a grant,
//! a function), shared by the migration that creates everything and by the migrations
//! [`crate::diff`] derives from spec changes, so that both spell every object the same way.
//!
//! Identifiers go through [`quote_ident`] and spec values through [`quote_literal`]; the
//! SQL expressions the spec holds (defaults, checks, policies, bodies) are its own text.

use crate::ir::{
    Check, Column, DefaultValue, ForeignKey, Function, Grant, Index, IndexColumn, Policy, Table,
    View,
};
use crate::lower::literal_default;
use crate::sql::{quote_ident, quote_literal};

/// `"schema"."name"`.
pub fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", quote_ident(schema), quote_ident(name))
}

/// A comma-separated list of quoted identifiers.
pub fn idents(names: &[String]) -> String {
    names
        .iter()
        .map(|n| quote_ident(n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A role in a GRANT or policy: `public` is a keyword there, every other role an identifier.
pub fn role(name: &str) -> String {
    if name == "public" {
        name.to_string()
    } else {
        quote_ident(name)
    }
}

/// A comma-separated list of roles.
pub fn roles(names: &[String]) -> String {
    names.iter().map(|r| role(r)).collect::<Vec<_>>().join(", ")
}

/// The default expression of a column, as SQL.
pub fn default_expr(c: &Column) -> Option<String> {
    match &c.default {
        Some(DefaultValue::Sql(expr)) => Some(expr.clone()),
        Some(DefaultValue::Literal(v)) => Some(literal_default(v, c.ty)),
        None => None,
    }
}

/// A column definition: `"name" type [not null] [default expr]`.
pub fn column(c: &Column) -> String {
    let mut line = format!("{} {}", quote_ident(&c.name), c.ty.sql());
    if let Some(expr) = &c.generated {
        line.push_str(&format!(" generated always as ({expr}) stored"));
    }
    if !c.nullable {
        line.push_str(" not null");
    }
    if let Some(expr) = default_expr(c) {
        line.push_str(&format!(" default {expr}"));
    }
    line
}

/// The primary key constraint of a table, when it has one.
pub fn primary_key(t: &Table) -> Option<String> {
    (!t.primary_key.is_empty()).then(|| {
        format!(
            "constraint {} primary key ({})",
            quote_ident(&t.primary_key_name()),
            idents(&t.primary_key)
        )
    })
}

/// A unique constraint: `constraint "name" unique (...)`.
pub fn unique(name: &str, columns: &[String]) -> String {
    format!(
        "constraint {} unique ({})",
        quote_ident(name),
        idents(columns)
    )
}

/// A check constraint: `constraint "name" check (...)`.
pub fn check(c: &Check) -> String {
    format!("constraint {} check ({})", quote_ident(&c.name), c.expr)
}

/// `alter table ... add constraint "name" foreign key ...`.
pub fn add_foreign_key(t: &Table, fk: &ForeignKey) -> String {
    format!(
        "alter table {} add constraint {} foreign key ({}) references {} ({}) on delete {}",
        qualified(&t.schema, &t.name),
        quote_ident(&fk.name),
        idents(&fk.columns),
        qualified(&fk.ref_schema, &fk.ref_table),
        idents(&fk.ref_columns),
        fk.on_delete.sql()
    )
}

/// An index column as written in `create index`: `"name" [opclass] [desc]`, with the
/// column named by `column` (the diff passes old names through its renames).
pub fn index_column(c: &IndexColumn, column: impl Fn(&str) -> String) -> String {
    let mut s = quote_ident(&column(&c.name));
    if let Some(op) = &c.opclass {
        s.push(' ');
        s.push_str(&quote_ident(op));
    }
    if c.descending {
        s.push_str(" desc");
    }
    s
}

/// `create [unique] index ...`.
pub fn create_index(t: &Table, i: &Index) -> String {
    let cols: Vec<String> = i
        .columns
        .iter()
        .map(|c| index_column(c, str::to_string))
        .collect();
    format!(
        "create {}index {} on {} using {} ({})",
        if i.unique { "unique " } else { "" },
        quote_ident(&i.name),
        qualified(&t.schema, &t.name),
        i.method,
        cols.join(", ")
    )
}

/// `create policy ...`, its clauses on lines of their own.
pub fn create_policy(t: &Table, p: &Policy) -> String {
    let mut s = format!(
        "create policy {} on {} as {} for {} to {}",
        quote_ident(&p.name),
        qualified(&t.schema, &t.name),
        if p.restrictive {
            "restrictive"
        } else {
            "permissive"
        },
        p.command.sql(),
        if p.roles.is_empty() {
            "public".to_string()
        } else {
            roles(&p.roles)
        }
    );
    if let Some(u) = &p.using {
        s.push_str(&format!("\n  using ({})", u.trim()));
    }
    if let Some(w) = &p.with_check {
        s.push_str(&format!("\n  with check ({})", w.trim()));
    }
    s
}

/// `grant ... on table ... to ...`, or None when the role is granted nothing.
pub fn grant(t: &Table, g: &Grant) -> Option<String> {
    (!g.privileges.is_empty()).then(|| {
        format!(
            "grant {} on table {} to {}",
            g.privileges.join(", "),
            qualified(&t.schema, &t.name),
            role(&g.role)
        )
    })
}

/// `comment on table ...` (`is null` removes the comment).
pub fn comment_on_table(t: &Table, text: Option<&str>) -> String {
    format!(
        "comment on table {} is {}",
        qualified(&t.schema, &t.name),
        text.map(quote_literal).unwrap_or_else(|| "null".into())
    )
}

/// `comment on column ...` (`is null` removes the comment).
pub fn comment_on_column(t: &Table, column: &str, text: Option<&str>) -> String {
    format!(
        "comment on column {}.{} is {}",
        qualified(&t.schema, &t.name),
        quote_ident(column),
        text.map(quote_literal).unwrap_or_else(|| "null".into())
    )
}

/// `"schema"."name"(type, ...)`, which names a function in DROP, COMMENT and GRANT.
pub fn function_signature(f: &Function) -> String {
    format!(
        "{}({})",
        qualified(&f.schema, &f.name),
        f.args
            .iter()
            .map(|a| a.ty.sql())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// `create or replace function ...` with its body.
pub fn create_function(f: &Function) -> String {
    let params = f
        .args
        .iter()
        .map(|a| {
            // An unnamed argument (a sole JSON body) has a type only.
            let mut p = if a.name.is_empty() {
                a.ty.sql()
            } else {
                format!("{} {}", quote_ident(&a.name), a.ty.sql())
            };
            if let Some(d) = &a.default_sql {
                p.push_str(&format!(" default {d}"));
            }
            p
        })
        .collect::<Vec<_>>()
        .join(", ");
    let security = if f.security_definer {
        // A definer function must not resolve names through the caller's search_path.
        "\nsecurity definer set search_path = ''"
    } else {
        ""
    };
    format!(
        "create or replace function {}({params})\nreturns {}\nlanguage {} {}{security}\nas $fn$\n{}\n$fn$",
        qualified(&f.schema, &f.name),
        f.returns.sql(&f.schema),
        f.language,
        f.volatility,
        f.body.trim_end()
    )
}

/// `comment on function ...` (`is null` removes the comment).
pub fn comment_on_function(f: &Function, text: Option<&str>) -> String {
    format!(
        "comment on function {} is {}",
        function_signature(f),
        text.map(quote_literal).unwrap_or_else(|| "null".into())
    )
}

/// The statements that follow a function's creation: its comment, and EXECUTE for exactly
/// the roles the spec names (functions are executable by everyone unless revoked).
pub fn function_extras(f: &Function) -> Vec<String> {
    let signature = function_signature(f);
    let mut extra = Vec::new();
    if let Some(c) = &f.comment {
        extra.push(comment_on_function(f, Some(c)));
    }
    extra.push(format!(
        "revoke execute on function {signature} from public"
    ));
    if !f.grants.is_empty() {
        extra.push(format!(
            "grant execute on function {signature} to {}",
            roles(&f.grants)
        ));
    }
    extra
}

/// The statements that make a view: `create view` with its column names, a check that the
/// query yields exactly the declared columns with the declared types, or types Postgres
/// reads as those without a conversion (`varchar` as `text`); the migration stops with a
/// sentence naming each difference otherwise. Then its comments and its grants.
pub fn create_view(v: &View) -> Vec<String> {
    let name = qualified(&v.schema, &v.name);
    let columns: Vec<String> = v.columns.iter().map(|c| c.name.clone()).collect();
    let mut out = vec![format!(
        "create view {name} ({}) with (security_invoker = {}) as\n{}",
        idents(&columns),
        v.security_invoker,
        v.query.trim_end().trim_end_matches(';')
    )];
    let declared = v
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            format!(
                "({}, {}, {})",
                i + 1,
                quote_literal(&c.name),
                quote_literal(&c.ty.sql())
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    out.push(format!(
        "do $check$\n\
         declare\n  problems text;\n\
         begin\n  \
           select string_agg(format('column %s is %s, the spec says %s', coalesce(a.attname::text, d.name), \
           coalesce(format_type(a.atttypid, a.atttypmod), 'missing'), coalesce(d.ty, 'nothing')), '; ' order by coalesce(a.attnum, d.n))\n  \
           into problems\n  \
           from (select a.attnum, a.attname, a.atttypid, a.atttypmod from pg_catalog.pg_attribute a\n        \
                 where a.attrelid = {view}::regclass and a.attnum > 0 and not a.attisdropped) a\n  \
           full join (values {declared}) as d(n, name, ty) on d.n = a.attnum\n  \
           where d.n is null or a.attnum is null\n     \
             or (a.atttypid <> d.ty::regtype and not exists (select from pg_catalog.pg_cast k\n       \
                 where k.castsource = a.atttypid and k.casttarget = d.ty::regtype and k.castmethod = 'b'));\n  \
           if problems is not null then\n    \
             raise exception 'view {qualified_name} does not give the columns the spec declares: %', problems;\n  \
           end if;\n\
         end\n$check$",
        view = quote_literal(&name),
        qualified_name = v.qualified(),
    ));
    if let Some(c) = &v.comment {
        out.push(format!("comment on view {name} is {}", quote_literal(c)));
    }
    for c in v.columns.iter().filter(|c| c.comment.is_some()) {
        out.push(format!(
            "comment on column {name}.{} is {}",
            quote_ident(&c.name),
            quote_literal(c.comment.as_deref().unwrap_or_default())
        ));
    }
    let table = v.as_table();
    out.extend(v.grants.iter().filter_map(|g| grant(&table, g)));
    out
}

/// `drop view ...`.
pub fn drop_view(v: &View) -> String {
    format!("drop view {}", qualified(&v.schema, &v.name))
}
