# HTTP API in front of the API function: JWT-authorised routes, CORS answered by API
# Gateway itself (preflight OPTIONS requests never reach the authorizer or the function).

resource "aws_apigatewayv2_api" "http" {
  name          = local.names.http_api
  protocol_type = "HTTP"
  description   = "WhaleRay deployments API"

  cors_configuration {
    # Exactly the front end and the Vite dev server: credentialed requests cannot use "*".
    allow_origins     = local.cors_allow_origins
    allow_credentials = true
    allow_headers     = ["authorization", "content-type", "idempotency-key"]
    allow_methods     = ["GET", "POST", "PATCH", "DELETE", "OPTIONS"]
    # What front-end scripts may read: the new deployment's URL and the limit headers
    # (the same list as the API's own CORS layer, api/src/guards/mod.rs).
    expose_headers = [
      "location", "retry-after", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset",
      "idempotent-replayed",
    ]
    max_age = 600
  }
}

resource "aws_apigatewayv2_authorizer" "jwt" {
  api_id           = aws_apigatewayv2_api.http.id
  name             = "${var.name_prefix}-jwt"
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]

  jwt_configuration {
    issuer   = var.jwt_issuer
    audience = var.jwt_audience
  }
}

resource "aws_apigatewayv2_integration" "api" {
  api_id                 = aws_apigatewayv2_api.http.id
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = aws_lambda_function.api.invoke_arn
  payload_format_version = "2.0" # lambda_http is built with apigw_http only
  timeout_milliseconds   = 29000
}

locals {
  # Every route the API serves; each requires a valid JWT. No OPTIONS route: with
  # cors_configuration API Gateway answers preflight requests itself, unauthenticated.
  api_routes = toset([
    "POST /deployments",
    "GET /deployments",
    "GET /deployments/{id}",
    "POST /deployments/{id}/cancel",
    "POST /github/installations",
    "GET /github/installations",
    "DELETE /github/installations/{id}",
    "POST /projects",
    "GET /projects",
    "GET /projects/{id}",
    "PATCH /projects/{id}",
    "DELETE /projects/{id}",
  ])
}

resource "aws_apigatewayv2_route" "api" {
  for_each = local.api_routes

  api_id             = aws_apigatewayv2_api.http.id
  route_key          = each.value
  target             = "integrations/${aws_apigatewayv2_integration.api.id}"
  authorization_type = "JWT"
  authorizer_id      = aws_apigatewayv2_authorizer.jwt.id
}

# GitHub's webhook deliveries carry no JWT: the route is public, and the function refuses any
# delivery without a valid X-Hub-Signature-256 before reading it.
resource "aws_apigatewayv2_route" "github_webhook" {
  #checkov:skip=CKV_AWS_309:GitHub's webhook deliveries carry no credential API Gateway can check; the function authenticates each one by its HMAC-SHA256 signature before reading it.
  api_id             = aws_apigatewayv2_api.http.id
  route_key          = "POST /github/webhook"
  target             = "integrations/${aws_apigatewayv2_integration.api.id}"
  authorization_type = "NONE"
}

resource "aws_cloudwatch_log_group" "api_access" {
  #checkov:skip=CKV_AWS_158:Access logs hold request metadata only (no bodies, no tokens); CloudWatch Logs encrypts them at rest with its own key.
  #checkov:skip=CKV_AWS_338:Operational logs: retention is the log_retention_days variable (default 30 days) to bound cost.
  name              = local.log_groups.api_gw
  retention_in_days = var.log_retention_days
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.http.id
  name        = "$default" # no stage prefix in paths, as the axum router expects
  auto_deploy = true

  default_route_settings {
    throttling_burst_limit = var.api_throttling_burst_limit
    throttling_rate_limit  = var.api_throttling_rate_limit
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api_access.arn
    format = jsonencode({
      requestId      = "$context.requestId"
      routeKey       = "$context.routeKey"
      status         = "$context.status"
      ip             = "$context.identity.sourceIp"
      requestTime    = "$context.requestTime"
      latencyMs      = "$context.responseLatency"
      integrationErr = "$context.integrationErrorMessage"
      authorizerErr  = "$context.authorizer.error"
    })
  }
}

# API Gateway may invoke the function, for this API's routes only.
resource "aws_lambda_permission" "api_gateway" {
  statement_id  = "AllowHttpApiInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.api.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.http.execution_arn}/*/*/deployments*"
}

resource "aws_lambda_permission" "github_webhook" {
  statement_id  = "AllowHttpApiInvokeWebhook"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.api.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.http.execution_arn}/*/POST/github/webhook"
}
