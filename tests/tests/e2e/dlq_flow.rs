//! At-least-once delivery made safe: poison messages, the last attempt, the dead-letter queue,
//! operator replay (including an interrupted one), a worker that dies holding a job, two
//! workers racing, and the stall sweep.

use std::sync::Arc;
use std::time::Duration;

use whaleray_tests::emulator::StackOptions;
use whaleray_tests::github::{Fault, Injection};
use whaleray_worker::ports::QueueConsumer;
use whaleray_worker::queue::{MemoryQueue, SqsConsumer};
use whaleray_worker::replay::{ReplayOptions, Replayer};
use whaleray_worker::sweep::{SweepOptions, sweep};

use crate::helpers::{TestApp, eventually, vite_repo};

fn replayer(app: &TestApp, main: Arc<dyn QueueConsumer>) -> Replayer {
    Replayer {
        dlq: Arc::new(SqsConsumer::new(app.emulator.sqs.clone(), &app.stack.dlq_url)),
        main,
        store: app.store.clone(),
        hold: Duration::from_secs(30),
    }
}

fn main_queue(app: &TestApp) -> Arc<dyn QueueConsumer> {
    Arc::new(SqsConsumer::new(app.emulator.sqs.clone(), &app.stack.queue_url))
}

/// Runs a poller until the dead-letter queue holds `count` messages (or 60 s pass).
async fn run_until_dead_lettered(app: &TestApp, count: u64) {
    let worker = app.start_worker();
    eventually(|| async { app.depth(&app.stack.dlq_url).await.0 >= count }).await;
    worker.stop().await;
    assert_eq!(app.depth(&app.stack.dlq_url).await.0, count, "dead-lettered");
}

fn two_attempts() -> StackOptions {
    StackOptions { visibility_timeout: 30, max_receive_count: 2 }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_poison_message_reaches_the_dead_letter_queue_untouched() {
    let app = TestApp::spawn_with(two_attempts(), false).await;
    let body = "{\"version\": 1, \"this is\": \"not a job\"}";
    app.emulator
        .sqs
        .send_message()
        .queue_url(&app.stack.queue_url)
        .message_body(body)
        .send()
        .await
        .unwrap();
    run_until_dead_lettered(&app, 1).await;
    let dead =
        app.emulator.sqs.receive_message().queue_url(&app.stack.dlq_url).send().await.unwrap();
    assert_eq!(dead.messages()[0].body(), Some(body));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_last_attempt_fails_the_deployment_and_a_replay_then_builds_it() {
    let app = TestApp::spawn_with(two_attempts(), false).await;
    app.github.add_repo(vite_repo("acme/site"));
    app.github.inject(Fault { endpoint: "tree", status: 502, times: 2, headers: vec![] });
    let id = app.deploy("acme/site", None).await;

    run_until_dead_lettered(&app, 1).await;
    let failed = app.deployment(&id).await;
    assert_eq!(failed["status"], "FAILED", "{failed}");
    assert!(failed["reason"].as_str().unwrap().contains("gave up after 2 attempts"), "{failed}");

    let dry = replayer(&app, main_queue(&app))
        .run(&ReplayOptions { dry_run: true, ..Default::default() }, &|_| {})
        .await;
    assert_eq!(dry.moved.len(), 1);
    assert_eq!(dry.moved[0].deployment_id, id);
    assert!(dry.moved[0].reason.as_deref().unwrap().contains("502"));
    assert_eq!(app.deployment(&id).await["status"], "FAILED", "a dry run changes nothing");
    assert_eq!(app.depth(&app.stack.dlq_url).await.0, 1, "and leaves the message");

    let report = replayer(&app, main_queue(&app)).run(&ReplayOptions::default(), &|_| {}).await;
    assert_eq!((report.moved.len(), report.errors.len()), (1, 0), "{report:?}");
    assert_eq!(app.depth(&app.stack.dlq_url).await, (0, 0));
    let replayed = app.deployment(&id).await;
    assert_eq!(replayed["status"], "INSPECTING");
    assert!(replayed["reason"].is_null(), "the old failure is cleared: {replayed}");

    let (built, _) = app.run_worker_until_settled(&id).await;
    assert_eq!(built["status"], "BUILDING", "{built}");
}

#[tokio::test(flavor = "multi_thread")]
async fn replay_moves_only_the_deployments_asked_for() {
    let app = TestApp::spawn_with(two_attempts(), false).await;
    app.github.add_repo(vite_repo("acme/one"));
    app.github.add_repo(vite_repo("acme/two"));
    app.github.inject(Fault { endpoint: "commit", status: 503, times: 4, headers: vec![] });
    let first = app.deploy("acme/one", None).await;
    let second = app.deploy("acme/two", None).await;
    run_until_dead_lettered(&app, 2).await;

    let options = ReplayOptions {
        deployments: vec![whaleray_shared::DeploymentId::parse(&second).unwrap()],
        ..Default::default()
    };
    let report = replayer(&app, main_queue(&app)).run(&options, &|_| {}).await;
    assert_eq!(
        report.moved.iter().map(|m| m.deployment_id.as_str()).collect::<Vec<_>>(),
        [second.as_str()]
    );
    assert_eq!(app.deployment(&first).await["status"], "FAILED");
    assert_eq!(app.deployment(&second).await["status"], "INSPECTING");
    assert_eq!(app.depth(&app.stack.dlq_url).await.0, 1, "the other stays");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_replay_loses_nothing_and_a_second_run_finishes_it() {
    let app = TestApp::spawn_with(two_attempts(), false).await;
    app.github.add_repo(vite_repo("acme/site"));
    app.github.inject(Fault { endpoint: "tree", status: 500, times: 2, headers: vec![] });
    let id = app.deploy("acme/site", None).await;
    run_until_dead_lettered(&app, 1).await;

    // The send to the main queue fails after the deployment went back to INSPECTING.
    let broken = MemoryQueue::default();
    broken.fail_next_sends(1);
    let broken = Arc::new(broken);
    let report = replayer(&app, broken).run(&ReplayOptions::default(), &|_| {}).await;
    assert_eq!((report.moved.len(), report.errors.len()), (0, 1), "{report:?}");
    assert_eq!(app.deployment(&id).await["status"], "INSPECTING");
    assert_eq!(app.depth(&app.stack.dlq_url).await.0, 1, "the dead-letter copy is kept");

    let report = replayer(&app, main_queue(&app)).run(&ReplayOptions::default(), &|_| {}).await;
    assert_eq!((report.moved.len(), report.errors.len()), (1, 0), "{report:?}");
    let (built, _) = app.run_worker_until_settled(&id).await;
    assert_eq!(built["status"], "BUILDING", "{built}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_held_by_a_worker_that_died_reappears_and_completes() {
    let app =
        TestApp::spawn_with(StackOptions { visibility_timeout: 2, max_receive_count: 5 }, false)
            .await;
    app.github.add_repo(vite_repo("acme/site"));
    let id = app.deploy("acme/site", None).await;
    // A worker receives the job and dies without deleting it or changing anything.
    app.receive_job().await;
    assert_eq!(app.depth(&app.stack.queue_url).await, (0, 1));

    let (body, stats) = app.run_worker_until_settled(&id).await;
    assert_eq!(body["status"], "BUILDING", "{body}");
    assert_eq!(stats.done, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn two_workers_racing_on_one_message_start_one_build() {
    let app = TestApp::spawn().await;
    app.github.add_repo(vite_repo("acme/site"));
    let id = app.deploy("acme/site", None).await;
    let body = app.receive_job().await.body().unwrap().to_owned();

    let (a, b) = tokio::join!(
        whaleray_worker::message::handle(&app.deps, "m", &body, 1),
        whaleray_worker::message::handle(&app.deps, "m", &body, 1),
    );
    let finished = [&a, &b]
        .iter()
        .filter(|d| matches!(d, whaleray_worker::message::Disposition::Done(_)))
        .count();
    assert!(finished >= 1, "{a:?} {b:?}");
    assert_eq!(app.builds().await.len(), 1, "{a:?} {b:?}");
    assert_eq!(app.deployment(&id).await["status"], "BUILDING");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sweep_requeues_a_deployment_whose_job_was_lost() {
    let app = TestApp::spawn().await;
    app.github.add_repo(vite_repo("acme/site"));
    let id = app.deploy("acme/site", None).await;
    // The job is lost: received and deleted without any work done.
    let message = app.receive_job().await;
    let receipt = message.receipt_handle().unwrap();
    app.emulator
        .sqs
        .delete_message()
        .queue_url(&app.stack.queue_url)
        .receipt_handle(receipt)
        .send()
        .await
        .unwrap();

    let options = SweepOptions { older_than: Duration::ZERO, ..SweepOptions::default() };
    let jobs =
        whaleray_shared::sqs::SqsJobQueue::new(app.emulator.sqs.clone(), &app.stack.queue_url);
    let report =
        sweep(app.store.as_ref(), &jobs, whaleray_worker::sweep::Builds::of(&app.deps), options)
            .await;
    assert_eq!(report.requeued, std::slice::from_ref(&id), "{report:?}");
    let (body, _) = app.run_worker_until_settled(&id).await;
    assert_eq!(body["status"], "BUILDING", "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_slower_than_the_lease_is_renewed_not_delivered_twice() {
    let app = TestApp::spawn().await;
    app.github.add_repo(vite_repo("acme/site"));
    app.github.inject(Injection::on("tree").delay(Duration::from_secs(5)));
    let id = app.deploy("acme/site", None).await;
    let mut poller = app.poller();
    poller.lease = Duration::from_secs(2);
    let worker = app.start_poller(poller);
    eventually(|| async { app.deployment(&id).await["status"] != "INSPECTING" }).await;
    let stats = worker.stop().await;
    assert_eq!(app.deployment(&id).await["status"], "BUILDING");
    assert_eq!(app.github.requests("tree"), 1, "the job ran once: its lease was renewed");
    assert_eq!(stats.done, 1, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_workers_job_comes_back_after_the_lease_not_the_queues_timeout() {
    // The queue's timeout is the Lambda's (365 s); the poller's lease is 2 s.
    let options = StackOptions { visibility_timeout: 365, max_receive_count: 5 };
    let app = TestApp::spawn_with(options, false).await;
    app.github.add_repo(vite_repo("acme/site"));
    app.github.inject(Injection::on("tree").delay(Duration::from_secs(30)));
    let id = app.deploy("acme/site", None).await;
    let mut poller = app.poller();
    poller.lease = Duration::from_secs(2);
    let doomed = app.start_poller(poller.clone());
    eventually(|| async { app.github.requests("tree") == 1 }).await;
    doomed.kill().await;
    let killed = std::time::Instant::now();

    let survivor = app.start_poller(poller);
    eventually(|| async { app.deployment(&id).await["status"] != "INSPECTING" }).await;
    let recovered = killed.elapsed();
    survivor.stop().await;
    assert_eq!(app.deployment(&id).await["status"], "BUILDING");
    assert!(recovered < Duration::from_secs(30), "recovered after {recovered:?}");
    assert_eq!(app.builds().await.len(), 1);
}
