//! Bearer tokens on a test table, through the gateway's one entry point, on
//! the host: handlers' typed claims. Signatures are the host platform's
//! stand-in scheme (`RecordingPlatform::sign`). The app's token routes
//! (`/api/me`, the items' scope) are tested with the app (tests/tokens.rs).

mod support;

use edgegate::extract::Claims;
use edgegate::policy::{any_of, api_key, jwt, Principal};
use edgegate::routing::Route;
use serde::Deserialize;
use serde_json::{json, Value};
use support::tokens::*;
use support::*;

#[test]
fn handlers_read_typed_claims() {
    #[derive(Deserialize)]
    struct Firebase {
        sub: String,
        email: String,
    }
    async fn email(Claims(claims): Claims<Firebase>) -> String {
        format!("{} <{}>", claims.sub, claims.email)
    }
    async fn maybe(claims: Option<Claims<Value>>, principal: Principal) -> String {
        format!("{} {}", principal.id, claims.is_some())
    }
    let platform = platform();
    let key = rsa_key("k1");
    let vars = with_var(
        test_vars(),
        "JWT_PROVIDERS",
        &providers(json!({"keys": [key.jwk]}), json!({})),
    );
    let gateway = test_gateway(
        vec![
            Route::get("/email", email).access(jwt("firebase")),
            Route::get("/maybe", maybe).access(any_of([api_key(), jwt("firebase")])),
        ],
        &vars,
    );
    let with_email = token_with(&platform, |c| c["email"] = json!("alice@example.test"), &key);
    assert_eq!(
        send_on(&gateway, bearer("/email", &with_email), &platform).text(),
        "alice <alice@example.test>"
    );
    let without = token_with(&platform, |_| {}, &key);
    let refused = send_on(&gateway, bearer("/email", &without), &platform);
    assert!(refused.problem(403, "insufficient-claims")["detail"]
        .as_str()
        .unwrap()
        .contains("email"));
    assert_eq!(
        send_on(&gateway, get("/maybe").with_header("x-api-key", DEV_KEY), &platform).text(),
        "dev false"
    );
    assert_eq!(
        send_on(&gateway, bearer("/maybe", &without), &platform).text(),
        "alice true"
    );
}
