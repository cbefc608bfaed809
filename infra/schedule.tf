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
