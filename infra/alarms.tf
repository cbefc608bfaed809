# Dead letters need an operator: alarm as soon as one is visible.
resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  alarm_name          = "${local.names.dead_letter_queue}-not-empty"
  alarm_description   = "Inspection jobs reached the dead-letter queue: fix the cause, then replay (whaleray-worker replay-dlq)."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dead_letter.name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
}

# Jobs waiting too long mean the worker is down, throttled or failing.
resource "aws_cloudwatch_metric_alarm" "oldest_job_age" {
  alarm_name          = "${local.names.job_queue}-oldest-job-age"
  alarm_description   = "The oldest inspection job has waited longer than ${var.oldest_job_age_alarm_seconds} s."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = aws_sqs_queue.jobs.name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.oldest_job_age_alarm_seconds
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
}
