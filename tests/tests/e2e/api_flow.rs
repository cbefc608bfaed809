//! The API against the emulator: answers, errors, CORS, and the local HTTP server.

use axum::body::Body;
use http::{Method, Request, StatusCode};
use serde_json::json;
use whaleray_tests::emulator::StackOptions;

use crate::helpers::{FRONTEND, TestApp, USER, vite_repo};

#[tokio::test(flavor = "multi_thread")]
async fn post_records_inspecting_and_queues_one_versioned_job() {
    let app = TestApp::spawn().await;
    let id = app.deploy("acme/site", Some("main")).await;

    let body = app.deployment(&id).await;
    assert_eq!(body["status"], "INSPECTING");
    assert_eq!(body["repository"], "acme/site");
    assert_eq!(body["branch"], "main");

    let message = app.receive_job().await;
    let job: serde_json::Value = serde_json::from_str(message.body().unwrap()).unwrap();
    assert_eq!(job["version"], 1);
    assert_eq!(job["deploymentId"], id.as_str());
    assert_eq!(job["installationId"], 4242);
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_without_a_valid_identity_are_401() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .call(Method::POST, "/deployments", None, Some(json!({"repository": "acme/site"})))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "unauthenticated");

    let request = Request::get("/deployments")
        .header("authorization", "Bearer not-a-jwt")
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = app.send(request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "unauthenticated");
    assert_eq!(headers["www-authenticate"], "Bearer");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repository_outside_the_callers_installations_is_403_and_records_nothing() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .call(
            Method::POST,
            "/deployments",
            Some(USER),
            Some(json!({"repository": "someone-else/site"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "repository_not_installed");
    let (status, body) = app
        .call(
            Method::POST,
            "/deployments",
            Some("user-bob"),
            Some(json!({"repository": "acme/site"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, list) = app.call(Method::GET, "/deployments", Some(USER), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["deployments"].as_array().unwrap().len(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_owner_check_ignores_case_like_github() {
    let app = TestApp::spawn().await;
    app.deploy("ACME/Site", None).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn another_users_deployment_is_404_and_a_malformed_id_is_400() {
    let app = TestApp::spawn().await;
    let id = app.deploy("acme/site", None).await;
    let (status, body) =
        app.call(Method::GET, &format!("/deployments/{id}"), Some("user-bob"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "deployment_not_found");
    let (status, body) = app.call(Method::GET, "/deployments/not-an-id", Some(USER), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "invalid_deployment_id");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_bodies_get_typed_errors_and_record_nothing() {
    let app = TestApp::spawn().await;
    let token = format!("Bearer {}", app.token(USER));
    let cases = [
        (Some("application/json"), "{not json", StatusCode::BAD_REQUEST, "invalid_json"),
        (
            Some("application/json"),
            r#"{"repo":"acme/site"}"#,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            Some("application/json"),
            r#"{"repository":"acme/site/x"}"#,
            StatusCode::BAD_REQUEST,
            "invalid_repository",
        ),
        (
            Some("application/json"),
            r#"{"repository":"acme/site","branch":"a..b"}"#,
            StatusCode::BAD_REQUEST,
            "invalid_branch",
        ),
        (
            Some("text/plain"),
            r#"{"repository":"acme/site"}"#,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            None,
            r#"{"repository":"acme/site"}"#,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
    ];
    for (content_type, body, expected_status, expected_code) in cases {
        let mut builder = Request::post("/deployments").header("authorization", &token);
        if let Some(content_type) = content_type {
            builder = builder.header("content-type", content_type);
        }
        let (status, _, answer) = app.send(builder.body(Body::from(body)).unwrap()).await;
        assert_eq!(status, expected_status, "{body}: {answer}");
        assert_eq!(answer["code"], expected_code, "{body}");
        assert!(answer["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let (_, list) = app.call(Method::GET, "/deployments", Some(USER), None).await;
    assert_eq!(list["deployments"].as_array().unwrap().len(), 0);
    let (status, body) = app.call(Method::GET, "/nowhere", Some(USER), None).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("route_not_found")));
    let (status, body) = app.call(Method::DELETE, "/deployments", Some(USER), None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_queue_outage_marks_the_deployment_failed_and_answers_503() {
    let app = TestApp::spawn_with(StackOptions::default(), true).await;
    let (status, body) = app
        .call(Method::POST, "/deployments", Some(USER), Some(json!({"repository": "acme/site"})))
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["code"], "service_unavailable");
    let (_, list) = app.call(Method::GET, "/deployments", Some(USER), None).await;
    let deployments = list["deployments"].as_array().unwrap();
    assert_eq!(deployments.len(), 1);
    assert_eq!(deployments[0]["status"], "FAILED");
    assert!(deployments[0]["reason"].as_str().unwrap().contains("could not be queued"));
}

#[tokio::test(flavor = "multi_thread")]
async fn cors_preflight_allows_the_front_end_and_vite_and_refuses_other_origins() {
    let app = TestApp::spawn().await;
    for origin in ["http://localhost:5173", FRONTEND] {
        let request = Request::builder()
            .method(Method::OPTIONS)
            .uri("/deployments")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization,content-type")
            .body(Body::empty())
            .unwrap();
        let (status, headers, _) = app.send(request).await;
        assert!(status.is_success(), "{origin}: {status}");
        assert_eq!(headers["access-control-allow-origin"], origin);
        assert_eq!(headers["access-control-allow-credentials"], "true");
        let allowed =
            headers["access-control-allow-headers"].to_str().unwrap().to_ascii_lowercase();
        assert!(allowed.contains("authorization") && allowed.contains("content-type"), "{allowed}");
    }
    let request = Request::builder()
        .method(Method::OPTIONS)
        .uri("/deployments")
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .body(Body::empty())
        .unwrap();
    let (_, headers, _) = app.send(request).await;
    assert!(headers.get("access-control-allow-origin").is_none(), "{headers:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_local_http_server_serves_the_same_router_over_tcp() {
    let app = TestApp::spawn().await;
    app.github.add_repo(vite_repo("acme/site"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(axum::serve(listener, app.router.clone()).into_future());
    let client = reqwest::Client::new();
    let response = client
        .post(format!("{base}/deployments"))
        .bearer_auth(app.token(USER))
        .header("origin", "http://localhost:5173")
        .json(&json!({"repository": "acme/site"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 202);
    assert_eq!(response.headers()["access-control-allow-origin"], "http://localhost:5173");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let created: serde_json::Value = response.json().await.unwrap();
    assert_eq!(location, format!("/deployments/{}", created["deploymentId"].as_str().unwrap()));
    let fetched: serde_json::Value = client
        .get(format!("{base}{location}"))
        .bearer_auth(app.token(USER))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(fetched["status"], "INSPECTING");
    server.abort();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_list_pages_newest_first_with_a_cursor() {
    let app = TestApp::spawn().await;
    let mut created = Vec::new();
    for _ in 0..5 {
        created.push(app.deploy("acme/site", None).await);
    }

    let mut seen = Vec::new();
    let mut times = Vec::new();
    let mut path = "/deployments?limit=2".to_owned();
    let mut pages = 0;
    loop {
        let (status, page) = app.call(Method::GET, &path, Some(USER), None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        pages += 1;
        for d in page["deployments"].as_array().unwrap() {
            seen.push(d["deploymentId"].as_str().unwrap().to_owned());
            times.push(d["createdAt"].as_str().unwrap().to_owned());
        }
        match page["nextCursor"].as_str() {
            Some(cursor) => path = format!("/deployments?limit=2&cursor={cursor}"),
            None => break,
        }
        assert!(pages < 10, "the cursor never ends");
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    created.sort();
    assert_eq!(unique, created, "every deployment exactly once: {seen:?}");
    assert_eq!(seen.len(), created.len(), "no deployment twice: {seen:?}");
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first: {times:?}");
    assert_eq!(pages, 3);

    let (status, body) =
        app.call(Method::GET, "/deployments?cursor=not-ours", Some(USER), None).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_cursor")));
    let (status, body) = app.call(Method::GET, "/deployments?limit=0", Some(USER), None).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_query")));
}
