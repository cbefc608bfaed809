# Inspection jobs: the API sends one per deployment; the worker consumes them (Lambda via
# the event source mapping in lambda.tf, or `whaleray-worker poll`).
resource "aws_sqs_queue" "jobs" {
  name                       = local.names.job_queue
  visibility_timeout_seconds = local.job_visibility_timeout_seconds
  message_retention_seconds  = var.job_retention_seconds
  receive_wait_time_seconds  = 20 # long polling for the poller
  sqs_managed_sse_enabled    = true

  redrive_policy = jsonencode({
    deadLetterTargetArn = local.arns.dead_letter_queue
    maxReceiveCount     = local.max_receive_count
  })

  # The redrive policy names the DLQ by its ARN built from names; make sure it exists first.
  depends_on = [aws_sqs_queue.dead_letter]
}

# Jobs that failed max_receive_count times wait here until an operator replays them
# (`whaleray-worker replay-dlq`) or the scheduled sweep handles them.
resource "aws_sqs_queue" "dead_letter" {
  name                      = local.names.dead_letter_queue
  message_retention_seconds = local.dead_letter_retention_seconds
  receive_wait_time_seconds = 20
  sqs_managed_sse_enabled   = true
}

# Only the job queue may use this DLQ. moto does not know the RedriveAllowPolicy attribute
# and the provider then waits forever, so the emulator run leaves it out.
resource "aws_sqs_queue_redrive_allow_policy" "dead_letter" {
  count     = var.emulator ? 0 : 1
  queue_url = aws_sqs_queue.dead_letter.id

  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [local.arns.job_queue]
  })
}
