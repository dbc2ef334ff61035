//! A bounded storm of random requests never gets a 5xx or an error that is not JSON.

mod common;

use common::raw::*;
use common::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Random bytes, none of them forming valid UTF-8 JSON for sure.
fn garbage(rng: &mut StdRng) -> Vec<u8> {
    let len = rng.gen_range(1..512);
    (0..len).map(|_| rng.gen::<u8>()).collect()
}

/// A random JSON value of bounded depth, often an object with the API's field names.
fn random_json(rng: &mut StdRng, depth: u32) -> Value {
    const FIELDS: [&str; 9] = [
        "link",
        "tag",
        "tag_id",
        "link_id",
        "account_id",
        "email",
        "password",
        "offset",
        "limit",
    ];
    let leaf = |rng: &mut StdRng| -> Value {
        match rng.gen_range(0..9) {
            0 => Value::Null,
            1 => json!(rng.gen::<bool>()),
            2 => json!(rng.gen::<i64>()),
            3 => json!(rng.gen::<f64>() * 1e300),
            4 => json!("https://storm.example/".to_owned() + &rng.gen::<u32>().to_string()),
            5 => json!("🦀\u{0}\u{202E}ü"),
            6 => json!("x".repeat(rng.gen_range(0..3000))),
            7 => json!(format!("storm{}@example.com", rng.gen::<u16>())),
            _ => json!(format!("storm-{}", rng.gen::<u16>())),
        }
    };
    if depth == 0 {
        return leaf(rng);
    }
    match rng.gen_range(0..4) {
        0 => leaf(rng),
        1 => Value::Array(
            (0..rng.gen_range(0..4))
                .map(|_| random_json(rng, depth - 1))
                .collect(),
        ),
        _ => {
            let mut map = serde_json::Map::new();
            for _ in 0..rng.gen_range(0..5) {
                let key = FIELDS[rng.gen_range(0..FIELDS.len())];
                map.insert(key.to_owned(), random_json(rng, depth - 1));
            }
            Value::Object(map)
        }
    }
}

/// A body and its Content-Type for the storm.
fn storm_body(rng: &mut StdRng) -> (Option<&'static str>, Vec<u8>) {
    match rng.gen_range(0..14) {
        0 => (Some("application/json"), garbage(rng)),
        1 => {
            let depth = 10_000;
            let mut body = "[".repeat(depth);
            body.push_str(&"]".repeat(depth));
            (Some("application/json"), body.into_bytes())
        }
        2 => {
            let depth = 2_000;
            let mut body = r#"{"tag":"#.repeat(depth);
            body.push('1');
            body.push_str(&"}".repeat(depth));
            (Some("application/json"), body.into_bytes())
        }
        3 => (
            Some("application/json"),
            br#"{"link": 1e999999, "tag": 123456789012345678901234567890, "tag_id": -1e-999999, "offset": -99999999999999999999}"#.to_vec(),
        ),
        4 => (
            Some("application/json"),
            random_json(rng, 4).to_string().into_bytes(),
        ),
        5 => (Some("text/plain"), b"hello there".to_vec()),
        6 => (Some("application/xml"), b"<link>https://x/</link>".to_vec()),
        7 => (
            Some("multipart/form-data; boundary=zz"),
            b"--zz\r\nContent-Disposition: form-data; name=\"tag\"\r\n\r\nx\r\n--zz--".to_vec(),
        ),
        8 => (
            Some("application/x-www-form-urlencoded"),
            b"username=%ZZ&password=&scope=admin&scope=account&&&==&grant_type=%00".to_vec(),
        ),
        9 => (None, Vec::new()),
        10 => (Some("application/json; charset=latin-1"), b"{\"tag\": \"caf\xe9\"}".to_vec()),
        11 => (Some("application/json"), b"\xEF\xBB\xBF{\"tag\": \"bom\"}".to_vec()),
        12 => (Some("bogus"), garbage(rng)),
        _ => (
            Some("application/json"),
            json!({"tag": "storm", "link": "https://storm.example/", "email": "storm@example.com", "password": "password-123"})
                .to_string()
                .into_bytes(),
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bounded_request_storm_never_gets_a_5xx_or_a_non_json_error() {
    for_each_engine(|app| async move {
        let (admin, account_id, token, link_id, tag_id) = seeded(&app, "storm@example.com").await;
        let client = no_redirect_client();
        let mut rng = StdRng::seed_from_u64(0x7a6_3a2c);
        let paths = [
            "/link",
            "/link/{link}",
            "/tag",
            "/tag/{tag}",
            "/taglink",
            "/account",
            "/account/{account}",
            "/token",
            "/health",
            "/openapi.json",
            "/docs",
            "/nope",
        ];
        let queries = [
            "",
            "",
            "?limit=abc",
            "?offset=-5&limit=1001",
            "?tag_id=%00&link_id=x",
            "?tag=%FF%FE&account_id=%F0%9F%A6%80",
            "?limit=1&offset=99999999999999999999999",
        ];
        let methods = [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ];
        let tokens = [
            None,
            Some(bearer(&admin)),
            Some(bearer(&token)),
            Some("Bearer not.a.jwt".to_owned()),
            Some("Basic YWRtaW46YWRtaW4=".to_owned()),
        ];
        let long = "z".repeat(3000);
        let mut sent = 0;
        for template in paths {
            for slash in ["", "/"] {
                for method in &methods {
                    for _ in 0..3 {
                        let mut pick_id = |real: &str| -> String {
                            match rng.gen_range(0..5) {
                                0 | 1 => real.to_owned(),
                                2 => uuid::Uuid::new_v4().to_string(),
                                3 => "%00%F0%9F%A6%80".to_owned(),
                                _ => long.clone(),
                            }
                        };
                        let path = template
                            .replace("{link}", &pick_id(&link_id))
                            .replace("{tag}", &pick_id(&tag_id))
                            .replace("{account}", &pick_id(&account_id));
                        let query = queries[rng.gen_range(0..queries.len())];
                        let path = format!("{path}{slash}{query}");
                        let auth = tokens[rng.gen_range(0..tokens.len())].as_deref();
                        let (ct, body) = storm_body(&mut rng);
                        let shown = format!(
                            "{method} {} (Content-Type {ct:?}, {} body bytes, auth {:?})",
                            &path[..path.len().min(120)],
                            body.len(),
                            auth.map(|a| &a[..a.len().min(12)])
                        );
                        let answer =
                            raw_with(&client, &app, method.clone(), &path, auth, ct, body.into())
                                .await;
                        sent += 1;
                        assert!(
                            answer.status.as_u16() < 500,
                            "{shown}: {} {}",
                            answer.status,
                            answer.text
                        );
                        let is_docs = template == "/docs";
                        if answer.status.is_client_error() || !is_docs {
                            let body = answer.json(&shown);
                            if answer.status.is_client_error() {
                                assert!(
                                    body["detail"].is_string() || body["detail"].is_array(),
                                    "{shown}: {body}"
                                );
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(sent, paths.len() * 2 * methods.len() * 3);
        let (status, body) = app.send(Method::GET, "/health", None, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "ok");
        let (status, body) = app.get(&admin, "/account/").await;
        assert_eq!(status, StatusCode::OK, "{body}");
    })
    .await;
}
