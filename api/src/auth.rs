//! Who is calling: the `sub` claim of API Gateway's JWT authorizer in Lambda, or of an HS256
//! bearer token signed with the dev secret on the local server.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use lambda_http::request::RequestContext;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use whaleray_shared::UserId;

use crate::error::ApiError;

/// How the caller's identity is established.
pub enum Authenticator {
    /// API Gateway already verified the JWT; read the `sub` claim it passes on.
    ApiGateway,
    /// Verify an HS256 bearer token locally.
    DevJwt(Box<DevJwt>),
}

/// The key and rules for local HS256 bearer tokens.
pub struct DevJwt {
    key: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ApiGateway => f.write_str("ApiGateway"),
            Self::DevJwt(_) => f.write_str("DevJwt(..)"),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Claims {
    sub: String,
    exp: u64,
}

impl Authenticator {
    /// A local authenticator for tokens signed with `secret`.
    pub fn dev(secret: &SecretString) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self::DevJwt(Box::new(DevJwt {
            key: DecodingKey::from_secret(secret.expose_secret().as_bytes()),
            validation,
        }))
    }

    /// The caller of a request, or `Unauthenticated` with the reason.
    pub fn identify(&self, parts: &Parts) -> Result<UserId, ApiError> {
        let sub = match self {
            Self::ApiGateway => authorizer_subject(parts)?,
            Self::DevJwt(dev) => {
                let token = bearer_token(parts)?;
                jsonwebtoken::decode::<Claims>(token, &dev.key, &dev.validation)
                    .map_err(|_| {
                        ApiError::Unauthenticated("the bearer token is invalid or expired")
                    })?
                    .claims
                    .sub
            }
        };
        UserId::parse(&sub)
            .map_err(|_| ApiError::Unauthenticated("the token's subject is not a valid user id"))
    }
}

fn authorizer_subject(parts: &Parts) -> Result<String, ApiError> {
    let missing = ApiError::Unauthenticated("no verified identity came with the request");
    let Some(RequestContext::ApiGatewayV2(context)) = parts.extensions.get::<RequestContext>()
    else {
        return Err(missing);
    };
    context
        .authorizer
        .as_ref()
        .and_then(|a| a.jwt.as_ref())
        .and_then(|jwt| jwt.claims.get("sub"))
        .cloned()
        .ok_or(missing)
}

fn bearer_token(parts: &Parts) -> Result<&str, ApiError> {
    let value = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or(ApiError::Unauthenticated("send an Authorization: Bearer <token> header"))?;
    value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(ApiError::Unauthenticated("the Authorization header must be 'Bearer <token>'"))
}

/// Signs a local bearer token for `sub`, valid for `ttl_seconds` (for the dev stack and tests).
pub fn mint_dev_token(
    secret: &SecretString,
    sub: &str,
    ttl_seconds: u64,
) -> Result<String, jsonwebtoken::errors::Error> {
    let exp = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0) + ttl_seconds;
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &Claims { sub: sub.to_owned(), exp },
        &EncodingKey::from_secret(secret.expose_secret().as_bytes()),
    )
}

/// The authenticated caller, extracted before a handler runs.
#[derive(Debug, Clone)]
pub struct Caller(pub UserId);

/// Application state that knows how to identify callers (so this module needs no state type).
pub trait Identifies {
    /// The authenticator requests are checked with.
    fn authenticator(&self) -> &Authenticator;
}

impl<S: Identifies + Send + Sync> FromRequestParts<Arc<S>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<S>,
    ) -> Result<Self, Self::Rejection> {
        state.authenticator().identify(parts).map(Caller)
    }
}
