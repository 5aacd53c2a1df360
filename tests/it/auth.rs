//! `/auth/v1` over HTTP: sign-up, sign-in, refresh rotation and reuse detection, the
//! current user, sign-out, admin users, and the security properties of issue 5.

use crate::harness::{TestApp, send};
use crate::supabase_js::run_client_script;
use reqwest::Method;
use serde_json::{Value, json};

fn auth(app: &TestApp, m: Method, path: &str) -> reqwest::RequestBuilder {
    app.http
        .request(m, format!("{}/auth/v1/{path}", app.base))
        .header("apikey", app.anon_key())
}

async fn sign_up(app: &TestApp, email: &str) -> Value {
    let (s, _, b) = send(
        auth(app, Method::POST, "signup")
            .json(&json!({"email": email, "password": "correct horse", "data": {"name": email}})),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    b
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> (u16, Value) {
    let (s, _, b) = send(
        auth(app, Method::POST, "token?grant_type=password")
            .json(&json!({"email": email, "password": password})),
    )
    .await;
    (s, b)
}

#[tokio::test]
async fn sign_up_sign_in_and_use_rls() {
    let app = TestApp::start().await;
    let alice = sign_up(&app, "alice@example.com").await;
    assert_eq!(alice["token_type"], "bearer");
    assert_eq!(alice["user"]["email"], "alice@example.com");
    assert_eq!(
        alice["user"]["user_metadata"],
        json!({"name": "alice@example.com"})
    );
    let claims = app
        .jwt
        .verify(alice["access_token"].as_str().unwrap())
        .unwrap();
    for key in [
        "sub",
        "aud",
        "exp",
        "email",
        "app_metadata",
        "user_metadata",
        "session_id",
        "role",
    ] {
        assert!(claims.get(key).is_some(), "claim {key} in {claims}");
    }
    assert_eq!(claims["role"], "authenticated");
    assert_eq!(claims["aud"], "authenticated");
    assert_eq!(claims["app_metadata"]["provider"], "email");
    sign_up(&app, "bob@example.com").await;

    // Duplicate email: GoTrue's code.
    let (s, _, b) = send(
        auth(&app, Method::POST, "signup")
            .json(&json!({"email": "Alice@example.com", "password": "whatever1"})),
    )
    .await;
    assert_eq!((s, b["error_code"].clone()), (422, json!("email_exists")));
    // Short password.
    let (s, _, b) = send(
        auth(&app, Method::POST, "signup")
            .json(&json!({"email": "c@example.com", "password": "123"})),
    )
    .await;
    assert_eq!((s, b["error_code"].clone()), (422, json!("weak_password")));

    // Each user works through /rest/v1 with their own token and sees only their rows.
    let (s, a) = sign_in(&app, "alice@example.com", "correct horse").await;
    assert_eq!(s, 200, "{a}");
    let (_, b) = sign_in(&app, "bob@example.com", "correct horse").await;
    for (tok, name) in [(&a, "alice's"), (&b, "bob's")] {
        let (s, _, _) = send(
            app.rest(Method::POST, "agents", tok["access_token"].as_str())
                .json(&json!({"name": name})),
        )
        .await;
        assert_eq!(s, 201);
    }
    let (_, _, rows) = send(app.rest(
        Method::GET,
        "agents?select=name",
        a["access_token"].as_str(),
    ))
    .await;
    assert_eq!(rows, json!([{"name": "alice's"}]));
    let (_, _, rows) = send(app.rest(
        Method::GET,
        "agents?select=name",
        b["access_token"].as_str(),
    ))
    .await;
    assert_eq!(rows, json!([{"name": "bob's"}]));

    // The current user, and changing it.
    let bearer = |t: &Value| format!("Bearer {}", t["access_token"].as_str().unwrap());
    let (s, _, me) =
        send(auth(&app, Method::GET, "user").header("authorization", bearer(&a))).await;
    assert_eq!((s, me["email"].clone()), (200, json!("alice@example.com")));
    let (s, _, me) = send(
        auth(&app, Method::PUT, "user")
            .header("authorization", bearer(&a))
            .json(&json!({"data": {"plan": "pro"}, "password": "new password"})),
    )
    .await;
    assert_eq!(
        (s, me["user_metadata"]["plan"].clone()),
        (200, json!("pro"))
    );
    assert_eq!(
        sign_in(&app, "alice@example.com", "correct horse").await.0,
        400
    );
    assert_eq!(
        sign_in(&app, "alice@example.com", "new password").await.0,
        200
    );

    // anon cannot read users through /rest/v1: the auth schema is not exposed.
    let (s, _, b) = send(
        app.rest(Method::GET, "users", None)
            .header("accept-profile", "auth"),
    )
    .await;
    assert_eq!((s, b["code"].clone()), (406, json!("PGRST106")));
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_session() {
    let app = TestApp::start().await;
    sign_up(&app, "carol@example.com").await;
    let (_, first) = sign_in(&app, "carol@example.com", "correct horse").await;
    let refresh = |token: &Value| {
        auth(&app, Method::POST, "token?grant_type=refresh_token")
            .json(&json!({"refresh_token": token["refresh_token"]}))
    };
    let (s, _, second) = send(refresh(&first)).await;
    assert_eq!(s, 200, "{second}");
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    let (s, _, third) = send(refresh(&second)).await;
    assert_eq!(s, 200);
    // The first token again: refused, and the whole session with it.
    let (s, _, b) = send(refresh(&first)).await;
    assert_eq!(
        (s, b["error_code"].clone()),
        (400, json!("refresh_token_already_used"))
    );
    let (s, _, _) = send(refresh(&third)).await;
    assert_eq!(
        s, 400,
        "the newest token of a revoked session is worthless too"
    );
    let (s, _, b) = send(auth(&app, Method::GET, "user").header(
        "authorization",
        format!("Bearer {}", third["access_token"].as_str().unwrap()),
    ))
    .await;
    assert_eq!(
        (s, b["error_code"].clone()),
        (403, json!("session_not_found"))
    );
    let (s, _, b) = send(
        auth(&app, Method::POST, "token?grant_type=refresh_token")
            .json(&json!({"refresh_token": "nope"})),
    )
    .await;
    assert_eq!(
        (s, b["error_code"].clone()),
        (400, json!("refresh_token_not_found"))
    );
}

#[tokio::test]
async fn sign_out_scopes() {
    let app = TestApp::start().await;
    sign_up(&app, "dave@example.com").await;
    let (_, laptop) = sign_in(&app, "dave@example.com", "correct horse").await;
    let (_, phone) = sign_in(&app, "dave@example.com", "correct horse").await;
    let user = |t: &Value| {
        auth(&app, Method::GET, "user").header(
            "authorization",
            format!("Bearer {}", t["access_token"].as_str().unwrap()),
        )
    };
    let logout = |t: &Value, scope: &str| {
        auth(&app, Method::POST, &format!("logout?scope={scope}")).header(
            "authorization",
            format!("Bearer {}", t["access_token"].as_str().unwrap()),
        )
    };
    assert_eq!(send(logout(&laptop, "others")).await.0, 204);
    assert_eq!(send(user(&laptop)).await.0, 200);
    assert_eq!(send(user(&phone)).await.0, 403);
    assert_eq!(send(logout(&laptop, "local")).await.0, 204);
    assert_eq!(send(user(&laptop)).await.0, 403);
    let (s, _, _) = send(
        auth(&app, Method::POST, "token?grant_type=refresh_token")
            .json(&json!({"refresh_token": laptop["refresh_token"]})),
    )
    .await;
    assert_eq!(s, 400, "signing out revokes the refresh token");
}

#[tokio::test]
async fn admin_users_with_the_service_key() {
    let app = TestApp::start().await;
    let admin = |m: Method, path: &str| {
        app.http
            .request(m, format!("{}/auth/v1/admin/{path}", app.base))
            .header("apikey", app.service_key())
            .header("authorization", format!("Bearer {}", app.service_key()))
    };
    let (s, _, created) = send(admin(Method::POST, "users").json(&json!({"email": "erin@example.com", "password": "erin-password", "email_confirm": true, "user_metadata": {"team": "x"}}))).await;
    assert_eq!(s, 200, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    let (s, _, list) = send(admin(Method::GET, "users?page=1&per_page=10")).await;
    assert_eq!(
        (
            s,
            list["users"].as_array().map(Vec::len),
            list["aud"].clone()
        ),
        (200, Some(1), json!("authenticated"))
    );
    let (s, _, got) = send(
        admin(Method::PUT, &format!("users/{id}")).json(&json!({"app_metadata": {"plan": "gold"}})),
    )
    .await;
    assert_eq!(
        (s, got["app_metadata"]["plan"].clone()),
        (200, json!("gold"))
    );
    assert_eq!(
        sign_in(&app, "erin@example.com", "erin-password").await.0,
        200
    );
    // The user's agents go with the user, as the spec's foreign key says.
    let (_, tok) = sign_in(&app, "erin@example.com", "erin-password").await;
    send(
        app.rest(Method::POST, "agents", tok["access_token"].as_str())
            .json(&json!({"name": "erin's"})),
    )
    .await;
    let (s, _, _) = send(admin(Method::DELETE, &format!("users/{id}"))).await;
    assert_eq!(s, 200);
    let left: i64 = sqlx::query_scalar("select count(*) from public.agents")
        .fetch_one(&app.admin)
        .await
        .unwrap();
    assert_eq!(left, 0);
    let (s, _, _) = send(admin(Method::GET, &format!("users/{id}"))).await;
    assert_eq!(s, 404);
    // Not with the anon key or a user's token.
    let (s, _, b) = send(auth(&app, Method::GET, "admin/users")).await;
    assert_eq!((s, b["error_code"].clone()), (403, json!("not_admin")));
}

#[tokio::test]
async fn bad_tokens_same_answers_and_brute_force() {
    let app = TestApp::start().await;
    sign_up(&app, "frank@example.com").await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let (_, good) = sign_in(&app, "frank@example.com", "correct horse").await;
    let claims = app
        .jwt
        .verify(good["access_token"].as_str().unwrap())
        .unwrap();
    let mut expired = claims.clone();
    expired["exp"] = json!(now - 10);
    let mut wrong_aud = claims.clone();
    wrong_aud["aud"] = json!("someone-else");
    let other = runtime::auth::Jwt::new(b"some-other-secret-that-is-32-chars-long");
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let none = format!(
        "{}.{}.",
        b64(r#"{"alg":"none","typ":"JWT"}"#),
        b64(&claims.to_string())
    );
    let good_token = good["access_token"].as_str().unwrap().to_string();
    let parts: Vec<&str> = good_token.split('.').collect();
    let mut tampered_claims = claims.clone();
    tampered_claims["sub"] = json!(uuid::Uuid::new_v4());
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64(&tampered_claims.to_string()),
        parts[2]
    );
    for (name, token) in [
        ("expired", app.jwt.sign(&expired)),
        ("wrong audience", app.jwt.sign(&wrong_aud)),
        ("wrong secret", other.sign(&claims)),
        ("alg none", none),
        ("tampered", tampered),
    ] {
        let (s, _, b) = send(
            auth(&app, Method::GET, "user").header("authorization", format!("Bearer {token}")),
        )
        .await;
        assert_eq!(s, 401, "{name}: {b}");
    }

    // Unknown email and wrong password: the same status and body.
    let (s1, b1) = sign_in(&app, "nobody@example.com", "correct horse").await;
    let (s2, b2) = sign_in(&app, "frank@example.com", "wrong horse").await;
    assert_eq!((s1, &b1), (s2, &b2));
    assert_eq!(
        b1,
        json!({"code": 400, "error_code": "invalid_credentials", "msg": "Invalid login credentials"})
    );

    // Brute force on one email is stopped with 429 and Retry-After (10 failures allowed).
    let mut limited = None;
    for _ in 0..12 {
        let resp = auth(&app, Method::POST, "token?grant_type=password")
            .json(&json!({"email": "frank@example.com", "password": "guess"}))
            .send()
            .await
            .unwrap();
        if resp.status() == 429 {
            limited = Some(resp);
            break;
        }
    }
    let resp = limited.expect("brute force is rate limited");
    assert!(
        resp.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
    let b: Value = resp.json().await.unwrap();
    assert_eq!(b["error_code"], "over_request_rate_limit");
    // Even the right password waits now.
    assert_eq!(
        sign_in(&app, "frank@example.com", "correct horse").await.0,
        429
    );
}

#[tokio::test]
async fn supabase_js_auth_flow() {
    let app = TestApp::start().await;
    let env = [
        ("FERROBASE_URL", app.base.clone()),
        ("ANON_KEY", app.anon_key()),
    ];
    run_client_script("auth.mjs", &env, "supabase-js auth: all calls behaved").await;
}

#[tokio::test]
async fn supabase_py_auth_flow() {
    let app = TestApp::start().await;
    let env = [
        ("FERROBASE_URL", app.base.clone()),
        ("ANON_KEY", app.anon_key()),
        ("SERVICE_KEY", app.service_key()),
    ];
    run_client_script("auth_client.py", &env, "supabase-py: all calls behaved").await;
}
