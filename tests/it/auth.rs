//! `/auth/v1` over HTTP: sign-up, sign-in, row level security with the tokens it mints,
//! refresh rotation and reuse detection, the current user, sign-out, admin users, and the
//! security properties (bad tokens, equal answers, rate limits), then supabase-js and
//! supabase-py driving the same flow.

use crate::harness::{TestApp, send};
use crate::supabase_js::run_client_script;
use generated::CATALOG;
use reqwest::Method;
use runtime::authn::AuthSettings;
use runtime::server::AppState;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct horse";

/// A request to `/auth/v1/{path}` of `base` with the anon key.
fn auth_at(app: &TestApp, base: &str, m: Method, path: &str) -> reqwest::RequestBuilder {
    app.http
        .request(m, format!("{base}/auth/v1/{path}"))
        .header("apikey", app.anon_key())
}

fn auth(app: &TestApp, m: Method, path: &str) -> reqwest::RequestBuilder {
    auth_at(app, &app.base, m, path)
}

fn bearer(session: &Value) -> String {
    format!("Bearer {}", session["access_token"].as_str().unwrap())
}

/// A request to `/auth/v1/admin/{path}` with the service_role key.
fn admin(app: &TestApp, m: Method, path: &str) -> reqwest::RequestBuilder {
    app.http
        .request(m, format!("{}/auth/v1/admin/{path}", app.base))
        .header("apikey", app.service_key())
        .header("authorization", format!("Bearer {}", app.service_key()))
}

async fn sign_up(app: &TestApp, email: &str) -> Value {
    let (s, _, b) = send(
        auth(app, Method::POST, "signup")
            .json(&json!({"email": email, "password": PASSWORD, "data": {"name": email}})),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    b
}

async fn sign_in_at(app: &TestApp, base: &str, email: &str, password: &str) -> (u16, Value) {
    let (s, _, b) = send(
        auth_at(app, base, Method::POST, "token?grant_type=password")
            .json(&json!({"email": email, "password": password})),
    )
    .await;
    (s, b)
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> (u16, Value) {
    sign_in_at(app, &app.base, email, password).await
}

async fn me(app: &TestApp, session: &Value) -> (u16, Value) {
    let (s, _, b) =
        send(auth(app, Method::GET, "user").header("authorization", bearer(session))).await;
    (s, b)
}

async fn refresh(app: &TestApp, session: &Value) -> (u16, Value) {
    let (s, _, b) = send(
        auth(app, Method::POST, "token?grant_type=refresh_token")
            .json(&json!({"refresh_token": session["refresh_token"]})),
    )
    .await;
    (s, b)
}

/// Serves only `/auth/v1`, with `settings`, over the test app's database; returns its URL.
async fn auth_server(app: &TestApp, settings: AuthSettings) -> String {
    let state = AppState {
        catalog: &CATALOG,
        pool: app.pool.clone(),
        jwt: app.jwt.clone(),
    };
    let router = runtime::authn::router_with(settings).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn two_users_sign_up_sign_in_and_stay_apart_under_rls() {
    let app = TestApp::start().await;
    let alice = sign_up(&app, "Alice@Example.com").await;
    assert_eq!(alice["token_type"], "bearer");
    assert_eq!(alice["expires_in"], 3600);
    assert_eq!(alice["user"]["email"], "alice@example.com");
    assert_eq!(alice["user"]["aud"], "authenticated");
    assert_eq!(alice["user"]["identities"][0]["provider"], "email");
    assert_eq!(
        alice["user"]["user_metadata"],
        json!({"name": "Alice@Example.com"})
    );
    assert!(alice["user"].get("encrypted_password").is_none());
    let claims = app
        .jwt
        .verify(alice["access_token"].as_str().unwrap())
        .unwrap();
    assert_eq!(claims["sub"], alice["user"]["id"]);
    assert_eq!(claims["role"], "authenticated");
    assert_eq!(claims["aud"], "authenticated");
    assert_eq!(claims["email"], "alice@example.com");
    assert_eq!(
        claims["app_metadata"],
        json!({"provider": "email", "providers": ["email"]})
    );
    assert_eq!(claims["user_metadata"]["name"], "Alice@Example.com");
    assert_eq!(claims["is_anonymous"], false);
    assert!(claims["session_id"].is_string());
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
    assert_eq!(alice["expires_at"], claims["exp"]);
    sign_up(&app, "bob@example.com").await;

    // Each signs in and works through /rest/v1 with their own token.
    let (s, a) = sign_in(&app, "alice@example.com", PASSWORD).await;
    assert_eq!(s, 200, "{a}");
    let (_, b) = sign_in(&app, "BOB@example.com", PASSWORD).await;
    let token = |t: &Value| t["access_token"].as_str().unwrap().to_string();
    for (t, name) in [(&a, "alice's"), (&b, "bob's")] {
        let (s, _, body) = send(
            app.rest(Method::POST, "agents", Some(&token(t)))
                .json(&json!({"name": name})),
        )
        .await;
        assert_eq!(s, 201, "{body}");
    }
    let names = |t: String| {
        let app = &app;
        async move {
            let (s, _, rows) =
                send(app.rest(Method::GET, "agents?select=name,user_id", Some(&t))).await;
            assert_eq!(s, 200);
            rows
        }
    };
    let rows = names(token(&a)).await;
    assert_eq!(
        rows,
        json!([{"name": "alice's", "user_id": alice["user"]["id"]}])
    );
    assert_eq!(names(token(&b)).await[0]["name"], "bob's");
    assert_eq!(names(token(&b)).await.as_array().unwrap().len(), 1);

    // Bob can neither change nor delete Alice's agent.
    let (_, _, changed) = send(
        app.rest(Method::PATCH, "agents?name=eq.alice's", Some(&token(&b)))
            .header("prefer", "return=representation")
            .json(&json!({"name": "taken"})),
    )
    .await;
    assert_eq!(changed, json!([]));
    let (_, _, gone) = send(
        app.rest(Method::DELETE, "agents?name=eq.alice's", Some(&token(&b)))
            .header("prefer", "return=representation"),
    )
    .await;
    assert_eq!(gone, json!([]));
    // Nor make one out to her.
    let (s, _, _) = send(
        app.rest(Method::POST, "agents", Some(&token(&b)))
            .json(&json!({"name": "forged", "user_id": alice["user"]["id"]})),
    )
    .await;
    assert_eq!(s, 403);
    assert_eq!(names(token(&a)).await[0]["name"], "alice's");

    // anon, and a signed-in user, cannot read users through /rest/v1.
    for t in [None, Some(token(&a))] {
        let (s, _, body) = send(
            app.rest(Method::GET, "users", t.as_deref())
                .header("accept-profile", "auth"),
        )
        .await;
        assert_eq!((s, body["code"].clone()), (406, json!("PGRST106")));
        let (s, _, _) = send(app.rest(Method::GET, "users", t.as_deref())).await;
        assert_eq!(s, 404);
    }
}

#[tokio::test]
async fn sign_up_refusals() {
    let app = TestApp::start().await;
    sign_up(&app, "taken@example.com").await;
    let signup = |body: Value| send(auth(&app, Method::POST, "signup").json(&body));

    let (s, h, b) = signup(json!({"email": "TAKEN@example.com", "password": "whatever1"})).await;
    assert_eq!(
        (s, b),
        (
            422,
            json!({"code": 422, "error_code": "user_already_exists", "msg": "User already registered"})
        )
    );
    assert_eq!(h["x-sb-error-code"], "user_already_exists");

    let (s, _, b) = signup(json!({"email": "new@example.com", "password": "12345"})).await;
    assert_eq!((s, b["error_code"].clone()), (422, json!("weak_password")));
    assert_eq!(b["weak_password"]["reasons"], json!(["length"]));
    assert_eq!(b["msg"], "Password should be at least 6 characters.");

    let (s, _, b) = signup(json!({"email": "not-an-email", "password": PASSWORD})).await;
    assert_eq!(
        (s, b["error_code"].clone()),
        (400, json!("validation_failed"))
    );
    let (s, _, b) = signup(json!({"email": "new@example.com"})).await;
    assert_eq!(
        (s, b["error_code"].clone()),
        (422, json!("validation_failed"))
    );
    let (s, _, b) = send(
        auth(&app, Method::POST, "signup")
            .header("content-type", "application/json")
            .body("{nope"),
    )
    .await;
    assert_eq!((s, b["error_code"].clone()), (400, json!("bad_json")));
    // No API key at all.
    let (s, _, _) = send(
        app.http
            .post(format!("{}/auth/v1/signup", app.base))
            .json(&json!({"email": "k@example.com", "password": PASSWORD})),
    )
    .await;
    assert_eq!(s, 401);
}

#[tokio::test]
async fn the_current_user_and_changing_it() {
    let app = TestApp::start().await;
    sign_up(&app, "carol@example.com").await;
    let (_, laptop) = sign_in(&app, "carol@example.com", PASSWORD).await;
    let (_, phone) = sign_in(&app, "carol@example.com", PASSWORD).await;
    let (s, user) = me(&app, &laptop).await;
    assert_eq!(
        (s, user["email"].clone()),
        (200, json!("carol@example.com"))
    );
    assert!(user["last_sign_in_at"].is_string());

    let put = |body: Value| {
        send(
            auth(&app, Method::PUT, "user")
                .header("authorization", bearer(&laptop))
                .json(&body),
        )
    };
    let (s, _, u) = put(json!({"data": {"plan": "pro", "name": "Carol"}})).await;
    assert_eq!(
        (s, u["user_metadata"].clone()),
        (200, json!({"plan": "pro", "name": "Carol"}))
    );
    // A null removes a key; others stay.
    let (_, _, u) = put(json!({"data": {"plan": null}})).await;
    assert_eq!(u["user_metadata"], json!({"name": "Carol"}));

    let (s, _, b) = put(json!({"password": PASSWORD})).await;
    assert_eq!((s, b["error_code"].clone()), (422, json!("same_password")));
    let (s, _, b) = put(json!({"password": "short"})).await;
    assert_eq!((s, b["error_code"].clone()), (422, json!("weak_password")));
    let (s, _, _) = put(json!({"password": "a new password"})).await;
    assert_eq!(s, 200);
    // The new password works, the old one does not, and the other device is signed out.
    assert_eq!(sign_in(&app, "carol@example.com", PASSWORD).await.0, 400);
    assert_eq!(
        sign_in(&app, "carol@example.com", "a new password").await.0,
        200
    );
    assert_eq!(me(&app, &laptop).await.0, 200);
    assert_eq!(me(&app, &phone).await.1["error_code"], "session_not_found");
    assert_eq!(refresh(&app, &phone).await.0, 400);

    sign_up(&app, "dan@example.com").await;
    let (s, _, b) = put(json!({"email": "dan@example.com"})).await;
    assert_eq!((s, b["error_code"].clone()), (422, json!("email_exists")));
    let (s, _, u) = put(json!({"email": "carol@new.example.com"})).await;
    assert_eq!(
        (s, u["email"].clone()),
        (200, json!("carol@new.example.com"))
    );
    assert_eq!(
        sign_in(&app, "carol@new.example.com", "a new password")
            .await
            .0,
        200
    );

    // Tokens minted with the project's secret but no session (as the test harness makes
    // them) are accepted, as GoTrue accepts them.
    let minted = app.user("minted@example.com").await;
    let (s, _, u) = send(
        auth(&app, Method::GET, "user").header("authorization", format!("Bearer {}", minted.token)),
    )
    .await;
    assert_eq!((s, u["id"].clone()), (200, json!(minted.id)));
}

#[tokio::test]
async fn refresh_rotates_and_reuse_ends_the_session() {
    let app = TestApp::start().await;
    sign_up(&app, "erin@example.com").await;
    let (_, first) = sign_in(&app, "erin@example.com", PASSWORD).await;
    let (_, other_device) = sign_in(&app, "erin@example.com", PASSWORD).await;
    let (s, second) = refresh(&app, &first).await;
    assert_eq!(s, 200, "{second}");
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_eq!(second["user"]["email"], "erin@example.com");
    let c1 = app
        .jwt
        .verify(first["access_token"].as_str().unwrap())
        .unwrap();
    let c2 = app
        .jwt
        .verify(second["access_token"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        c1["session_id"], c2["session_id"],
        "a refresh keeps the session"
    );
    // An expired access token in Authorization does not stand in the way: the apikey
    // decides, as at Supabase's gateway.
    let mut expired = c2.clone();
    expired["exp"] = json!(c2["iat"].as_i64().unwrap() - 10);
    let (s, _, third) = send(
        auth(&app, Method::POST, "token?grant_type=refresh_token")
            .header(
                "authorization",
                format!("Bearer {}", app.jwt.sign(&expired)),
            )
            .json(&json!({"refresh_token": second["refresh_token"]})),
    )
    .await;
    assert_eq!(s, 200, "{third}");

    // The stored form is a hash, not the token.
    let stored: Vec<String> = sqlx::query_scalar("select token_hash from auth.refresh_tokens")
        .fetch_all(&app.admin)
        .await
        .unwrap();
    assert!(
        !stored
            .iter()
            .any(|h| h == third["refresh_token"].as_str().unwrap())
    );

    // The first token again: refused, and its whole session with it.
    let (s, b) = refresh(&app, &first).await;
    assert_eq!(
        (s, b["error_code"].clone()),
        (400, json!("refresh_token_already_used"))
    );
    assert_eq!(
        refresh(&app, &third).await.0,
        400,
        "the newest token died too"
    );
    assert_eq!(me(&app, &third).await.1["error_code"], "session_not_found");
    // Another session of the same user is untouched.
    assert_eq!(me(&app, &other_device).await.0, 200);
    assert_eq!(refresh(&app, &other_device).await.0, 200);

    let (s, b) = refresh(&app, &json!({"refresh_token": "nope"})).await;
    assert_eq!(
        (s, b["error_code"].clone()),
        (400, json!("refresh_token_not_found"))
    );
    let (s, _, b) = send(auth(&app, Method::POST, "token?grant_type=magic").json(&json!({}))).await;
    assert_eq!(
        (s, b["error_code"].clone()),
        (400, json!("validation_failed"))
    );
}

#[tokio::test]
async fn sign_out_scopes() {
    let app = TestApp::start().await;
    sign_up(&app, "frank@example.com").await;
    let session = || sign_in(&app, "frank@example.com", PASSWORD);
    let logout = |t: &Value, scope: &str| {
        auth(&app, Method::POST, &format!("logout?scope={scope}"))
            .header("authorization", bearer(t))
    };
    let (_, laptop) = session().await;
    let (_, phone) = session().await;
    let (_, tablet) = session().await;
    assert_eq!(send(logout(&laptop, "others")).await.0, 204);
    assert_eq!(me(&app, &laptop).await.0, 200);
    assert_eq!(me(&app, &phone).await.0, 403);
    assert_eq!(me(&app, &tablet).await.0, 403);
    assert_eq!(send(logout(&laptop, "local")).await.0, 204);
    assert_eq!(me(&app, &laptop).await.0, 403);
    assert_eq!(
        refresh(&app, &laptop).await.0,
        400,
        "its refresh token died"
    );

    let (_, a) = session().await;
    let (_, b) = session().await;
    // No scope means global.
    let (s, _, _) =
        send(auth(&app, Method::POST, "logout").header("authorization", bearer(&a))).await;
    assert_eq!(s, 204);
    assert_eq!(me(&app, &b).await.0, 403);
    assert_eq!(refresh(&app, &b).await.0, 400);
    assert_eq!(
        send(logout(&a, "global")).await.0,
        403,
        "already signed out"
    );
    let (_, c) = session().await;
    let (s, _, body) = send(logout(&c, "everywhere")).await;
    assert_eq!(
        (s, body["error_code"].clone()),
        (400, json!("validation_failed"))
    );
}

#[tokio::test]
async fn admin_users_with_the_service_key() {
    let app = TestApp::start().await;
    let (s, _, created) = send(admin(&app, Method::POST, "users").json(&json!({
        "email": "gina@example.com",
        "password": "gina-password",
        "email_confirm": true,
        "user_metadata": {"team": "x"},
        "app_metadata": {"plan": "free"},
    })))
    .await;
    assert_eq!(s, 200, "{created}");
    assert_eq!(created["user_metadata"], json!({"team": "x"}));
    assert_eq!(created["app_metadata"]["provider"], "email");
    assert_eq!(created["app_metadata"]["plan"], "free");
    assert!(created["email_confirmed_at"].is_string());
    let id = created["id"].as_str().unwrap().to_string();
    let (s, _, b) = send(
        admin(&app, Method::POST, "users")
            .json(&json!({"email": "GINA@example.com", "password": "another-one"})),
    )
    .await;
    assert_eq!((s, b["error_code"].clone()), (422, json!("email_exists")));
    for n in 0..4 {
        sign_up(&app, &format!("user{n}@example.com")).await;
    }

    // Pages, newest first, with GoTrue's headers.
    let (s, h, list) = send(admin(&app, Method::GET, "users?page=1&per_page=2")).await;
    assert_eq!(s, 200);
    assert_eq!(list["aud"], "authenticated");
    let emails: Vec<&str> = list["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["user3@example.com", "user2@example.com"]);
    assert_eq!(h["x-total-count"], "5");
    assert_eq!(
        h["link"],
        "</auth/v1/admin/users?page=2&per_page=2>; rel=\"next\", \
         </auth/v1/admin/users?page=3&per_page=2>; rel=\"last\""
    );
    let (_, _, last) = send(admin(&app, Method::GET, "users?page=3&per_page=2")).await;
    assert_eq!(last["users"][0]["email"], "gina@example.com");
    let (s, _, b) = send(admin(&app, Method::GET, "users?page=x")).await;
    assert_eq!(
        (s, b["error_code"].clone()),
        (400, json!("validation_failed"))
    );

    let (s, _, got) = send(admin(&app, Method::GET, &format!("users/{id}"))).await;
    assert_eq!((s, got["email"].clone()), (200, json!("gina@example.com")));
    let (_, signed_in) = sign_in(&app, "gina@example.com", "gina-password").await;
    let (s, _, got) = send(
        admin(&app, Method::PUT, &format!("users/{id}"))
            .json(&json!({"app_metadata": {"plan": "gold"}, "password": "reset-by-admin"})),
    )
    .await;
    assert_eq!(
        (s, got["app_metadata"]["plan"].clone()),
        (200, json!("gold"))
    );
    assert_eq!(
        me(&app, &signed_in).await.0,
        403,
        "a reset ends every session"
    );
    assert_eq!(
        sign_in(&app, "gina@example.com", "gina-password").await.0,
        400
    );
    let (_, session) = sign_in(&app, "gina@example.com", "reset-by-admin").await;
    let claims = app
        .jwt
        .verify(session["access_token"].as_str().unwrap())
        .unwrap();
    assert_eq!(claims["app_metadata"]["plan"], "gold");

    // Deleting the user takes their agents, sessions and refresh tokens along.
    let (s, _, _) = send(
        app.rest(Method::POST, "agents", session["access_token"].as_str())
            .json(&json!({"name": "gina's"})),
    )
    .await;
    assert_eq!(s, 201);
    let (s, _, body) = send(admin(&app, Method::DELETE, &format!("users/{id}"))).await;
    assert_eq!((s, body), (200, json!({})));
    for table in ["public.agents", "auth.sessions", "auth.refresh_tokens"] {
        let left: i64 = sqlx::query_scalar(&format!(
            "select count(*) from {table} where user_id = '{id}'::uuid"
        ))
        .fetch_one(&app.admin)
        .await
        .unwrap();
        assert_eq!(left, 0, "{table}");
    }
    assert_eq!(
        send(admin(&app, Method::GET, &format!("users/{id}")))
            .await
            .0,
        404
    );
    assert_eq!(
        send(admin(&app, Method::GET, "users/not-a-uuid")).await.0,
        404
    );
    assert_eq!(me(&app, &session).await.1["error_code"], "user_not_found");

    // Not with the anon key, nor with a user's token.
    let (s, _, b) = send(auth(&app, Method::GET, "admin/users")).await;
    assert_eq!((s, b["error_code"].clone()), (403, json!("not_admin")));
    let (_, user) = sign_in(&app, "user0@example.com", PASSWORD).await;
    let (s, _, _) = send(
        auth(
            &app,
            Method::DELETE,
            &format!("admin/users/{}", user["user"]["id"].as_str().unwrap()),
        )
        .header("authorization", bearer(&user)),
    )
    .await;
    assert_eq!(s, 403);
    assert_eq!(me(&app, &user).await.0, 200);
}

#[tokio::test]
async fn admin_bans_and_roles() {
    let app = TestApp::start().await;
    let signed_up = sign_up(&app, "olga@example.com").await;
    let id = signed_up["user"]["id"].as_str().unwrap().to_string();
    let (_, session) = sign_in(&app, "olga@example.com", PASSWORD).await;
    let update = |body: Value| send(admin(&app, Method::PUT, &format!("users/{id}")).json(&body));

    let (s, _, u) = update(json!({"ban_duration": "24h"})).await;
    assert_eq!(s, 200, "{u}");
    assert!(u["banned_until"].is_string());
    // The ban ends the user's sessions and keeps them from starting new ones; only the
    // right password learns why.
    assert_eq!(me(&app, &session).await.0, 403);
    assert_eq!(refresh(&app, &session).await.0, 400);
    let (s, b) = sign_in(&app, "olga@example.com", PASSWORD).await;
    assert_eq!((s, b["error_code"].clone()), (400, json!("user_banned")));
    let (s, b) = sign_in(&app, "olga@example.com", "wrong horse").await;
    assert_eq!(
        (s, b["error_code"].clone()),
        (400, json!("invalid_credentials"))
    );
    // A token minted without a session is refused too.
    let minted = app.jwt.sign(&json!({
        "sub": id, "role": "authenticated", "aud": "authenticated",
        "exp": claims_now() + 60,
    }));
    let (s, _, b) =
        send(auth(&app, Method::GET, "user").header("authorization", format!("Bearer {minted}")))
            .await;
    assert_eq!((s, b["error_code"].clone()), (403, json!("user_banned")));

    let (s, _, b) = update(json!({"ban_duration": "forever"})).await;
    assert_eq!(
        (s, b["error_code"].clone()),
        (400, json!("validation_failed"))
    );
    let (s, _, u) = update(json!({"ban_duration": "none"})).await;
    assert_eq!(s, 200);
    assert!(u.get("banned_until").is_none());
    assert_eq!(sign_in(&app, "olga@example.com", PASSWORD).await.0, 200);

    // The role column decides the role of the user's tokens; only API roles are accepted.
    let (s, _, b) = update(json!({"role": "postgres"})).await;
    assert_eq!(
        (s, b["error_code"].clone()),
        (400, json!("validation_failed"))
    );
    let (s, _, u) = update(json!({"role": "service_role"})).await;
    assert_eq!((s, u["role"].clone()), (200, json!("service_role")));
    let (_, session) = sign_in(&app, "olga@example.com", PASSWORD).await;
    let claims = app
        .jwt
        .verify(session["access_token"].as_str().unwrap())
        .unwrap();
    assert_eq!(claims["role"], "service_role");
}

fn claims_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn bad_access_tokens_are_401() {
    let app = TestApp::start().await;
    sign_up(&app, "hank@example.com").await;
    let (_, good) = sign_in(&app, "hank@example.com", PASSWORD).await;
    let good_token = good["access_token"].as_str().unwrap().to_string();
    let claims = app.jwt.verify(&good_token).unwrap();
    let now = claims["iat"].as_i64().unwrap();
    let with = |key: &str, value: Value| {
        let mut c = claims.clone();
        c[key] = value;
        app.jwt.sign(&c)
    };
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let parts: Vec<&str> = good_token.split('.').collect();
    let mut forged = claims.clone();
    forged["sub"] = json!(uuid::Uuid::new_v4());
    let tampered = format!("{}.{}.{}", parts[0], b64(&forged.to_string()), parts[2]);
    let none = format!(
        "{}.{}.",
        b64(r#"{"alg":"none","typ":"JWT"}"#),
        b64(&claims.to_string())
    );
    let other_secret = runtime::auth::Jwt::new(b"some-other-secret-that-is-32-chars-long");
    let mut no_sub = claims.clone();
    no_sub.as_object_mut().unwrap().remove("sub");
    for (name, token) in [
        ("expired", with("exp", json!(now - 10))),
        ("tampered", tampered),
        ("alg none", none),
        ("wrong secret", other_secret.sign(&claims)),
        ("wrong audience", with("aud", json!("someone-else"))),
        ("no sub", app.jwt.sign(&no_sub)),
        ("anon key", app.anon_key()),
        ("service key", app.service_key()),
        ("not a JWT", "garbage".to_string()),
    ] {
        let (s, _, b) = send(
            auth(&app, Method::GET, "user").header("authorization", format!("Bearer {token}")),
        )
        .await;
        assert_eq!(s, 401, "{name}: {b}");
        assert!(
            ["bad_jwt", "no_authorization"].contains(&b["error_code"].as_str().unwrap()),
            "{name}: {b}"
        );
    }
    let (s, _, b) = send(auth(&app, Method::GET, "user")).await;
    assert_eq!(
        (s, b["error_code"].clone()),
        (401, json!("no_authorization"))
    );
    assert_eq!(me(&app, &good).await.0, 200);
}

/// Median wall time of `n` runs of `f`.
/// Medians of two probes taken in turns, so that a burst of load on a busy machine falls
/// on both rather than on one.
async fn paired_medians<F, G, Fut>(n: usize, mut a: F, mut b: G) -> (Duration, Duration)
where
    F: FnMut() -> Fut,
    G: FnMut() -> Fut,
    Fut: std::future::Future<Output = (u16, Value)>,
{
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let t = Instant::now();
        a().await;
        ta.push(t.elapsed());
        let t = Instant::now();
        b().await;
        tb.push(t.elapsed());
    }
    ta.sort();
    tb.sort();
    (ta[n / 2], tb[n / 2])
}

#[tokio::test]
async fn unknown_email_and_wrong_password_look_the_same() {
    let app = TestApp::start().await;
    sign_up(&app, "ivy@example.com").await;
    let attempt = |email: &'static str| {
        send(
            auth(&app, Method::POST, "token?grant_type=password")
                .json(&json!({"email": email, "password": "wrong horse"})),
        )
    };
    let (s1, h1, b1) = attempt("nobody@example.com").await;
    let (s2, h2, b2) = attempt("ivy@example.com").await;
    let (s3, h3, b3) = attempt("not even an email").await;
    assert_eq!((s1, &b1), (s2, &b2));
    assert_eq!((s1, &b1), (s3, &b3));
    assert_eq!(
        b1,
        json!({"code": 400, "error_code": "invalid_credentials", "msg": "Invalid login credentials"})
    );
    let names = |h: &reqwest::header::HeaderMap| {
        let mut v: Vec<String> = h
            .keys()
            .filter(|k| *k != "date")
            .map(|k| format!("{k}: {:?}", h[k]))
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(&h1), names(&h2));
    assert_eq!(names(&h1), names(&h3));

    // Both pay for one Argon2 verification: without the stand-in hash an unknown email
    // would answer about twenty times faster (a lookup against a 19 MiB hash). Only that
    // direction is checked, loosely, so that a busy machine, which slows either side at
    // random, does not fail the test.
    let probe = |email: &'static str| {
        let app = &app;
        move || async move {
            let (s, _, b) = send(
                auth(app, Method::POST, "token?grant_type=password")
                    .json(&json!({"email": email, "password": "wrong horse"})),
            )
            .await;
            // A throttled answer would skip the work and skew the timing.
            assert_eq!(s, 400, "{b}");
            (s, b)
        }
    };
    let (unknown, known) =
        paired_medians(7, probe("nobody@example.com"), probe("ivy@example.com")).await;
    let ratio = unknown.as_secs_f64() / known.as_secs_f64();
    assert!(
        ratio > 0.2,
        "unknown email {unknown:?} vs wrong password {known:?}"
    );
}

#[tokio::test]
async fn brute_force_gets_429_with_retry_after() {
    let app = TestApp::start().await;
    sign_up(&app, "jack@example.com").await;
    // The default limits: ten failures per email.
    let mut answers = Vec::new();
    for _ in 0..11 {
        let resp = auth(&app, Method::POST, "token?grant_type=password")
            .json(&json!({"email": "jack@example.com", "password": "guess"}))
            .send()
            .await
            .unwrap();
        answers.push(resp);
    }
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses, [[400; 10].as_slice(), &[429]].concat());
    let limited = answers.pop().unwrap();
    let wait: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=300).contains(&wait), "{wait}");
    let b: Value = limited.json().await.unwrap();
    assert_eq!(b["error_code"], "over_request_rate_limit");
    // Even the right password waits now; another email does not.
    assert_eq!(sign_in(&app, "jack@example.com", PASSWORD).await.0, 429);
    sign_up(&app, "kim@example.com").await;
    assert_eq!(sign_in(&app, "kim@example.com", PASSWORD).await.0, 200);
}

#[tokio::test]
async fn rate_limits_per_address_per_email_and_in_parallel() {
    let app = TestApp::start().await;
    let base = auth_server(
        &app,
        AuthSettings {
            failures_per_ip: 6,
            failures_per_email: 3,
            trusted_proxies: 1,
            ..AuthSettings::default()
        },
    )
    .await;
    for email in ["lee@example.com", "max@example.com"] {
        let (s, _, b) = send(
            auth_at(&app, &base, Method::POST, "signup")
                .json(&json!({"email": email, "password": PASSWORD})),
        )
        .await;
        assert_eq!(s, 200, "{b}");
    }
    let guess = |email: &str, from: &str| {
        auth_at(&app, &base, Method::POST, "token?grant_type=password")
            .header("x-forwarded-for", format!("203.0.113.77, {from}"))
            .json(&json!({"email": email, "password": "guess"}))
            .send()
    };
    // A burst of parallel guesses at one email: exactly the allowance is let through.
    let burst: Vec<_> = (0..12)
        .map(|_| guess("lee@example.com", "198.51.100.1"))
        .collect();
    let mut statuses: Vec<u16> = futures_join(burst).await;
    statuses.sort();
    assert_eq!(statuses, [[400; 3].as_slice(), &[429; 9]].concat());

    // The same address guessing at other emails runs out of its own allowance (6).
    for n in 0..3 {
        let r = guess(&format!("nobody{n}@example.com"), "198.51.100.1")
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
    }
    let r = guess("max@example.com", "198.51.100.1").await.unwrap();
    assert_eq!(r.status(), 429);
    // Another address is not held back: the first entry of X-Forwarded-For is the
    // client's to forge, so only the one the proxy appended counts.
    let r = guess("max@example.com", "198.51.100.2").await.unwrap();
    assert_eq!(r.status(), 400);
    // A success takes its attempt back.
    for _ in 0..4 {
        let (s, _) = sign_in_at(&app, &base, "max@example.com", PASSWORD).await;
        assert_eq!(s, 200);
    }
}

/// Awaits request futures side by side and returns their statuses.
async fn futures_join<F>(futures: Vec<F>) -> Vec<u16>
where
    F: std::future::Future<Output = reqwest::Result<reqwest::Response>> + Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap().unwrap().status().as_u16());
    }
    out
}

#[tokio::test]
async fn confirmation_required_hides_who_is_registered() {
    let app = TestApp::start().await;
    let base = auth_server(
        &app,
        AuthSettings {
            confirm_email: true,
            min_password_length: 10,
            ..AuthSettings::default()
        },
    )
    .await;
    let signup = |email: &str, password: &str| {
        send(
            auth_at(&app, &base, Method::POST, "signup")
                .json(&json!({"email": email, "password": password, "data": {"k": 1}})),
        )
    };
    let (s, _, b) = signup("nina@example.com", "short-pw").await;
    assert_eq!((s, b["error_code"].clone()), (422, json!("weak_password")));
    let (s, _, real) = signup("nina@example.com", "long enough pw").await;
    assert_eq!(s, 200, "{real}");
    assert!(
        real.get("access_token").is_none(),
        "no session before confirmation"
    );
    assert_eq!(real["email"], "nina@example.com");
    assert!(real["email_confirmed_at"].is_null());
    assert_eq!(real["identities"].as_array().unwrap().len(), 1);

    // A second sign-up with the email gets the same shape, with a made-up id and no
    // identities, as GoTrue answers.
    let (s, _, again) = signup("nina@example.com", "something else").await;
    assert_eq!(s, 200);
    assert_ne!(again["id"], real["id"]);
    assert_eq!(again["identities"], json!([]));
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&again), keys(&real));
    let users: i64 = sqlx::query_scalar("select count(*) from auth.users")
        .fetch_one(&app.admin)
        .await
        .unwrap();
    assert_eq!(users, 1);

    // The right password learns the email is unconfirmed; a wrong one learns nothing.
    let (s, b) = sign_in_at(&app, &base, "nina@example.com", "long enough pw").await;
    assert_eq!(
        (s, b["error_code"].clone()),
        (400, json!("email_not_confirmed"))
    );
    let (s, b) = sign_in_at(&app, &base, "nina@example.com", "wrong password").await;
    assert_eq!(
        (s, b["error_code"].clone()),
        (400, json!("invalid_credentials"))
    );

    // An admin confirms; then sign-in works, and email changes by the user are refused.
    let id = real["id"].as_str().unwrap();
    let (s, _, _) = send(
        admin(&app, Method::PUT, &format!("users/{id}")).json(&json!({"email_confirm": true})),
    )
    .await;
    assert_eq!(s, 200);
    let (s, session) = sign_in_at(&app, &base, "nina@example.com", "long enough pw").await;
    assert_eq!(s, 200, "{session}");
    let (s, _, b) = send(
        auth_at(&app, &base, Method::PUT, "user")
            .header("authorization", bearer(&session))
            .json(&json!({"email": "elsewhere@example.com"})),
    )
    .await;
    assert_eq!(
        (s, b["error_code"].clone()),
        (422, json!("email_change_not_allowed"))
    );
    let (_, _, settings) = send(auth_at(&app, &base, Method::GET, "settings")).await;
    assert_eq!(settings["mailer_autoconfirm"], false);
}

#[tokio::test]
async fn supabase_js_auth_flow() {
    let app = TestApp::start().await;
    let env = [
        ("FERROBASE_URL", app.base.clone()),
        ("ANON_KEY", app.anon_key()),
        ("SERVICE_KEY", app.service_key()),
    ];
    run_client_script("auth.mjs", &env, "supabase-js auth: all calls behaved").await;
}

#[tokio::test]
async fn supabase_py_auth_flow() {
    let app = TestApp::start().await;
    let python = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/venv/bin/python");
    let has_client = std::process::Command::new(&python)
        .args(["-c", "import supabase"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        has_client,
        "supabase-py is not installed in target/venv: run scripts/test.sh, which installs tests/py/requirements.txt"
    );
    let env = [
        ("FERROBASE_URL", app.base.clone()),
        ("ANON_KEY", app.anon_key()),
        ("SERVICE_KEY", app.service_key()),
    ];
    run_client_script("auth_client.py", &env, "supabase-py: all calls behaved").await;
}
