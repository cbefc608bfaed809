//! The OpenAPI 3.1 document, generated from the routes' own annotations (utoipa), served at
//! `GET /openapi.json` and committed as `api/openapi.json` (a test keeps the two identical).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{HeaderBuilder, RefOr};
use utoipa::{IntoResponses, Modify, OpenApi, PartialSchema, ToSchema};

use crate::guards::UNGUARDED_POSTS;

/// Every error `code` the API answers with, in the order the README lists them.
pub const ERROR_CODES: &[&str] = &[
    "invalid_json",
    "invalid_request",
    "invalid_repository",
    "invalid_branch",
    "invalid_root_directory",
    "invalid_deployment_id",
    "invalid_project_id",
    "invalid_query",
    "invalid_cursor",
    "invalid_code",
    "oauth_refused",
    "invalid_installation_id",
    "invalid_idempotency_key",
    "missing_header",
    "invalid_payload",
    "unauthenticated",
    "invalid_signature",
    "repository_not_installed",
    "installation_deleted",
    "installation_suspended",
    "repository_not_selected",
    "deployment_not_found",
    "project_not_found",
    "installation_not_found",
    "route_not_found",
    "method_not_allowed",
    "project_exists",
    "deployment_final",
    "build_already_ended",
    "request_in_progress",
    "payload_too_large",
    "unsupported_media_type",
    "idempotency_key_reused",
    "rate_limited",
    "internal_error",
    "linking_unavailable",
    "service_unavailable",
];

/// The body of every error answer.
#[derive(Debug, serde::Serialize, ToSchema)]
#[schema(as = Error)]
#[serde(rename_all = "camelCase")]
pub struct ErrorSchema {
    /// Stable, machine-readable: one of the listed codes.
    #[schema(schema_with = error_code)]
    pub code: String,
    /// What went wrong, for a person.
    pub message: String,
    /// With `project_exists` only: the id of the caller's existing project.
    pub project_id: Option<String>,
    /// The deployment's current status, on a 409 about a deployment (`deployment_final`,
    /// `build_already_ended`).
    #[schema(schema_with = deployment_status)]
    pub status: Option<String>,
}

fn deployment_status() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(whaleray_shared::DeploymentStatus::ALL.iter().map(|s| s.as_str())))
        .description(Some("The deployment's current status."))
        .build()
}

fn error_code() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(ERROR_CODES.iter().copied()))
        .description(Some("Stable, machine-readable error code."))
        .build()
}

/// The `Idempotency-Key` request header every `POST` accepts.
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyHeader {
    /// A key the client chose for this request (1 to 255 visible ASCII characters, e.g. a
    /// UUID). A retry with the same key and body within 24 hours gets the first answer back
    /// and changes nothing.
    #[param(rename = "Idempotency-Key", min_length = 1, max_length = 255, pattern = "^[!-~]+$")]
    #[allow(dead_code)]
    idempotency_key: Option<String>,
}

/// The error answers every authenticated route can give: 401, 500 and 503.
///
/// A route lists this first in `responses(..)`; a tuple it lists later for the same status
/// (a 503 that says more) replaces the shared one.
#[derive(Debug, IntoResponses)]
pub enum CommonErrors {
    /// No valid identity.
    #[response(status = 401, description = "`unauthenticated`")]
    Unauthenticated(ErrorSchema),
    /// A bug; the cause is logged.
    #[response(status = 500, description = "`internal_error`")]
    Internal(ErrorSchema),
    /// A dependency is down.
    #[response(status = 503, description = "`service_unavailable`",
        headers(("Retry-After" = u64, description = "Seconds to wait")))]
    Unavailable(ErrorSchema),
}

/// The error answers the request guards and the JSON body give every guarded `POST` (see
/// `crate::guards`): 409, 413, 415, 422 and 429. A route's own tuple for the same status
/// replaces the shared one.
#[derive(Debug, IntoResponses)]
pub enum GuardErrors {
    /// The first request with this key is still running.
    #[response(status = 409, description = "`request_in_progress`: a request with this Idempotency-Key is still running",
        headers(("Retry-After" = u64, description = "Seconds to wait")))]
    InProgress(ErrorSchema),
    /// The body is over the limit.
    #[response(status = 413, description = "`payload_too_large`")]
    PayloadTooLarge(ErrorSchema),
    /// The body is not JSON.
    #[response(status = 415, description = "`unsupported_media_type`")]
    UnsupportedMediaType(ErrorSchema),
    /// The key came back with another body.
    #[response(
        status = 422,
        description = "`idempotency_key_reused`: the key was used with a different body"
    )]
    KeyReused(ErrorSchema),
    /// The user's bucket is empty.
    #[response(status = 429, description = "`rate_limited`: the user's bucket is empty",
        headers(
            ("Retry-After" = u64, description = "Seconds until the next request is allowed"),
            ("RateLimit-Limit" = u32, description = "Requests allowed at once"),
            ("RateLimit-Remaining" = u32, description = "Always 0"),
            ("RateLimit-Reset" = u64, description = "Seconds until the next request is allowed"),
        ))]
    RateLimited(ErrorSchema),
}

/// Documents the headers the guards put on every success of a guarded `POST` (the
/// `RateLimit-*` headers, and `Idempotent-Replayed` on a replay), so no route repeats them.
fn document_guard_headers(document: &mut utoipa::openapi::OpenApi) {
    let headers = [
        ("RateLimit-Limit", u32::schema(), "Requests allowed at once"),
        ("RateLimit-Remaining", u32::schema(), "Requests still allowed now"),
        ("RateLimit-Reset", u64::schema(), "Seconds until the bucket is full again"),
        (
            "Idempotent-Replayed",
            String::schema(),
            "`true` when this is the stored answer to an earlier request with the same Idempotency-Key",
        ),
    ];
    for (path, item) in &mut document.paths.paths {
        if UNGUARDED_POSTS.contains(&path.as_str()) {
            continue;
        }
        let Some(operation) = item.post.as_mut() else { continue };
        for (status, response) in &mut operation.responses.responses {
            let RefOr::T(response) = response else { continue };
            if !status.starts_with('2') {
                continue;
            }
            for (name, schema, description) in &headers {
                let header =
                    HeaderBuilder::new().schema(schema.clone()).description(Some(*description));
                response.headers.insert((*name).to_owned(), header.build());
            }
        }
    }
}

/// The base document the routes add their paths to.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "WhaleRay deployments API",
        description = "Deploy a GitHub repository: create a deployment, then poll it until it settles. \
            Every error is `{code, message}` with a stable `code`. Every authenticated `POST` accepts an \
            `Idempotency-Key` and is rate-limited per user (`RateLimit-*` headers, 429 with `Retry-After`); \
            GitHub's signed webhook is deduplicated by its delivery id instead.",
        version = "1"
    ),
    components(schemas(ErrorSchema)),
    modifiers(&BearerAuth),
    tags(
        (name = "deployments", description = "Deployments of a repository"),
        (name = "installations", description = "The caller's links to GitHub App installations"),
        (name = "projects", description = "Connected repositories: a push to the production branch deploys"),
        (name = "github", description = "GitHub App webhook deliveries (public, signed)")
    )
)]
pub struct ApiDoc;

/// Adds the bearer scheme every route requires.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "In AWS: a JWT from the configured issuer, verified by API Gateway. \
                         Locally: an HS256 token signed with WHALERAY_DEV_JWT_SECRET (scripts/dev prints one).",
                    ))
                    .build(),
            ),
        );
    }
}

/// The document as JSON text, exactly as committed in `api/openapi.json`.
pub fn document_json() -> String {
    let mut document = crate::app::api_routes().into_openapi();
    document_guard_headers(&mut document);
    let mut text = document.to_pretty_json().unwrap_or_else(|e| {
        tracing::error!(error = %e, "the OpenAPI document did not serialise");
        "{}".to_owned()
    });
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::Value;

    use super::*;
    use crate::error::ApiError;

    const REGENERATE: &str = "cargo run -q -p whaleray-api -- openapi > api/openapi.json";

    fn document() -> Value {
        serde_json::from_str(&document_json()).unwrap()
    }

    fn operations(document: &Value) -> Vec<(String, String, Value)> {
        let mut all = Vec::new();
        for (path, item) in document["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                all.push((method.to_ascii_uppercase(), path.clone(), operation.clone()));
            }
        }
        all
    }

    #[test]
    fn the_committed_document_is_what_the_code_generates() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == document_json(),
            "api/openapi.json differs from the routes' annotations; regenerate it: {REGENERATE}"
        );
    }

    #[test]
    fn the_document_is_openapi_3_1_with_a_bearer_scheme() {
        let document = document();
        assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
        assert_eq!(document["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    }

    #[test]
    fn api_gateway_routes_exactly_the_documented_operations() {
        let terraform = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/api-gateway.tf"),
        )
        .unwrap();
        let block =
            terraform.split("api_routes = toset([").nth(1).unwrap().split("])").next().unwrap();
        let mut gateway: Vec<String> = block
            .lines()
            .filter_map(|l| l.trim().strip_prefix('"')?.strip_suffix("\",").map(str::to_owned))
            .collect();
        gateway.sort();
        // The public routes are their own resources, each with `authorization_type = "NONE"`.
        let mut public_gateway: Vec<String> = terraform
            .split("resource \"aws_apigatewayv2_route\"")
            .skip(1)
            .filter(|resource| resource.contains("authorization_type = \"NONE\""))
            .filter_map(|resource| {
                let key = resource.split("route_key").nth(1)?.split('"').nth(1)?;
                Some(key.to_owned())
            })
            .collect();
        public_gateway.sort();
        let (mut secured, mut public) = (Vec::new(), Vec::new());
        for (method, path, operation) in operations(&document()) {
            let route = format!("{method} {path}");
            if operation.get("security").is_some() {
                secured.push(route)
            } else {
                public.push(route)
            }
        }
        secured.sort();
        public.sort();
        assert_eq!(gateway, secured, "JWT-authorised routes in infra/api-gateway.tf");
        assert_eq!(public_gateway, public, "public routes in infra/api-gateway.tf");
        assert_eq!(public, ["POST /github/webhook"]);
    }

    #[test]
    fn every_guarded_post_documents_idempotency_and_rate_limits() {
        for (method, path, operation) in operations(&document()) {
            let responses = operation["responses"].as_object().unwrap();
            for status in ["401", "500", "503"] {
                assert!(responses.contains_key(status), "{method} {path} lacks {status}");
            }
            // Anything a caller sends (a path or query parameter, a body) can be malformed.
            let takes_input =
                operation.get("parameters").is_some() || operation.get("requestBody").is_some();
            if takes_input {
                assert!(responses.contains_key("400"), "{method} {path} lacks 400");
            }
            if method != "POST" {
                continue;
            }
            // A public POST is authenticated otherwise (a signature) and left alone by the
            // guards; it must be listed as such, and only it may skip Idempotency-Key.
            let public = operation.get("security").is_none();
            let unguarded = crate::guards::UNGUARDED_POSTS.contains(&path.as_str());
            assert_eq!(public, unguarded, "{method} {path}: public iff in UNGUARDED_POSTS");
            if unguarded {
                continue;
            }
            let header = operation["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|p| p["in"] == "header" && p["name"] == "Idempotency-Key");
            assert!(header, "{method} {path} does not document Idempotency-Key");
            for status in ["409", "422", "429"] {
                assert!(responses.contains_key(status), "{method} {path} lacks {status}");
            }
            assert!(responses["429"]["headers"].get("Retry-After").is_some());
        }
    }

    #[test]
    fn every_code_the_api_answers_with_is_documented() {
        let documented = document()["components"]["schemas"]["Error"]["properties"]["code"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect::<Vec<_>>();
        let decision = whaleray_shared::rate_limit::RateLimit::ONE_PER_SECOND.take(None, 0);
        let variants = [
            ApiError::UnsupportedMediaType,
            ApiError::PayloadTooLarge,
            ApiError::Unauthenticated("x"),
            ApiError::InvalidSignature(crate::github::signature::SignatureError::Missing),
            ApiError::MissingHeader("x"),
            ApiError::NotInstalled("x".into()),
            ApiError::DeploymentNotFound("x".into()),
            ApiError::ProjectNotFound("x".into()),
            ApiError::ProjectExists("x".into()),
            ApiError::InstallationNotLinked("x".into()),
            ApiError::LinkingUnavailable("x".into()),
            ApiError::RouteNotFound("x".into()),
            ApiError::MethodNotAllowed,
            ApiError::IdempotencyKeyReused,
            ApiError::RequestInProgress,
            ApiError::RateLimited(decision),
            ApiError::Unavailable("x".into()),
            ApiError::Internal("x".into()),
        ];
        let mut codes: Vec<String> =
            variants.iter().map(|v| v.code_and_status().0.to_owned()).collect();
        let repository = whaleray_shared::RepoFullName::parse("acme/web").unwrap();
        for reason in [
            whaleray_shared::InstallationRefusal::Deleted,
            whaleray_shared::InstallationRefusal::Suspended,
            whaleray_shared::InstallationRefusal::RepositoryNotSelected,
        ] {
            let refused =
                crate::service::ServiceError::Refused { repository: repository.clone(), reason };
            codes.push(ApiError::from(refused).code_and_status().0.to_owned());
        }
        let id = whaleray_shared::DeploymentId::generate();
        let status = whaleray_shared::DeploymentStatus::Building;
        for refused in [
            crate::cancel::CancelError::Final { id, status },
            crate::cancel::CancelError::BuildEnded { id, status },
        ] {
            codes.push(ApiError::from(refused).code_and_status().0.to_owned());
        }
        // Codes of 400 answers are chosen where they are raised: collect them from the source.
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = vec![src];
        while let Some(path) = files.pop() {
            if path.is_dir() {
                files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for part in text.split("bad_request(").skip(1) {
                let code = part.trim_start().strip_prefix('"').and_then(|p| p.split('"').next());
                let is_code = |c: &&str| {
                    !c.is_empty() && c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                };
                codes.extend(code.filter(is_code).map(str::to_owned));
            }
        }
        for code in &codes {
            assert!(documented.contains(code), "{code} is not in the document's Error.code enum");
        }
        assert!(codes.len() > 15, "found only {codes:?}");
    }
}
