//! The rest of PostgREST's operators: full-text search, containment, any/all modifiers,
//! isdistinct, regex matches, and quoting of reserved characters.

use crate::harness::{TestApp, send};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn operators_beyond_comparisons() {
    let app = TestApp::start().await;
    let u = app.user("ops@example.com").await;
    let (s, _, _) = send(
        app.rest(Method::POST, "agents", Some(&u.token)).header("prefer", "missing=default").json(&json!([
            {"name": "Refund helper", "system_prompt": "You process refunds for customers quickly", "settings": {"temperature": 0.2, "stop": ["END"]}},
            {"name": "Poet, (the) \"best\"", "system_prompt": "You write poems about the sea", "settings": {"temperature": 1.2}},
            {"name": "Plain", "model": "gpt-4o"},
        ])),
    )
    .await;
    assert_eq!(s, 201);
    let names = |q: &'static str| {
        let rb = app.rest(
            Method::GET,
            &format!("agents?select=name&order=name&{q}"),
            Some(&u.token),
        );
        async move {
            let (s, _, b) = send(rb).await;
            assert_eq!(s, 200, "{q}: {b}");
            b.as_array()
                .unwrap()
                .iter()
                .map(|r| r["name"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(names("system_prompt=fts.refunds").await, ["Refund helper"]);
    assert_eq!(
        names("system_prompt=fts(english).refund").await,
        ["Refund helper"]
    );
    assert_eq!(
        names("system_prompt=plfts.poems sea").await,
        ["Poet, (the) \"best\""]
    );
    assert_eq!(
        names("system_prompt=phfts(english).about the sea").await,
        ["Poet, (the) \"best\""]
    );
    assert_eq!(names("system_prompt=wfts.refunds or poems").await.len(), 2);
    assert_eq!(
        names("system_prompt=not.fts.refunds").await,
        ["Poet, (the) \"best\""]
    );
    assert_eq!(
        names("settings=cs.{\"temperature\":0.2}").await,
        ["Refund helper"]
    );
    // An empty settings object is contained in anything.
    assert_eq!(
        names("settings=cd.{\"temperature\":1.2,\"x\":1}").await,
        ["Plain", "Poet, (the) \"best\""]
    );
    assert_eq!(
        names("name=like(any).{Ref*,Pla*}").await,
        ["Plain", "Refund helper"]
    );
    assert_eq!(names("name=ilike(all).{*e*,*r*}").await, ["Refund helper"]);
    assert_eq!(names("name=eq(any).{Plain,Nope}").await, ["Plain"]);
    assert_eq!(names("model=isdistinct.gpt-4o").await.len(), 2);
    assert_eq!(names("name=match.^P").await.len(), 2);
    assert_eq!(names("name=imatch.^pl").await, ["Plain"]);
    // Reserved characters survive in quoted values of in lists and logic trees.
    assert_eq!(
        names("name=in.(\"Poet, (the) \\\"best\\\"\",Plain)")
            .await
            .len(),
        2
    );
    assert_eq!(
        names("or=(name.eq.\"Poet, (the) \\\"best\\\"\",name.eq.Plain)")
            .await
            .len(),
        2
    );
    // A bad modifier is a 400.
    let (s, _, b) = send(app.rest(Method::GET, "agents?name=eq(some).{a}", Some(&u.token))).await;
    assert_eq!((s, b["code"].clone()), (400, json!("PGRST100")));
    let (s, _, b) = send(app.rest(Method::GET, "agents?name=eq(any).a", Some(&u.token))).await;
    assert_eq!((s, b["code"].clone()), (400, json!("PGRST100")));
}
