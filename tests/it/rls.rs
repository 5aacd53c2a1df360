//! Row Level Security through `/rest/v1`: two signed-in users and anon each see and change
//! only what the spec's policies allow.

use crate::harness::{TestApp, send};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn users_see_and_change_only_their_agents() {
    let app = TestApp::start().await;
    let alice = app.user("alice@example.com").await;
    let bob = app.user("bob@example.com").await;
    let create = |token: &str, name: &str| {
        app.rest(Method::POST, "agents?select=id,user_id", Some(token))
            .header("prefer", "return=representation")
            .header("accept", "application/vnd.pgrst.object+json")
            .json(&json!({"name": name}))
    };
    let (s, _, a) = send(create(&alice.token, "Alice's agent")).await;
    assert_eq!(s, 201);
    assert_eq!(a["user_id"], json!(alice.id));
    let (_, _, b) = send(create(&bob.token, "Bob's agent")).await;
    assert_eq!(b["user_id"], json!(bob.id));
    let alice_agent = a["id"].as_str().unwrap();

    let names = |token: Option<&str>| app.rest(Method::GET, "agents?select=name", token);
    assert_eq!(
        send(names(Some(&alice.token))).await.2,
        json!([{"name": "Alice's agent"}])
    );
    assert_eq!(
        send(names(Some(&bob.token))).await.2,
        json!([{"name": "Bob's agent"}])
    );
    // anon asks and sees nothing: an empty list, not an error.
    let (s, _, anon_sees) = send(names(None)).await;
    assert_eq!((s, anon_sees), (200, json!([])));

    // Bob cannot read, change or delete Alice's agent: his filters match nothing.
    let (s, _, got) = send(app.rest(
        Method::GET,
        &format!("agents?id=eq.{alice_agent}"),
        Some(&bob.token),
    ))
    .await;
    assert_eq!((s, got), (200, json!([])));
    let (s, _, got) = send(
        app.rest(
            Method::PATCH,
            &format!("agents?id=eq.{alice_agent}"),
            Some(&bob.token),
        )
        .header("prefer", "return=representation")
        .json(&json!({"name": "hijacked"})),
    )
    .await;
    assert_eq!((s, got), (200, json!([])));
    let (s, _, _) = send(app.rest(
        Method::DELETE,
        &format!("agents?id=eq.{alice_agent}"),
        Some(&bob.token),
    ))
    .await;
    assert_eq!(s, 204);
    let name: String = sqlx::query_scalar("select name from public.agents where id = $1::uuid")
        .bind(alice_agent)
        .fetch_one(&app.admin)
        .await
        .unwrap();
    assert_eq!(name, "Alice's agent", "Alice's row is untouched");

    // Bob cannot create a row owned by Alice, nor move his row to her.
    let (s, _, err) = send(
        app.rest(Method::POST, "agents", Some(&bob.token))
            .json(&json!({"name": "forged", "user_id": alice.id})),
    )
    .await;
    assert_eq!((s, err["code"].clone()), (403, json!("42501")), "{err}");
    assert!(
        err["details"]
            .as_str()
            .unwrap()
            .contains("\"Users can create own agents\""),
        "{err}"
    );
    let (s, _, err) = send(
        app.rest(
            Method::PATCH,
            &format!("agents?id=eq.{}", b["id"].as_str().unwrap()),
            Some(&bob.token),
        )
        .json(&json!({"user_id": alice.id})),
    )
    .await;
    assert_eq!((s, err["code"].clone()), (403, json!("42501")));

    // anon cannot write.
    let (s, _, _) = send(
        app.rest(Method::PATCH, &format!("agents?id=eq.{alice_agent}"), None)
            .json(&json!({"name": "x"})),
    )
    .await;
    assert_eq!(s, 401);
    let (s, _, _) =
        send(app.rest(Method::DELETE, &format!("agents?id=eq.{alice_agent}"), None)).await;
    assert_eq!(s, 401);

    // service_role sees everything.
    let (_, _, all) = send(app.rest(
        Method::GET,
        "agents?select=name&order=name",
        Some(&app.service_key()),
    ))
    .await;
    assert_eq!(
        all,
        json!([{"name": "Alice's agent"}, {"name": "Bob's agent"}])
    );

    // Deleting a user cascades to their agents.
    sqlx::query("delete from auth.users where id = $1::uuid")
        .bind(&alice.id)
        .execute(&app.admin)
        .await
        .unwrap();
    let (_, _, all) =
        send(app.rest(Method::GET, "agents?select=name", Some(&app.service_key()))).await;
    assert_eq!(all, json!([{"name": "Bob's agent"}]));
}

#[tokio::test]
async fn tool_catalogue_and_assignments() {
    let app = TestApp::start().await;
    let alice = app.user("alice@example.com").await;
    let bob = app.user("bob@example.com").await;
    let service = app.service_key();
    let (s, _, tool) = send(
        app.rest(Method::POST, "tools", Some(&service))
            .header("prefer", "return=representation")
            .header("accept", "application/vnd.pgrst.object+json")
            .json(&json!({"name": "weather", "category": "data"})),
    )
    .await;
    assert_eq!(s, 201);
    let tool_id = tool["id"].as_str().unwrap();
    // Signed-in users read the catalogue; anon sees nothing.
    assert_eq!(
        send(app.rest(Method::GET, "tools?select=name", Some(&alice.token)))
            .await
            .2,
        json!([{"name": "weather"}])
    );
    assert_eq!(
        send(app.rest(Method::GET, "tools?select=name", None))
            .await
            .2,
        json!([])
    );

    let agent = |token: &str| {
        app.rest(Method::POST, "agents?select=id", Some(token))
            .header("prefer", "return=representation")
            .header("accept", "application/vnd.pgrst.object+json")
            .json(&json!({"name": "with tools"}))
    };
    let alice_agent = send(agent(&alice.token)).await.2["id"].clone();
    let bob_agent = send(agent(&bob.token)).await.2["id"].clone();

    // Alice assigns the tool to her agent; she cannot assign it to Bob's.
    let assign = |token: &str, agent: &Value| {
        app.rest(Method::POST, "agent_tools", Some(token))
            .header("prefer", "return=representation")
            .json(&json!({"agent_id": agent, "tool_id": tool_id, "configuration": {"units": "metric"}}))
    };
    let (s, _, _) = send(assign(&alice.token, &alice_agent)).await;
    assert_eq!(s, 201);
    let (s, _, err) = send(assign(&alice.token, &bob_agent)).await;
    assert_eq!((s, err["code"].clone()), (403, json!("42501")));

    // Only the agent's owner sees and changes the assignment.
    let list = |token: &str| {
        app.rest(
            Method::GET,
            "agent_tools?select=enabled,configuration",
            Some(token),
        )
    };
    assert_eq!(
        send(list(&alice.token)).await.2,
        json!([{"enabled": true, "configuration": {"units": "metric"}}])
    );
    assert_eq!(send(list(&bob.token)).await.2, json!([]));
    let (_, _, changed) = send(
        app.rest(
            Method::PATCH,
            &format!("agent_tools?tool_id=eq.{tool_id}"),
            Some(&bob.token),
        )
        .header("prefer", "return=representation")
        .json(&json!({"enabled": false})),
    )
    .await;
    assert_eq!(changed, json!([]));
    let (_, _, changed) = send(
        app.rest(
            Method::PATCH,
            &format!("agent_tools?tool_id=eq.{tool_id}&select=enabled"),
            Some(&alice.token),
        )
        .header("prefer", "return=representation")
        .json(&json!({"enabled": false})),
    )
    .await;
    assert_eq!(changed, json!([{"enabled": false}]));
}
