//! Emits the Rust half of the generated server: static metadata for the runtime.
//!
//! The output is data only (`runtime::meta` values), built with `quote!` and formatted with
//! prettyplease. Migrations and OpenAPI documents are pulled in with `include_str!` from
//! files written beside it, so the Rust stays short and readable.

use crate::error::Result;
use crate::ir::{BaseType, DefaultValue, Field, Ir, JsonType, Rule, Shape, Table};
use crate::lower::literal_default;
use proc_macro2::TokenStream;
use quote::quote;

/// Files the generated Rust refers to, relative to the folder the Rust file is written in.
#[derive(Debug, Clone, Default)]
pub struct RustInputs {
    /// (version, name, relative path) of each migration, in order.
    pub migrations: Vec<(String, String, String)>,
    /// (schema, relative path) of each exposed schema's OpenAPI document.
    pub openapi: Vec<(String, String)>,
    /// Relative path of the SDK OpenAPI document, if one is written.
    pub api_openapi: Option<String>,
}

/// Emits `catalog.rs`: `pub static CATALOG: runtime::meta::Catalog`.
pub fn emit_rust(ir: &Ir, inputs: &RustInputs) -> Result<String> {
    let relations = ir.relations();
    let schemas = ir.schemas.iter().map(|s| {
        let name = &s.name;
        let exposed = s.exposed;
        let aggregates = s.aggregates;
        let tables = relations.iter().filter(|t| t.schema == s.name).map(|t| {
            let view = ir
                .views
                .iter()
                .any(|v| v.schema == t.schema && v.name == t.name);
            table(t, view)
        });
        let functions = ir.functions.iter().filter(|f| f.schema == s.name).map(function);
        quote! {
            Schema { name: #name, exposed: #exposed, aggregates: #aggregates, tables: &[#(#tables),*], functions: &[#(#functions),*] }
        }
    });
    let migrations = inputs.migrations.iter().map(|(version, name, path)| {
        quote! { Migration { version: #version, name: #name, sql: include_str!(#path) } }
    });
    let openapi = inputs
        .openapi
        .iter()
        .map(|(schema, path)| quote! { (#schema, include_str!(#path)) });
    let endpoints = ir.endpoints.iter().map(endpoint);
    let api_openapi = match &inputs.api_openapi {
        Some(path) => quote!(Some(include_str!(#path))),
        None => quote!(None),
    };
    let tokens = quote! {
        #[allow(unused_imports)]
        use ::runtime::meta::{
            Arg, Catalog, Column, ColumnKind, Crud, Endpoint, EndpointKind, Field, ForeignKey,
            Function, JsonType, Lookup, Migration, ParentLink, Policy, Returns, Rule, Schema,
            Seal, SealedObject, Shape, Table,
        };

        /// Everything generated from the spec, handed to the runtime.
        pub static CATALOG: Catalog = Catalog {
            schemas: &[#(#schemas),*],
            migrations: &[#(#migrations),*],
            openapi: &[#(#openapi),*],
            endpoints: &[#(#endpoints),*],
            api_openapi: #api_openapi,
        };
    };
    let file: syn::File = syn::parse2(tokens)?;
    let header = format!(
        "// @generated from {} — do not edit\n",
        ir.sources
            .iter()
            .map(|s| format!("spec/{s}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(header + &prettyplease::unparse(&file))
}

fn table(t: &Table, view: bool) -> TokenStream {
    let schema = &t.schema;
    let name = &t.name;
    let rls = t.rls;
    let pk = &t.primary_key;
    let columns = t.columns.iter().map(|c| {
        let cname = &c.name;
        let sql_type = c.ty.sql();
        let kind = match c.ty.base {
            BaseType::Uuid => quote!(ColumnKind::Uuid),
            BaseType::Text => quote!(ColumnKind::Text),
            BaseType::Boolean => quote!(ColumnKind::Boolean),
            BaseType::SmallInt | BaseType::Integer | BaseType::BigInt => {
                quote!(ColumnKind::Integer)
            }
            BaseType::Real | BaseType::Double | BaseType::Numeric => quote!(ColumnKind::Number),
            BaseType::Jsonb | BaseType::Json => quote!(ColumnKind::Json),
            BaseType::Timestamptz | BaseType::Timestamp | BaseType::Date | BaseType::Time => {
                quote!(ColumnKind::Temporal)
            }
            BaseType::Bytea => quote!(ColumnKind::Bytes),
            BaseType::TsVector => quote!(ColumnKind::TextSearch),
            BaseType::Vector(Some(n)) => quote!(ColumnKind::Vector(Some(#n))),
            BaseType::Vector(None) => quote!(ColumnKind::Vector(None)),
        };
        let generated = c.generated.is_some();
        let array = c.ty.array;
        let nullable = c.nullable;
        let default_sql = match &c.default {
            Some(DefaultValue::Sql(expr)) => quote!(Some(#expr)),
            Some(DefaultValue::Literal(v)) => {
                let expr = literal_default(v, c.ty);
                quote!(Some(#expr))
            }
            None => quote!(None),
        };
        let rule = rule(&c.rule);
        quote! {
            Column {
                name: #cname,
                sql_type: #sql_type,
                kind: #kind,
                array: #array,
                nullable: #nullable,
                default_sql: #default_sql,
                generated: #generated,
                rule: #rule,
            }
        }
    });
    let fks = t.foreign_keys.iter().map(|fk| {
        let fname = &fk.name;
        let cols = &fk.columns;
        let rs = &fk.ref_schema;
        let rt = &fk.ref_table;
        let rc = &fk.ref_columns;
        quote! {
            ForeignKey {
                name: #fname,
                columns: &[#(#cols),*],
                ref_schema: #rs,
                ref_table: #rt,
                ref_columns: &[#(#rc),*],
            }
        }
    });
    let policies = t.policies.iter().map(|p| {
        let pname = &p.name;
        let command = p.command.sql();
        let roles = &p.roles;
        quote! { Policy { name: #pname, command: #command, roles: &[#(#roles),*] } }
    });
    quote! {
        Table {
            schema: #schema,
            name: #name,
            columns: &[#(#columns),*],
            primary_key: &[#(#pk),*],
            foreign_keys: &[#(#fks),*],
            rls: #rls,
            policies: &[#(#policies),*],
            view: #view,
        }
    }
}

fn endpoint(e: &crate::ir::Endpoint) -> TokenStream {
    let path = &e.path;
    let not_found = &e.not_found;
    let kind = match &e.kind {
        crate::ir::EndpointKind::Handler {
            name,
            method,
            request,
            ..
        } => {
            let request = shape(request);
            quote! { EndpointKind::Handler { name: #name, method: #method, request: &#request } }
        }
        crate::ir::EndpointKind::Sql {
            method,
            schema,
            function,
        } => quote! { EndpointKind::Sql { method: #method, schema: #schema, function: #function } },
        crate::ir::EndpointKind::Crud(c) => {
            let schema = &c.schema;
            let table = &c.table;
            let item = &c.item_param;
            let key = &c.key;
            let owner = match &c.owner {
                Some(o) => quote!(Some(#o)),
                None => quote!(None),
            };
            let parent = match &c.parent {
                Some((endpoint, param, column)) => {
                    quote!(Some(ParentLink { endpoint: #endpoint, param: #param, column: #column }))
                }
                None => quote!(None),
            };
            let operations = &c.operations;
            let renames = c.renames.iter().map(|(f, col)| quote!((#f, #col)));
            let update = &c.update_fields;
            let lookup = match &c.lookup {
                Some((field, ltable, column, lkey, sets)) => quote!(Some(Lookup {
                    field: #field, schema: #schema, table: #ltable, column: #column, key: #lkey, sets: #sets
                })),
                None => quote!(None),
            };
            let checks = c.checks.iter().map(|(f, ch)| quote!((#f, #ch)));
            let hidden = &c.hidden;
            let seal = match &c.seal {
                Some((field, column, hint)) => {
                    let hint = match hint {
                        Some(h) => quote!(Some(#h)),
                        None => quote!(None),
                    };
                    quote!(Some(Seal { field: #field, column: #column, hint: #hint }))
                }
                None => quote!(None),
            };
            let sealed_objects = c.sealed_objects.iter().map(
                |(column, path)| quote!(SealedObject { column: #column, path: &[#(#path),*] }),
            );
            quote! {
                EndpointKind::Crud(&Crud {
                    schema: #schema,
                    table: #table,
                    item_param: #item,
                    key: #key,
                    owner: #owner,
                    parent: #parent,
                    operations: &[#(#operations),*],
                    renames: &[#(#renames),*],
                    update_fields: &[#(#update),*],
                    lookup: #lookup,
                    checks: &[#(#checks),*],
                    hidden: &[#(#hidden),*],
                    seal: #seal,
                    sealed_objects: &[#(#sealed_objects),*],
                })
            }
        }
    };
    let conflict = match &e.conflict {
        Some(c) => quote!(Some(#c)),
        None => quote!(None),
    };
    quote! { Endpoint { path: #path, kind: #kind, not_found: #not_found, conflict: #conflict } }
}

fn function(f: &crate::ir::Function) -> TokenStream {
    let schema = &f.schema;
    let name = &f.name;
    let volatility = &f.volatility;
    let args = f.args.iter().map(|a| {
        let aname = &a.name;
        let ty = a.ty.sql();
        let has_default = a.default_sql.is_some();
        quote! { Arg { name: #aname, sql_type: #ty, has_default: #has_default } }
    });
    let returns = match &f.returns {
        crate::ir::Returns::Scalar(ty) => {
            let ty = ty.sql();
            quote!(Returns::Scalar(#ty))
        }
        crate::ir::Returns::SetOf(t) => quote!(Returns::SetOf(#t)),
        crate::ir::Returns::Row(t) => quote!(Returns::Row(#t)),
        crate::ir::Returns::Void => quote!(Returns::Void),
    };
    quote! {
        Function { schema: #schema, name: #name, args: &[#(#args),*], returns: #returns, volatility: #volatility }
    }
}

fn rule(r: &Rule) -> TokenStream {
    if r.is_empty() {
        return quote!(Rule::NONE);
    }
    let opt_u32 = |v: Option<u32>| match v {
        Some(n) => quote!(Some(#n)),
        None => quote!(None),
    };
    let opt_f64 = |v: Option<f64>| match v {
        Some(n) => quote!(Some(#n)),
        None => quote!(None),
    };
    let min_length = opt_u32(r.min_length);
    let max_length = opt_u32(r.max_length);
    let one_of = &r.one_of;
    let minimum = opt_f64(r.minimum);
    let maximum = opt_f64(r.maximum);
    let shape = match &r.shape {
        Some(s) => {
            let s = shape(s);
            quote!(Some(&#s))
        }
        None => quote!(None),
    };
    quote! {
        Rule {
            min_length: #min_length,
            max_length: #max_length,
            one_of: &[#(#one_of),*],
            minimum: #minimum,
            maximum: #maximum,
            shape: #shape,
        }
    }
}

fn shape(s: &Shape) -> TokenStream {
    let closed = s.closed;
    let fields = s.fields.iter().map(field);
    quote! { Shape { fields: &[#(#fields),*], closed: #closed } }
}

fn field(f: &Field) -> TokenStream {
    let name = &f.name;
    let ty = json_type(f.ty);
    let required = f.required;
    let nullable = f.nullable;
    let rule = rule(&f.rule);
    let items = match f.items {
        Some(t) => {
            let t = json_type(t);
            quote!(Some(#t))
        }
        None => quote!(None),
    };
    quote! {
        Field { name: #name, ty: #ty, required: #required, nullable: #nullable, rule: #rule, items: #items }
    }
}

fn json_type(t: JsonType) -> TokenStream {
    match t {
        JsonType::String => quote!(JsonType::String),
        JsonType::Number => quote!(JsonType::Number),
        JsonType::Integer => quote!(JsonType::Integer),
        JsonType::Boolean => quote!(JsonType::Boolean),
        JsonType::Array => quote!(JsonType::Array),
        JsonType::Object => quote!(JsonType::Object),
    }
}
