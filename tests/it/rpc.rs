//! `/rest/v1/rpc/{function}`: scalar, set-returning and row-returning functions, GET and
//! POST, filters and paging on results, and the errors of a wrong call.

use crate::harness::{TestApp, send};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn functions_are_callable() {
    let app = TestApp::start().await;
    let alice = app.user("alice@example.com").await;
    let bob = app.user("bob@example.com").await;
    let (s, _, agents) = send(
        app.rest(Method::POST, "agents?select=id,name", Some(&alice.token))
            .header("prefer", "return=representation")
            .json(&json!([
                {"name": "Refund bot", "system_prompt": "Handles refund requests", "framework": "openai"},
                {"name": "Poet", "system_prompt": "Writes poems", "framework": "anthropic"},
                {"name": "Refund checker", "framework": "openai"},
            ])),
    )
    .await;
    assert_eq!(s, 201);
    let rpc = |m: Method, path: &str, token: &str| app.rest(m, &format!("rpc/{path}"), Some(token));

    // A scalar, through POST and GET, with and without the optional argument; RLS applies
    // inside the function, so Bob counts none of Alice's agents.
    let (s, _, b) = send(rpc(Method::POST, "agent_count", &alice.token).json(&json!({}))).await;
    assert_eq!((s, b), (200, json!(3)));
    let (_, _, b) =
        send(rpc(Method::POST, "agent_count", &alice.token).json(&json!({"framework": "openai"})))
            .await;
    assert_eq!(b, json!(2));
    let (_, _, b) = send(rpc(
        Method::GET,
        "agent_count?framework=anthropic",
        &alice.token,
    ))
    .await;
    assert_eq!(b, json!(1));
    let (_, _, b) = send(rpc(Method::GET, "agent_count", &bob.token)).await;
    assert_eq!(b, json!(0));

    // A set-returning function reads like a table: select, filters, order, paging, embeds.
    let (s, h, b) = send(
        rpc(
            Method::GET,
            "search_agents?query=refund&select=name&order=name.desc&limit=1",
            &alice.token,
        )
        .header("prefer", "count=exact"),
    )
    .await;
    assert_eq!((s, b), (206, json!([{"name": "Refund checker"}])));
    assert_eq!(h["content-range"], "0-0/2");
    let (_, _, b) = send(
        rpc(
            Method::POST,
            "search_agents?select=name,framework&framework=eq.openai&name=like.*bot",
            &alice.token,
        )
        .json(&json!({"query": "refund"})),
    )
    .await;
    assert_eq!(b, json!([{"name": "Refund bot", "framework": "openai"}]));
    let (_, _, b) = send(rpc(
        Method::GET,
        "search_agents?query=poems&select=name,agent_tools(id)",
        &alice.token,
    ))
    .await;
    assert_eq!(b, json!([{"name": "Poet", "agent_tools": []}]));
    let resp = rpc(Method::HEAD, "search_agents?query=refund", &alice.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.bytes().await.unwrap().is_empty());

    // A row-returning, volatile function: POST only, one object back.
    let id = agents[0]["id"].as_str().unwrap();
    let (s, _, b) = send(
        rpc(
            Method::POST,
            "set_agent_status?select=name,status",
            &alice.token,
        )
        .json(&json!({"agent_id": id, "status": "thinking"})),
    )
    .await;
    assert_eq!(
        (s, b),
        (200, json!({"name": "Refund bot", "status": "thinking"}))
    );
    let (s, _, b) = send(rpc(
        Method::GET,
        &format!("set_agent_status?agent_id={id}&status=idle"),
        &alice.token,
    ))
    .await;
    assert_eq!((s, b["code"].clone()), (405, json!("PGRST101")));
    // Bob's call updates nothing: RLS hides Alice's row from the function.
    let (s, _, b) = send(
        rpc(Method::POST, "set_agent_status?select=name", &bob.token)
            .json(&json!({"agent_id": id, "status": "error"})),
    )
    .await;
    assert_eq!((s, b), (200, json!({"name": null})));
    // The CHECK on status still holds inside a function.
    let (s, _, b) = send(
        rpc(Method::POST, "set_agent_status", &alice.token)
            .json(&json!({"agent_id": id, "status": "asleep"})),
    )
    .await;
    assert_eq!((s, b["code"].clone()), (400, json!("23514")));
}

#[tokio::test]
async fn wrong_calls_are_explained() {
    let app = TestApp::start().await;
    let u = app.user("rpc@example.com").await;
    let rpc = |m: Method, path: &str| app.rest(m, &format!("rpc/{path}"), Some(&u.token));
    let (s, _, b) = send(rpc(Method::POST, "agent_cout").json(&json!({}))).await;
    assert_eq!((s, b["code"].clone()), (404, json!("PGRST202")));
    assert_eq!(
        b["hint"],
        "Perhaps you meant to call the function public.agent_count"
    );
    let (s, _, b) = send(rpc(Method::POST, "agent_count").json(&json!({"kind": "x"}))).await;
    assert_eq!((s, b["code"].clone()), (404, json!("PGRST202")));
    assert_eq!(
        b["details"],
        "public.agent_count has no argument 'kind'; its arguments are: framework"
    );
    let (s, _, b) = send(rpc(Method::POST, "search_agents").json(&json!({}))).await;
    assert_eq!(
        (s, b["details"].clone()),
        (404, json!("Argument 'query' is required"))
    );
    let (s, _, b) = send(rpc(Method::GET, "agent_count?select=x")).await;
    assert_eq!((s, b["code"].clone()), (400, json!("PGRST100")));
    // anon has no EXECUTE on these functions.
    let (s, _, b) = send(
        app.rest(Method::POST, "rpc/agent_count", None)
            .json(&json!({})),
    )
    .await;
    assert_eq!((s, b["code"].clone()), (401, json!("42501")));
    let (s, _, _) = send(rpc(Method::DELETE, "agent_count")).await;
    assert_eq!(s, 405);
}

#[tokio::test]
async fn a_sole_unnamed_json_argument_takes_the_body() {
    let app = TestApp::start().await;
    let (s, _, b) = send(
        app.rest(Method::POST, "rpc/effective_settings", None)
            .json(&json!({"temperature": 0.2, "stop": ["END"]})),
    )
    .await;
    assert_eq!(
        (s, b),
        (
            200,
            json!({"temperature": 0.2, "max_tokens": 4096, "presence_penalty": 0, "frequency_penalty": 0, "top_p": 1, "stop": ["END"]})
        )
    );
    let (s, _, b) = send(app.rest(Method::GET, "rpc/effective_settings", None)).await;
    assert_eq!((s, b["code"].clone()), (405, json!("PGRST101")));
}
