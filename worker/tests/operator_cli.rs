//! The operator commands as an operator meets them: a failure is one line on standard error,
//! naming what failed and every cause below it, and the exit status is non-zero.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::process::{Command, Output};

/// An endpoint on 127.0.0.1 where nothing listens (a port just bound and released).
fn dead_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// Runs the worker binary with only `env` set.
fn worker(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_whaleray-worker"))
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .expect("the worker binary runs")
}

fn stderr_lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr).lines().map(str::to_owned).collect()
}

/// Runs an operator command against AWS endpoints where nothing listens.
fn against_dead_aws(args: &[&str]) -> Output {
    let endpoint = dead_endpoint();
    let queue = format!("{endpoint}/000000000000/jobs");
    let dlq = format!("{endpoint}/000000000000/jobs-dlq");
    worker(
        args,
        &[
            ("DEPLOYMENTS_TABLE", "deployments"),
            ("JOB_QUEUE_URL", &queue),
            ("DEAD_LETTER_QUEUE_URL", &dlq),
            ("AWS_ENDPOINT_URL", &endpoint),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
        ],
    )
}

#[test]
fn an_unreachable_queue_fails_queues_with_one_line_carrying_the_cause_chain() {
    let out = against_dead_aws(&["queues"]);
    assert!(!out.status.success(), "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    let lines = stderr_lines(&out);
    let [line] = lines.as_slice() else { panic!("one line expected: {lines:#?}") };
    // The operation that failed, then the SDK's own causes, on the same line.
    let chain = line.strip_prefix("whaleray-worker: sqs:GetQueueAttributes failed: ");
    assert!(chain.is_some_and(|causes| !causes.is_empty()), "{line}");
}

#[test]
fn an_unreachable_table_fails_sweep_and_its_report_keeps_the_cause_chain() {
    let out = against_dead_aws(&["sweep"]);
    assert!(!out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: Vec<&str> = stdout.lines().collect();
    let [error, summary] = report.as_slice() else { panic!("{stdout}") };
    assert!(
        error.starts_with("error listing stalled deployments failed: dynamodb:Scan failed: "),
        "{error}"
    );
    assert_eq!(*summary, "requeued 0, failed 0, skipped 0, errors 1");
    // The sweep logs the error as it happens; the command's own verdict is the last line.
    let lines = stderr_lines(&out);
    let last = lines.last().map(String::as_str).unwrap_or_default();
    let chain = error.trim_start_matches("error ");
    assert_eq!(last, format!("whaleray-worker: the sweep met 1 error: {chain}"), "{lines:#?}");
}

#[test]
fn missing_settings_fail_sweep_with_one_line_naming_each_of_them() {
    let out = worker(&["sweep"], &[]);
    assert!(!out.status.success(), "{out:?}");
    let lines = stderr_lines(&out);
    let [line] = lines.as_slice() else { panic!("one line expected: {lines:#?}") };
    assert!(line.starts_with("whaleray-worker: invalid configuration: "), "{line}");
    for name in ["DEPLOYMENTS_TABLE", "JOB_QUEUE_URL", "DEAD_LETTER_QUEUE_URL"] {
        assert!(line.contains(name), "{line}");
    }
}

#[test]
fn a_malformed_deployment_id_is_refused_before_anything_runs() {
    let out = worker(&["replay-dlq", "--deployment", "not-an-id"], &[]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("invalid deployment id \"not-an-id\""), "{stderr}");
}

#[test]
fn without_a_command_outside_lambda_the_binary_says_what_to_run() {
    let out = worker(&[], &[]);
    assert!(!out.status.success(), "{out:?}");
    let lines = stderr_lines(&out);
    let [line] = lines.as_slice() else { panic!("one line expected: {lines:#?}") };
    assert!(line.starts_with("whaleray-worker: no command given: use `whaleray-worker poll`"));
}
