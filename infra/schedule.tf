# The worker's sweep: a scheduled invoke with a constant payload that the worker treats as
# a sweep command instead of an SQS batch.
resource "aws_cloudwatch_event_rule" "sweep" {
  name                = local.names.sweep_rule
  description         = "Invokes the WhaleRay worker's sweep"
  schedule_expression = var.sweep_schedule_expression
}

resource "aws_cloudwatch_event_target" "sweep" {
  rule      = aws_cloudwatch_event_rule.sweep.name
  target_id = "worker-sweep"
  arn       = aws_lambda_function.worker.arn
  input     = jsonencode({ whaleray = "sweep" })
}

resource "aws_lambda_permission" "sweep" {
  statement_id  = "AllowSweepSchedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.worker.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.sweep.arn
}

# The end of every build of the project: CodeBuild's "Build State Change" events for a
# finished build go to the worker, which records SUCCEEDED / BUILD_FAILED / CANCELED on the
# deployment (worker/src/build_events.rs). EventBridge delivers them on a best-effort basis;
# the sweep above reconciles with BatchGetBuilds whatever is lost. IN_PROGRESS is not sent:
# the worker ignores it.
resource "aws_cloudwatch_event_rule" "build_state" {
  name        = local.names.build_state_rule
  description = "Sends the end of each WhaleRay build to the worker"
  event_pattern = jsonencode({
    source        = ["aws.codebuild"]
    "detail-type" = ["CodeBuild Build State Change"]
    detail = {
      "project-name" = [local.names.codebuild_project]
      "build-status" = ["SUCCEEDED", "FAILED", "FAULT", "TIMED_OUT", "STOPPED"]
    }
  })
}

resource "aws_cloudwatch_event_target" "build_state" {
  rule      = aws_cloudwatch_event_rule.build_state.name
  target_id = "worker-build-state"
  arn       = aws_lambda_function.worker.arn

  # EventBridge's own retries while the function cannot be invoked (throttling); a failed
  # invocation is the function's async retry policy (aws_lambda_function_event_invoke_config).
  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 10
  }
}

resource "aws_lambda_permission" "build_state" {
  statement_id  = "AllowBuildStateEvents"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.worker.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.build_state.arn
}
