//! Resource embedding and JSON paths over `/rest/v1`.

use crate::harness::{TestApp, send};
use reqwest::Method;
use serde_json::{Value, json};

async fn fixture(app: &TestApp) -> (crate::harness::User, Vec<Value>) {
    let u = app.user("embed@example.com").await;
    let service = app.service_key();
    let (s, _, tools) = send(
        app.rest(Method::POST, "tools?select=id,name", Some(&service))
            .header("prefer", "return=representation")
            .json(&json!([{"name": "search", "category": "web"}, {"name": "weather", "category": "data"}, {"name": "unused"}])),
    )
    .await;
    assert_eq!(s, 201, "{tools}");
    let (_, _, agents) = send(
        app.rest(Method::POST, "agents?select=id,name", Some(&u.token))
            .header("prefer", "return=representation")
            .json(&json!([
                {"name": "Researcher", "settings": {"temperature": 0.2, "stop": ["END"]}},
                {"name": "Lonely", "settings": {"temperature": 1.5}},
            ])),
    )
    .await;
    let researcher = &agents[0]["id"];
    let tool_ids: Vec<&Value> = tools.as_array().unwrap().iter().map(|t| &t["id"]).collect();
    let (s, _, b) = send(
        app.rest(Method::POST, "agent_tools", Some(&u.token))
            .header("prefer", "missing=default")
            .json(&json!([
                {"agent_id": researcher, "tool_id": tool_ids[0], "configuration": {"depth": 2}},
                {"agent_id": researcher, "tool_id": tool_ids[1], "enabled": false},
            ])),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    (u, tools.as_array().unwrap().clone())
}

#[tokio::test]
async fn embeds_follow_foreign_keys() {
    let app = TestApp::start().await;
    let (u, _) = fixture(&app).await;
    let get = |q: &str| app.rest(Method::GET, &format!("agents?{q}"), Some(&u.token));

    // One-to-many with a nested many-to-one, as in the seed's "agent with related data".
    let (s, _, b) = send(get(
        "select=name,agent_tools(enabled,configuration,tool:tools(name,category))&order=name&agent_tools.order=enabled.desc",
    ))
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b,
        json!([
            {"name": "Lonely", "agent_tools": []},
            {"name": "Researcher", "agent_tools": [
                {"enabled": true, "configuration": {"depth": 2}, "tool": {"name": "search", "category": "web"}},
                {"enabled": false, "configuration": {}, "tool": {"name": "weather", "category": "data"}},
            ]},
        ])
    );

    // Many-to-many through the junction table; !inner drops parents without a match.
    let (_, _, b) = send(get("select=name,tools(name)&order=name&tools.order=name")).await;
    assert_eq!(
        b,
        json!([{"name": "Lonely", "tools": []}, {"name": "Researcher", "tools": [{"name": "search"}, {"name": "weather"}]}])
    );
    let (_, h, b) = send(
        get("select=name,tools!inner(name)&tools.name=eq.weather").header("prefer", "count=exact"),
    )
    .await;
    assert_eq!(
        b,
        json!([{"name": "Researcher", "tools": [{"name": "weather"}]}])
    );
    assert_eq!(h["content-range"], "0-0/1");

    // Filters, limit and offset on the embedded resource only.
    let (_, _, b) = send(get(
        "select=name,agent_tools(enabled)&name=eq.Researcher&agent_tools.enabled=is.false",
    ))
    .await;
    assert_eq!(
        b,
        json!([{"name": "Researcher", "agent_tools": [{"enabled": false}]}])
    );
    let (_, _, b) = send(get(
        "select=name,tools(name)&name=eq.Researcher&tools.order=name.desc&tools.limit=1",
    ))
    .await;
    assert_eq!(
        b,
        json!([{"name": "Researcher", "tools": [{"name": "weather"}]}])
    );

    // Spread a to-one embedding into its parent.
    let (_, _, b) = send(app.rest(
        Method::GET,
        "agent_tools?select=enabled,...tools(tool_name:name)&order=enabled",
        Some(&u.token),
    ))
    .await;
    assert_eq!(
        b,
        json!([{"enabled": false, "tool_name": "weather"}, {"enabled": true, "tool_name": "search"}])
    );

    // Disambiguation by foreign key name and by column.
    let (s, _, b) = send(
        app.rest(Method::GET, "agent_tools?select=t:tools!agent_tools_tool_id_fkey(name),a:agents!agent_id(name)&enabled=is.true", Some(&u.token)),
    )
    .await;
    assert_eq!(
        (s, b),
        (
            200,
            json!([{"t": {"name": "search"}, "a": {"name": "Researcher"}}])
        )
    );

    // Embedding after a write.
    let (s, _, b) = send(
        app.rest(
            Method::PATCH,
            "agent_tools?enabled=is.false&select=enabled,tools(name)",
            Some(&u.token),
        )
        .header("prefer", "return=representation")
        .json(&json!({"enabled": true})),
    )
    .await;
    assert_eq!(
        (s, b),
        (
            200,
            json!([{"enabled": true, "tools": {"name": "weather"}}])
        )
    );
}

#[tokio::test]
async fn a_to_one_embedding_orders_the_parent_rows() {
    let app = TestApp::start().await;
    let (u, _) = fixture(&app).await;
    let get = |q: &str| app.rest(Method::GET, &format!("agent_tools?{q}"), Some(&u.token));

    // Assignments ordered by their tool's name, both ways, by key or by alias.
    let (s, _, b) = send(get("select=enabled,tools(name)&order=tools(name).desc")).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b,
        json!([
            {"enabled": false, "tools": {"name": "weather"}},
            {"enabled": true, "tools": {"name": "search"}},
        ])
    );
    let (s, _, b) = send(get(
        "select=enabled,tool:tools(category)&order=tool(name).asc",
    ))
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b,
        json!([
            {"enabled": true, "tool": {"category": "web"}},
            {"enabled": false, "tool": {"category": "data"}},
        ])
    );
    // A JSON path of the related row, with nulls placed.
    let (s, _, b) = send(get(
        "select=tools(name),agents(name)&order=agents(settings->temperature).nullsfirst,tools(name).desc",
    ))
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b[0]["tools"]["name"], "weather", "{b}");

    // A to-many embedding cannot order its parent; an order on something not embedded
    // says to embed it; an unknown column of the relation is named.
    let (s, _, b) = send(app.rest(
        Method::GET,
        "agents?select=name,agent_tools(enabled)&order=agent_tools(enabled)",
        Some(&u.token),
    ))
    .await;
    assert_eq!((s, b["code"].clone()), (400, json!("PGRST118")), "{b}");
    let (s, _, b) = send(get("select=enabled&order=tools(name)")).await;
    assert_eq!((s, b["code"].clone()), (400, json!("PGRST108")), "{b}");
    let (s, _, b) = send(get("select=tools(name)&order=tools(nme)")).await;
    assert_eq!(s, 400, "{b}");
    assert!(
        b["hint"].as_str().is_some_and(|h| h.contains("name")),
        "{b}"
    );
}

#[tokio::test]
async fn embedding_errors_name_the_candidates() {
    let app = TestApp::start().await;
    let (u, _) = fixture(&app).await;
    let (s, _, b) = send(app.rest(
        Method::GET,
        "agents?select=name,toolz(name)",
        Some(&u.token),
    ))
    .await;
    assert_eq!((s, b["code"].clone()), (400, json!("PGRST200")));
    assert_eq!(b["hint"], "Perhaps you meant 'tools'");
    let (s, _, b) = send(app.rest(
        Method::GET,
        "tools?select=name,agents!nope(name)",
        Some(&u.token),
    ))
    .await;
    assert_eq!((s, b["code"].clone()), (400, json!("PGRST200")));
    assert_eq!(b["hint"], "'tools' can embed: agent_tools");
    let (s, _, b) = send(app.rest(
        Method::GET,
        "agents?select=name&tools.name=eq.x",
        Some(&u.token),
    ))
    .await;
    assert_eq!((s, b["code"].clone()), (400, json!("PGRST108")));
}

#[tokio::test]
async fn json_paths_in_select_filters_and_order() {
    let app = TestApp::start().await;
    let (u, _) = fixture(&app).await;
    let get = |q: &str| app.rest(Method::GET, &format!("agents?{q}"), Some(&u.token));
    let (s, _, b) = send(get("select=name,temp:settings->temperature,settings->stop->>0&order=settings->temperature.desc")).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b,
        json!([{"name": "Lonely", "temp": 1.5, "0": null}, {"name": "Researcher", "temp": 0.2, "0": "END"}])
    );
    let (_, _, b) = send(get("select=name&settings->>temperature=eq.0.2")).await;
    assert_eq!(b, json!([{"name": "Researcher"}]));
    let (_, _, b) = send(get("select=name&settings->temperature=gt.1")).await;
    assert_eq!(b, json!([{"name": "Lonely"}]));
    let (s, _, b) = send(get("select=name->x")).await;
    assert_eq!((s, b["code"].clone()), (400, json!("PGRST100")));
}
