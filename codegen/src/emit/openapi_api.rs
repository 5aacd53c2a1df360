//! Emits the one OpenAPI document SDK generators take: the typed endpoints under `/api`,
//! and the default schema's tables and functions under `/rest/v1`, with servers at `/`.
//!
//! The per-schema documents of [`super::openapi`] stay what `GET /rest/v1/` serves; this
//! one puts every surface of the server in a single client.

use super::openapi::{
    array_of, column_schema, document, media, plain, query, schema_ref, shape_kind, split_comment,
    to_json, type_schema,
};
use crate::ir::{Column, Crud, Endpoint, EndpointKind, Function, Ir, Table};
use openapiv3::{
    ObjectType, Operation, Parameter, ParameterData, ParameterSchemaOrContent, PathItem, Paths,
    ReferenceOr, RequestBody, Response, Responses, Schema, SchemaData, SchemaKind, Server,
    StatusCode, StringType, Type,
};

const JSON: &str = "application/json";
const TYPED_ERROR: &str = "ApiError";

/// The SDK document, as pretty JSON ending in a newline.
pub fn emit_sdk_openapi(ir: &Ir) -> String {
    let default_schema = ir
        .schemas
        .iter()
        .filter(|s| s.exposed)
        .min_by_key(|s| (s.name != "public", s.name.clone()))
        .map(|s| s.name.clone())
        .unwrap_or_else(|| "public".to_string());
    let mut doc = document(ir, &default_schema);
    doc.info.title = "Ferrobase API".to_string();
    doc.info.description = Some(format!(
        "Every surface of the server: the typed endpoints under `/api` and the tables and functions of the `{default_schema}` schema under `/rest/v1`. Authenticate with the `apikey` header and, for a signed-in user, `Authorization: Bearer <JWT>`."
    ));
    doc.servers = vec![Server {
        url: "/".to_string(),
        ..Default::default()
    }];
    let mut paths = Paths::default();
    for (path, item) in std::mem::take(&mut doc.paths.paths) {
        paths.paths.insert(format!("/rest/v1{path}"), item);
    }
    let components = doc.components.get_or_insert_with(Default::default);
    components.schemas.insert(
        TYPED_ERROR.to_string(),
        ReferenceOr::Item(plain(SchemaKind::Type(Type::Object(ObjectType {
            properties: [(
                "error".to_string(),
                ReferenceOr::boxed_item(plain(SchemaKind::Type(Type::String(
                    StringType::default(),
                )))),
            )]
            .into_iter()
            .collect(),
            required: vec!["error".to_string()],
            ..Default::default()
        })))),
    );
    for ep in &ir.endpoints {
        // Prefixed so that the names never meet the tables' own schemas and operations.
        let name = format!("api_{}", endpoint_name(&ep.path));
        match &ep.kind {
            EndpointKind::Crud(crud) => {
                let Some(table) = ir
                    .tables
                    .iter()
                    .find(|t| t.schema == crud.schema && t.name == crud.table)
                else {
                    continue;
                };
                components.schemas.insert(
                    name.clone(),
                    ReferenceOr::Item(fields_schema(table, crud, Purpose::Row)),
                );
                components.schemas.insert(
                    format!("{name}_create"),
                    ReferenceOr::Item(fields_schema(table, crud, Purpose::Create)),
                );
                components.schemas.insert(
                    format!("{name}_update"),
                    ReferenceOr::Item(fields_schema(table, crud, Purpose::Update)),
                );
                let (collection, item) = crud_paths(ep, crud, &name);
                if let Some(c) = collection {
                    paths.paths.insert(ep.path.clone(), ReferenceOr::Item(c));
                }
                if let Some(i) = item {
                    paths.paths.insert(
                        format!("{}/{{{}}}", ep.path, crud.item_param),
                        ReferenceOr::Item(i),
                    );
                }
            }
            EndpointKind::Handler {
                method,
                request,
                response,
                ..
            } => {
                let mut operation = Operation {
                    tags: vec![name.trim_start_matches("api_").to_string()],
                    operation_id: Some(name.clone()),
                    responses: responses(
                        200,
                        Some(ReferenceOr::Item(plain(shape_kind(response)))),
                        &[400, 401],
                    ),
                    ..Default::default()
                };
                let item = if method == "GET" {
                    PathItem {
                        get: Some(operation),
                        ..Default::default()
                    }
                } else {
                    operation.request_body = Some(ReferenceOr::Item(RequestBody {
                        content: [(
                            JSON.to_string(),
                            media(ReferenceOr::Item(plain(shape_kind(request)))),
                        )]
                        .into_iter()
                        .collect(),
                        required: true,
                        ..Default::default()
                    }));
                    PathItem {
                        post: Some(operation),
                        ..Default::default()
                    }
                };
                paths.paths.insert(ep.path.clone(), ReferenceOr::Item(item));
            }
            EndpointKind::Sql {
                method,
                schema,
                function,
            } => {
                let Some(f) = ir
                    .functions
                    .iter()
                    .find(|f| &f.schema == schema && &f.name == function)
                else {
                    continue;
                };
                paths.paths.insert(
                    ep.path.clone(),
                    ReferenceOr::Item(sql_path(ep, f, method, &name)),
                );
            }
        }
    }
    auth_paths(
        &mut paths,
        doc.components.get_or_insert_with(Default::default),
    );
    doc.paths = paths;
    to_json(&doc)
}

/// `/auth/v1`: the email and password subset of Supabase Auth the runtime serves. Its
/// shape does not depend on the spec, so it is written out here once.
fn auth_paths(paths: &mut Paths, components: &mut openapiv3::Components) {
    let string =
        || ReferenceOr::boxed_item(plain(SchemaKind::Type(Type::String(StringType::default()))));
    let object = |props: &[(&str, ReferenceOr<Box<Schema>>)], required: &[&str]| {
        plain(SchemaKind::Type(Type::Object(ObjectType {
            properties: props
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            required: required.iter().map(|r| r.to_string()).collect(),
            ..Default::default()
        })))
    };
    let any_object =
        || ReferenceOr::boxed_item(plain(SchemaKind::Type(Type::Object(ObjectType::default()))));
    let integer = || {
        ReferenceOr::boxed_item(plain(SchemaKind::Type(Type::Integer(
            openapiv3::IntegerType::default(),
        ))))
    };
    let nullable_string = || {
        ReferenceOr::boxed_item(Schema {
            schema_data: SchemaData {
                nullable: true,
                ..Default::default()
            },
            schema_kind: SchemaKind::Type(Type::String(StringType::default())),
        })
    };
    let any_array = || {
        ReferenceOr::boxed_item(plain(array_of(ReferenceOr::Item(plain(SchemaKind::Type(
            Type::Object(ObjectType::default()),
        ))))))
    };
    let user = object(
        &[
            ("id", string()),
            ("aud", string()),
            ("role", string()),
            ("email", nullable_string()),
            ("phone", nullable_string()),
            ("email_confirmed_at", nullable_string()),
            ("confirmed_at", nullable_string()),
            ("last_sign_in_at", nullable_string()),
            ("banned_until", nullable_string()),
            ("app_metadata", any_object()),
            ("user_metadata", any_object()),
            ("identities", any_array()),
            (
                "is_anonymous",
                ReferenceOr::boxed_item(plain(SchemaKind::Type(Type::Boolean(Default::default())))),
            ),
            ("created_at", string()),
            ("updated_at", string()),
        ],
        &["id", "aud", "role"],
    );
    let session = object(
        &[
            ("access_token", string()),
            ("token_type", string()),
            ("expires_in", integer()),
            ("expires_at", integer()),
            ("refresh_token", string()),
            ("user", ReferenceOr::boxed_item(user.clone())),
        ],
        &[
            "access_token",
            "token_type",
            "expires_in",
            "expires_at",
            "refresh_token",
            "user",
        ],
    );
    let auth_error = object(
        &[
            ("code", integer()),
            ("error_code", string()),
            ("msg", string()),
        ],
        &["code", "error_code", "msg"],
    );
    let credentials = object(
        &[
            ("email", string()),
            ("password", string()),
            ("data", any_object()),
        ],
        &["email", "password"],
    );
    let token_request = object(
        &[
            ("email", string()),
            ("password", string()),
            ("refresh_token", string()),
        ],
        &[],
    );
    let changes = object(
        &[
            ("email", string()),
            ("password", string()),
            ("data", any_object()),
        ],
        &[],
    );
    for (name, schema) in [
        ("AuthUser", user),
        ("AuthSession", session),
        ("AuthError", auth_error),
        ("AuthCredentials", credentials),
        ("AuthTokenRequest", token_request),
        ("AuthUserChanges", changes),
    ] {
        components
            .schemas
            .insert(name.to_string(), ReferenceOr::Item(schema));
    }
    let reply = |status: u16, schema: Option<&str>, errors: &[u16]| {
        let mut r = Responses::default();
        r.responses.insert(
            StatusCode::Code(status),
            ReferenceOr::Item(Response {
                description: "Success.".to_string(),
                content: schema
                    .map(|s| {
                        [(JSON.to_string(), media(ReferenceOr::ref_(&schema_ref(s))))]
                            .into_iter()
                            .collect()
                    })
                    .unwrap_or_default(),
                ..Default::default()
            }),
        );
        for code in errors {
            r.responses.insert(
                StatusCode::Code(*code),
                ReferenceOr::Item(Response {
                    description: "Error; `error_code` says which.".to_string(),
                    content: [(
                        JSON.to_string(),
                        media(ReferenceOr::ref_(&schema_ref("AuthError"))),
                    )]
                    .into_iter()
                    .collect(),
                    ..Default::default()
                }),
            );
        }
        r
    };
    let op = |id: &str,
              summary: &str,
              body: Option<&str>,
              responses: Responses,
              params: Vec<ReferenceOr<Parameter>>| Operation {
        tags: vec!["auth".to_string()],
        summary: Some(summary.to_string()),
        operation_id: Some(id.to_string()),
        parameters: params,
        request_body: body.and_then(self::body),
        responses,
        ..Default::default()
    };
    let grant = || {
        let mut p = query(
            "grant_type",
            "`password` (with email and password) or `refresh_token` (with refresh_token).",
            plain(SchemaKind::Type(Type::String(StringType {
                enumeration: vec![
                    Some("password".to_string()),
                    Some("refresh_token".to_string()),
                ],
                ..Default::default()
            }))),
        );
        if let Parameter::Query { parameter_data, .. } = &mut p {
            parameter_data.required = true;
        }
        ReferenceOr::Item(p)
    };
    paths.paths.insert(
        "/auth/v1/signup".to_string(),
        ReferenceOr::Item(PathItem {
            post: Some(op(
                "auth_signup",
                "Create an account and sign in",
                Some("AuthCredentials"),
                reply(200, Some("AuthSession"), &[400, 422]),
                vec![],
            )),
            ..Default::default()
        }),
    );
    paths.paths.insert(
        "/auth/v1/token".to_string(),
        ReferenceOr::Item(PathItem {
            post: Some(op("auth_token", "Sign in with a password (grant_type=password) or refresh a session (grant_type=refresh_token)", Some("AuthTokenRequest"), reply(200, Some("AuthSession"), &[400, 429]), vec![grant()])),
            ..Default::default()
        }),
    );
    paths.paths.insert(
        "/auth/v1/user".to_string(),
        ReferenceOr::Item(PathItem {
            get: Some(op(
                "auth_user",
                "The signed-in user",
                None,
                reply(200, Some("AuthUser"), &[401, 403]),
                vec![],
            )),
            put: Some(op(
                "auth_update_user",
                "Change the signed-in user's email, password or metadata",
                Some("AuthUserChanges"),
                reply(200, Some("AuthUser"), &[400, 401, 403, 422]),
                vec![],
            )),
            ..Default::default()
        }),
    );
    let mut scope = query(
        "scope",
        "`global` (default), `local` or `others`.",
        plain(SchemaKind::Type(Type::String(StringType {
            enumeration: vec![
                Some("global".into()),
                Some("local".into()),
                Some("others".into()),
            ],
            ..Default::default()
        }))),
    );
    if let Parameter::Query { parameter_data, .. } = &mut scope {
        parameter_data.required = false;
    }
    paths.paths.insert(
        "/auth/v1/logout".to_string(),
        ReferenceOr::Item(PathItem {
            post: Some(op(
                "auth_logout",
                "Sign out",
                None,
                reply(204, None, &[401, 403]),
                vec![ReferenceOr::Item(scope)],
            )),
            ..Default::default()
        }),
    );
}

/// `/api/agents/{id}/tools` becomes `agents_tools`.
fn endpoint_name(path: &str) -> String {
    path.trim_start_matches("/api/")
        .split('/')
        .filter(|s| !s.starts_with('{') && !s.is_empty())
        .collect::<Vec<_>>()
        .join("_")
        .replace('-', "_")
}

#[derive(Clone, Copy, PartialEq)]
enum Purpose {
    Row,
    Create,
    Update,
}

/// The fields of an endpoint: its table's columns under their API names; on create and
/// update without the scope columns the server sets, and with the lookup field.
fn fields_schema(table: &Table, crud: &Crud, purpose: Purpose) -> Schema {
    let field_name = |c: &Column| {
        crud.renames
            .iter()
            .find(|(_, col)| *col == c.name)
            .map(|(f, _)| f.clone())
            .unwrap_or_else(|| c.name.clone())
    };
    let scope = |c: &Column| {
        Some(&c.name) == crud.owner.as_ref()
            || crud
                .parent
                .as_ref()
                .is_some_and(|(_, _, col)| col == &c.name)
            || crud.lookup.as_ref().is_some_and(|l| l.4 == c.name)
            || crud
                .seal
                .as_ref()
                .is_some_and(|(_, col, hint)| *col == c.name || hint.as_ref() == Some(&c.name))
    };
    let mut properties: Vec<(String, ReferenceOr<Box<Schema>>)> = Vec::new();
    let mut required = Vec::new();
    for c in &table.columns {
        if crud.hidden.contains(&c.name) {
            continue;
        }
        let name = field_name(c);
        match purpose {
            Purpose::Row => {
                if !c.nullable {
                    required.push(name.clone());
                }
            }
            Purpose::Create => {
                if scope(c) {
                    continue;
                }
                if !c.nullable && c.default.is_none() {
                    required.push(name.clone());
                }
            }
            Purpose::Update => {
                if scope(c)
                    || (!crud.update_fields.is_empty() && !crud.update_fields.contains(&name))
                {
                    continue;
                }
            }
        }
        let mut schema = column_schema(table, c);
        let sealed: Vec<String> = crud
            .sealed_objects
            .iter()
            .filter(|(col, _)| *col == c.name)
            .map(|(_, keys)| {
                std::iter::once(name.as_str())
                    .chain(keys.iter().map(String::as_str))
                    .collect::<Vec<_>>()
                    .join(".")
            })
            .collect();
        if !sealed.is_empty() {
            let note = format!(
                "The values of `{}` (an object of strings) are credentials: stored sealed, and answered masked (`••••`, then the last four characters of a value of 12 or more); sending back the masked value keeps the stored one.",
                sealed.join("`, `")
            );
            schema.schema_data.description = Some(match schema.schema_data.description.take() {
                Some(d) => format!("{d} {note}"),
                None => note,
            });
        }
        properties.push((name, ReferenceOr::boxed_item(schema)));
    }
    if purpose != Purpose::Row
        && let Some((field, _, hint)) = &crud.seal
    {
        properties.push((
            field.clone(),
            ReferenceOr::boxed_item(Schema {
                schema_data: SchemaData {
                    description: Some(format!(
                        "A secret, stored sealed and never answered{}.",
                        hint.as_ref()
                            .map(|h| format!("; `{h}` shows its last four characters"))
                            .unwrap_or_default()
                    )),
                    write_only: true,
                    ..Default::default()
                },
                schema_kind: SchemaKind::Type(Type::String(StringType::default())),
            }),
        ));
        if purpose == Purpose::Create {
            required.push(field.clone());
        }
    }
    if purpose == Purpose::Create
        && let Some((field, ltable, column, _, _)) = &crud.lookup
    {
        properties.push((
            field.clone(),
            ReferenceOr::boxed_item(Schema {
                schema_data: SchemaData {
                    description: Some(format!("The `{column}` of a row of `{ltable}`.")),
                    ..Default::default()
                },
                schema_kind: SchemaKind::Type(Type::String(StringType::default())),
            }),
        ));
        required.push(field.clone());
    }
    plain(SchemaKind::Type(Type::Object(ObjectType {
        properties: properties.into_iter().collect(),
        required,
        ..Default::default()
    })))
}

fn path_param(name: &str) -> ReferenceOr<Parameter> {
    ReferenceOr::Item(Parameter::Path {
        parameter_data: ParameterData {
            name: name.to_string(),
            description: None,
            required: true,
            deprecated: None,
            format: ParameterSchemaOrContent::Schema(ReferenceOr::Item(plain(SchemaKind::Type(
                Type::String(StringType::default()),
            )))),
            example: None,
            examples: Default::default(),
            explode: None,
            extensions: Default::default(),
        },
        style: Default::default(),
    })
}

fn responses(ok: u16, body: Option<ReferenceOr<Schema>>, errors: &[u16]) -> Responses {
    let mut r = Responses::default();
    r.responses.insert(
        StatusCode::Code(ok),
        ReferenceOr::Item(Response {
            description: if body.is_some() { "Success." } else { "Done." }.to_string(),
            content: body
                .map(|b| [(JSON.to_string(), media(b))].into_iter().collect())
                .unwrap_or_default(),
            ..Default::default()
        }),
    );
    for code in errors {
        r.responses.insert(
            StatusCode::Code(*code),
            ReferenceOr::Item(Response {
                description: match code {
                    400 => "Invalid input; `error` names the problem.",
                    401 => "No valid API key or token.",
                    404 => "No such row, or not the caller's.",
                    409 => "Already exists.",
                    _ => "Error.",
                }
                .to_string(),
                content: [(
                    JSON.to_string(),
                    media(ReferenceOr::ref_(&schema_ref(TYPED_ERROR))),
                )]
                .into_iter()
                .collect(),
                ..Default::default()
            }),
        );
    }
    r
}

fn body(schema: &str) -> Option<ReferenceOr<RequestBody>> {
    Some(ReferenceOr::Item(RequestBody {
        content: [(
            JSON.to_string(),
            media(ReferenceOr::ref_(&schema_ref(schema))),
        )]
        .into_iter()
        .collect(),
        required: true,
        ..Default::default()
    }))
}

fn crud_paths(ep: &Endpoint, crud: &Crud, name: &str) -> (Option<PathItem>, Option<PathItem>) {
    let has = |op: &str| crud.operations.iter().any(|o| o == op);
    let params: Vec<ReferenceOr<Parameter>> = ep
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|p| p.strip_suffix('}')))
        .map(path_param)
        .collect();
    let mut item_params = params.clone();
    item_params.push(path_param(&crud.item_param));
    let row = || Some(ReferenceOr::ref_(&schema_ref(name)));
    let tag = name.trim_start_matches("api_").to_string();
    let op = |id: &str, parameters: &[ReferenceOr<Parameter>], request_body, responses| Operation {
        tags: vec![tag.clone()],
        operation_id: Some(format!("{name}_{id}")),
        parameters: parameters.to_vec(),
        request_body,
        responses,
        ..Default::default()
    };
    let collection = (has("list") || has("create")).then(|| PathItem {
        get: has("list").then(|| {
            op(
                "list",
                &params,
                None,
                responses(
                    200,
                    Some(ReferenceOr::Item(plain(array_of(ReferenceOr::ref_(
                        &schema_ref(name),
                    ))))),
                    &[401, 404],
                ),
            )
        }),
        post: has("create").then(|| {
            op(
                "create",
                &params,
                body(&format!("{name}_create")),
                responses(201, row(), &[400, 401, 404, 409]),
            )
        }),
        ..Default::default()
    });
    let item = (has("get") || has("update") || has("replace") || has("delete")).then(|| PathItem {
        get: has("get").then(|| {
            op(
                "get",
                &item_params,
                None,
                responses(200, row(), &[401, 404]),
            )
        }),
        patch: has("update").then(|| {
            op(
                "update",
                &item_params,
                body(&format!("{name}_update")),
                responses(200, row(), &[400, 401, 404]),
            )
        }),
        delete: has("delete").then(|| {
            op(
                "delete",
                &item_params,
                None,
                responses(204, None, &[401, 404]),
            )
        }),
        ..Default::default()
    });
    (collection, item)
}

fn sql_path(ep: &Endpoint, f: &Function, method: &str, name: &str) -> PathItem {
    let (summary, description) = split_comment(f.comment.as_deref());
    let result = match &f.returns {
        crate::ir::Returns::Scalar(ty) => Some(ReferenceOr::Item(type_schema(*ty))),
        crate::ir::Returns::SetOf(t) => Some(ReferenceOr::Item(plain(array_of(
            ReferenceOr::ref_(&schema_ref(t)),
        )))),
        crate::ir::Returns::Row(t) => Some(ReferenceOr::ref_(&schema_ref(t))),
        crate::ir::Returns::Void => None,
    };
    let path_params: Vec<&str> = ep
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|p| p.strip_suffix('}')))
        .collect();
    let mut operation = Operation {
        tags: vec![name.trim_start_matches("api_").to_string()],
        summary,
        description,
        operation_id: Some(name.to_string()),
        responses: responses(200, result, &[400, 401, 404]),
        ..Default::default()
    };
    operation.parameters = path_params.iter().map(|p| path_param(p)).collect();
    let args: Vec<_> = f
        .args
        .iter()
        .filter(|a| !path_params.contains(&a.name.as_str()))
        .collect();
    if method == "GET" {
        for a in args {
            let mut p = query(
                &a.name,
                &format!("Argument `{}` ({}).", a.name, a.ty.sql()),
                type_schema(a.ty),
            );
            if let Parameter::Query { parameter_data, .. } = &mut p {
                parameter_data.required = a.default_sql.is_none();
            }
            operation.parameters.push(ReferenceOr::Item(p));
        }
        PathItem {
            get: Some(operation),
            ..Default::default()
        }
    } else {
        operation.request_body = Some(ReferenceOr::Item(RequestBody {
            content: [(
                JSON.to_string(),
                media(ReferenceOr::Item(plain(SchemaKind::Type(Type::Object(
                    ObjectType {
                        properties: args
                            .iter()
                            .map(|a| (a.name.clone(), ReferenceOr::boxed_item(type_schema(a.ty))))
                            .collect(),
                        required: args
                            .iter()
                            .filter(|a| a.default_sql.is_none())
                            .map(|a| a.name.clone())
                            .collect(),
                        ..Default::default()
                    },
                ))))),
            )]
            .into_iter()
            .collect(),
            required: true,
            ..Default::default()
        }));
        PathItem {
            post: Some(operation),
            ..Default::default()
        }
    }
}
