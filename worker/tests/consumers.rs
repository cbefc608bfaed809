//! The delivery rules of both consumers and of the dead-letter replay, on the in-memory queue
//! and store, with a processing step that succeeds, retries or never finishes: the Lambda
//! batch's per-message deadline, the poller's delete, retry, heartbeat and stop grace, and the
//! replay's order (send before delete, bodies unchanged, unreadable messages reported).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use aws_lambda_events::event::sqs::SqsEvent;
use tokio::time::Instant;
use whaleray_shared::job::InspectionJob;
use whaleray_shared::ports::DeploymentStore;
use whaleray_shared::{
    Deployment, DeploymentStatus, InstallationId, RepoFullName, StatusChange, UserId,
};
use whaleray_worker::batch::{BatchOptions, handle_batch_with, overrun_reason};
use whaleray_worker::handler::Handler;
use whaleray_worker::message::Disposition;
use whaleray_worker::poll::{PollStats, Poller};
use whaleray_worker::ports::{QueueConsumer, Receive};
use whaleray_worker::process::Outcome;
use whaleray_worker::queue::MemoryQueue;
use whaleray_worker::replay::{ReplayError, ReplayOptions, Replayer};
use whaleray_worker::visibility::Retries;

/// What the step double does with a body.
#[derive(Debug, Clone, Copy)]
enum Act {
    Done,
    Retry(Duration),
    Hang,
    Take(Duration),
}

/// A processing step whose behaviour is chosen per body; it records every call.
struct Step {
    act: Box<dyn Fn(&str) -> Act + Send + Sync>,
    calls: Mutex<Vec<(String, u32)>>,
}

impl Step {
    fn new(act: impl Fn(&str) -> Act + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(Self { act: Box::new(act), calls: Mutex::new(Vec::new()) })
    }

    fn calls(&self) -> Vec<(String, u32)> {
        self.calls.lock().unwrap().clone()
    }
}

#[async_trait]
impl Handler for Step {
    async fn handle(&self, _message_id: &str, body: &str, receive_count: u32) -> Disposition {
        self.calls.lock().unwrap().push((body.to_owned(), receive_count));
        match (self.act)(body) {
            Act::Done => Disposition::Done(Outcome::Missing),
            Act::Retry(wait) => Disposition::Retry { wait: Some(wait) },
            Act::Hang => std::future::pending().await,
            Act::Take(time) => {
                tokio::time::sleep(time).await;
                Disposition::Done(Outcome::Missing)
            }
        }
    }
}

/// Polls `check` every 10 ms until it holds, failing after `within`.
async fn eventually(within: Duration, mut check: impl FnMut() -> bool) {
    let until = Instant::now() + within;
    while !check() {
        assert!(Instant::now() < until, "condition not reached within {within:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn deployment(store: &dyn DeploymentStore, status: DeploymentStatus) -> Deployment {
    let deployment = Deployment::new(
        UserId::parse("u").unwrap(),
        RepoFullName::parse("acme/site").unwrap(),
        None,
        InstallationId::new(1).unwrap(),
    );
    store.create(&deployment).await.unwrap();
    if status == DeploymentStatus::Failed {
        let change = StatusChange::failed("gave up after 5 attempts: GitHub answered 502");
        store.transition(deployment.id, DeploymentStatus::Inspecting, change).await.unwrap();
    }
    deployment
}

fn body_of(deployment: &Deployment) -> String {
    InspectionJob::for_deployment(deployment).to_json().unwrap()
}

fn event(records: &[(&str, &str)]) -> SqsEvent {
    let records: Vec<_> = records
        .iter()
        .map(|(id, body)| {
            serde_json::json!({
                "messageId": id, "receiptHandle": format!("rh-{id}"), "body": body,
                "attributes": { "ApproximateReceiveCount": "1" }, "messageAttributes": {},
                "eventSource": "aws:sqs",
            })
        })
        .collect();
    serde_json::from_value(serde_json::json!({ "Records": records })).unwrap()
}

fn failed_ids(response: &aws_lambda_events::event::sqs::SqsBatchResponse) -> Vec<String> {
    let mut ids: Vec<_> =
        response.batch_item_failures.iter().map(|f| f.item_identifier.clone()).collect();
    ids.sort();
    ids
}

mod lambda_batch {
    use super::*;

    #[tokio::test]
    async fn a_hung_job_is_abandoned_at_its_deadline_and_its_deployment_failed_while_the_rest_finish()
     {
        let w = common::world(0, false).await;
        let hung = deployment(w.store.as_ref(), DeploymentStatus::Inspecting).await;
        let hung_body = body_of(&hung);
        let step = Step::new({
            let hung_body = hung_body.clone();
            move |body| if body == hung_body { Act::Hang } else { Act::Done }
        });
        let options = BatchOptions {
            retries: None,
            deadline: Instant::now() + Duration::from_secs(5),
            per_message: Duration::from_millis(400),
            concurrency: 10,
        };
        let started = Instant::now();
        let batch = event(&[("ok-1", "{}"), ("hung", &hung_body), ("ok-2", "{}")]);
        let response = handle_batch_with(&w.deps, step.as_ref(), batch, options).await;
        let took = started.elapsed();
        eprintln!("a batch with a hung job answered after {took:?} (per-message deadline 400 ms)");

        // The FAILED verdict is written, so the message is acknowledged: nothing to retry.
        assert_eq!(failed_ids(&response), Vec::<String>::new());
        let stored = w.store.get(hung.id).await.unwrap().unwrap();
        assert_eq!(stored.status, DeploymentStatus::Failed);
        let reason = stored.reason.unwrap();
        assert_eq!(reason, overrun_reason(Duration::from_millis(400)));
        assert!(reason.contains("per-message deadline"), "{reason}");
        assert_eq!(step.calls().len(), 3, "every message ran");
        assert!(took >= Duration::from_millis(400) && took < Duration::from_secs(2), "{took:?}");
        // The other deployment of the world was not touched.
        assert_eq!(w.stored().await.status, DeploymentStatus::Inspecting);
    }

    #[tokio::test]
    async fn messages_that_cannot_start_in_time_are_returned_untouched() {
        let w = common::world(0, false).await;
        let hung = deployment(w.store.as_ref(), DeploymentStatus::Inspecting).await;
        let hung_body = body_of(&hung);
        let step = Step::new({
            let hung_body = hung_body.clone();
            move |body| if body == hung_body { Act::Hang } else { Act::Done }
        });
        let queue = MemoryQueue::default();
        let retries = Retries { queue: Arc::new(queue.clone()), base_backoff: Duration::ZERO };
        let options = BatchOptions {
            retries: Some(&retries),
            deadline: Instant::now() + Duration::from_millis(900),
            per_message: Duration::from_millis(600),
            concurrency: 1,
        };
        let started = Instant::now();
        let batch = event(&[("hung", &hung_body), ("later-1", "{}"), ("later-2", "{}")]);
        let response = handle_batch_with(&w.deps, step.as_ref(), batch, options).await;
        let took = started.elapsed();
        eprintln!("a one-at-a-time batch behind a hung job answered after {took:?}");

        assert_eq!(failed_ids(&response), ["later-1", "later-2"]);
        assert_eq!(step.calls().len(), 1, "the later messages never started");
        assert_eq!(queue.counts().visibility_changes, 0, "returned untouched");
        assert_eq!(w.store.get(hung.id).await.unwrap().unwrap().status, DeploymentStatus::Failed);
        assert!(took < Duration::from_millis(900), "{took:?}");
    }

    #[tokio::test]
    async fn an_invocations_deadline_leaves_a_margin_and_a_spent_one_returns_every_message() {
        let w = common::world(0, false).await;
        let now_ms = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap();
        let options = BatchOptions::for_invocation(now_ms + 60_000, &w.deps);
        let left = options.deadline.saturating_duration_since(Instant::now());
        assert!(
            left > Duration::from_millis(54_000) && left <= Duration::from_secs(55),
            "{left:?}"
        );
        assert_eq!(options.per_message, w.deps.budgets.deadline + Duration::from_secs(10));

        let spent = BatchOptions::for_invocation(now_ms + 1_000, &w.deps);
        let step = Step::new(|_| Act::Done);
        let response =
            handle_batch_with(&w.deps, step.as_ref(), event(&[("a", "{}"), ("b", "{}")]), spent)
                .await;
        assert_eq!(failed_ids(&response), ["a", "b"]);
        assert!(step.calls().is_empty());
    }

    #[tokio::test]
    async fn the_first_wave_starts_even_when_the_batch_has_less_than_a_full_jobs_time() {
        let w = common::world(0, false).await;
        let step = Step::new(|_| Act::Done);
        let options = BatchOptions {
            retries: None,
            deadline: Instant::now() + Duration::from_secs(2),
            per_message: Duration::from_secs(50),
            concurrency: 2,
        };
        let batch = event(&[("a", "{}"), ("b", "{}"), ("c", "{}")]);
        let response = handle_batch_with(&w.deps, step.as_ref(), batch, options).await;
        // a and b start at once; c would need 2 s of the 2 s left and is returned.
        assert_eq!(failed_ids(&response), ["c"]);
        assert_eq!(step.calls().len(), 2);
    }

    #[tokio::test]
    async fn an_overrun_with_a_started_build_is_retried_not_failed() {
        let w = common::world(0, false).await;
        let body = w.job.to_json().unwrap();
        w.builds.started.lock().unwrap().insert(w.job.deployment_id, "whaleray-build:7".into());
        let step = Step::new(|_| Act::Hang);
        let options = BatchOptions {
            retries: None,
            deadline: Instant::now() + Duration::from_secs(5),
            per_message: Duration::from_millis(200),
            concurrency: 10,
        };
        let response =
            handle_batch_with(&w.deps, step.as_ref(), event(&[("m", &body)]), options).await;
        assert_eq!(failed_ids(&response), ["m"]);
        assert_eq!(w.stored().await.status, DeploymentStatus::Inspecting);
    }
}

mod poller {
    use super::*;

    fn poller(queue: &MemoryQueue, step: &Arc<Step>) -> Poller {
        let mut poller = Poller::with_handler(Arc::new(queue.clone()), step.clone(), 2);
        poller.long_poll = Duration::from_millis(200);
        poller.lease = Duration::from_secs(1);
        poller.grace = Duration::from_millis(300);
        poller
    }

    struct Running {
        stop: tokio::sync::oneshot::Sender<()>,
        task: tokio::task::JoinHandle<PollStats>,
    }

    fn start(poller: Poller) -> Running {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            poller
                .run(async {
                    let _ = stopped.await;
                })
                .await
        });
        Running { stop, task }
    }

    impl Running {
        async fn stop(self) -> (PollStats, Duration) {
            let started = Instant::now();
            self.stop.send(()).unwrap();
            let stats = self.task.await.unwrap();
            (stats, started.elapsed())
        }
    }

    #[tokio::test]
    async fn a_finished_job_is_deleted() {
        let queue = MemoryQueue::default();
        queue.send("one").await.unwrap();
        queue.send("two").await.unwrap();
        let step = Step::new(|_| Act::Done);
        let running = start(poller(&queue, &step));
        eventually(Duration::from_secs(5), || queue.messages().is_empty()).await;
        let (stats, _) = running.stop().await;
        assert_eq!((stats.done, stats.retried, stats.abandoned), (2, 0, 0));
        assert_eq!(queue.counts().deletes, 2);
    }

    #[tokio::test]
    async fn a_retried_job_stays_in_the_queue_hidden_for_its_delay() {
        let queue = MemoryQueue::default();
        queue.send("flaky").await.unwrap();
        let step = Step::new(|_| Act::Retry(Duration::from_secs(30)));
        let running = start(poller(&queue, &step));
        eventually(Duration::from_secs(5), || !step.calls().is_empty()).await;
        eventually(Duration::from_secs(5), || {
            queue.messages()[0].invisible_for > Duration::from_secs(20)
        })
        .await;
        let (stats, _) = running.stop().await;
        assert_eq!(stats.retried, 1);
        let left = queue.messages();
        assert_eq!((left.len(), left[0].receive_count), (1, 1), "left, not deleted");
        assert_eq!(queue.counts().deletes, 0);
    }

    #[tokio::test]
    async fn the_heartbeat_keeps_a_job_longer_than_its_lease_from_a_second_delivery() {
        let queue = MemoryQueue::default();
        queue.send("slow").await.unwrap();
        // Two and a half leases: without the heartbeat the poller itself would receive the
        // message again.
        let step = Step::new(|_| Act::Take(Duration::from_millis(2500)));
        let running = start(poller(&queue, &step));
        eventually(Duration::from_secs(10), || queue.messages().is_empty()).await;
        let (stats, _) = running.stop().await;
        assert_eq!(step.calls(), [("slow".to_owned(), 1)], "delivered once");
        assert_eq!(stats.done, 1);
        assert!(queue.counts().visibility_changes >= 2, "{:?}", queue.counts());
    }

    #[tokio::test]
    async fn a_stopping_poller_abandons_a_hung_job_after_its_grace_and_the_message_comes_back() {
        let queue = MemoryQueue::default();
        queue.send("hangs").await.unwrap();
        let step = Step::new(|_| Act::Hang);
        let running = start(poller(&queue, &step));
        eventually(Duration::from_secs(5), || !step.calls().is_empty()).await;
        let (stats, took) = running.stop().await;
        eprintln!("a poller with a hung job stopped after {took:?} (grace 300 ms)");
        assert_eq!(stats.abandoned, 1);
        assert!(took >= Duration::from_millis(300), "waited the grace: {took:?}");
        assert!(took < Duration::from_millis(300) + Duration::from_secs(1), "{took:?}");

        // Not deleted, not failed: the heartbeat stopped, so the lease lapses and another
        // worker gets the message.
        assert_eq!(queue.counts().deletes, 0);
        eventually(Duration::from_secs(3), || queue.messages()[0].visible).await;
        let again = queue
            .receive(Receive { max: 1, wait: Duration::ZERO, visibility: Duration::from_secs(30) })
            .await
            .unwrap();
        assert_eq!(again[0].receive_count, 2);
    }

    #[tokio::test]
    async fn a_stopping_poller_waits_for_a_job_that_ends_within_the_grace() {
        let queue = MemoryQueue::default();
        queue.send("short").await.unwrap();
        let step = Step::new(|_| Act::Take(Duration::from_millis(150)));
        let mut poller = poller(&queue, &step);
        poller.grace = Duration::from_secs(5);
        let running = start(poller);
        eventually(Duration::from_secs(5), || !step.calls().is_empty()).await;
        let (stats, took) = running.stop().await;
        assert_eq!((stats.done, stats.abandoned), (1, 0));
        assert!(queue.messages().is_empty());
        assert!(took < Duration::from_secs(5), "{took:?}");
    }
}

mod replay {
    use super::*;

    struct Setup {
        store: Arc<whaleray_shared::testing::MemoryStore>,
        dlq: MemoryQueue,
        main: MemoryQueue,
    }

    impl Setup {
        fn replayer(&self) -> Replayer {
            Replayer {
                dlq: Arc::new(self.dlq.clone()),
                main: Arc::new(self.main.clone()),
                store: self.store.clone(),
                hold: Duration::from_secs(30),
            }
        }
    }

    /// Three failed deployments whose jobs sit in the dead-letter queue, their bodies written
    /// with extra spaces (as an older producer might have), plus one unreadable message.
    async fn setup() -> (Setup, Vec<(Deployment, String)>) {
        let setup = Setup {
            store: Arc::new(whaleray_shared::testing::MemoryStore::default()),
            dlq: MemoryQueue::default(),
            main: MemoryQueue::default(),
        };
        let mut jobs = Vec::new();
        for _ in 0..3 {
            let deployment = deployment(setup.store.as_ref(), DeploymentStatus::Failed).await;
            let body = body_of(&deployment).replace(',', ", ");
            setup.dlq.send(&body).await.unwrap();
            jobs.push((deployment, body));
        }
        setup.dlq.send("{\"version\": 1, \"this is\": \"not a job\"}").await.unwrap();
        (setup, jobs)
    }

    #[tokio::test]
    async fn replay_moves_every_message_once_with_its_body_unchanged() {
        let (setup, jobs) = setup().await;
        let report = setup.replayer().run(&ReplayOptions::default(), &|_| {}).await;
        assert_eq!(report.moved.len(), 3, "{report:?}");
        assert!(report.errors.is_empty(), "{report:?}");
        assert_eq!(report.skipped.len(), 1, "{report:?}");
        assert!(report.skipped[0].contains("unreadable message left in place"), "{report:?}");

        let mut sent: Vec<_> = setup.main.messages().into_iter().map(|m| m.body).collect();
        let mut expected: Vec<_> = jobs.iter().map(|(_, body)| body.clone()).collect();
        sent.sort();
        expected.sort();
        assert_eq!(sent, expected, "bodies byte for byte, each once");
        for (deployment, _) in &jobs {
            let stored = setup.store.get(deployment.id).await.unwrap().unwrap();
            assert_eq!(stored.status, DeploymentStatus::Inspecting);
        }
        let left = setup.dlq.messages();
        assert_eq!(left.len(), 1, "only the unreadable one stays");
        assert!(left[0].visible, "released for the operator");

        let again = setup.replayer().run(&ReplayOptions::default(), &|_| {}).await;
        assert!(again.moved.is_empty(), "{again:?}");
        assert_eq!(setup.main.messages().len(), 3);
    }

    #[tokio::test]
    async fn a_failed_send_keeps_the_dead_letter_copy_and_a_second_run_finishes() {
        let (setup, jobs) = setup().await;
        setup.main.fail_next_sends(1);
        let report = setup.replayer().run(&ReplayOptions::default(), &|_| {}).await;
        assert_eq!(report.moved.len(), 2, "{report:?}");
        assert_eq!(report.errors.len(), 1, "{report:?}");
        assert!(matches!(report.errors[0], ReplayError::Send { .. }), "{report:?}");
        let json = serde_json::to_value(&report).unwrap();
        let line = json["errors"][0].as_str().unwrap();
        assert!(line.contains("sending the job to the main queue: "), "{line}");
        assert!(line.contains("injected fault"), "the cause is kept: {line}");
        assert_eq!(setup.dlq.messages().len(), 2, "the unsent job's copy is kept");

        let report = setup.replayer().run(&ReplayOptions::default(), &|_| {}).await;
        assert_eq!((report.moved.len(), report.errors.len()), (1, 0), "{report:?}");
        let mut sent: Vec<_> = setup.main.messages().into_iter().map(|m| m.body).collect();
        let mut expected: Vec<_> = jobs.into_iter().map(|(_, body)| body).collect();
        sent.sort();
        expected.sort();
        assert_eq!(sent, expected);
    }

    #[tokio::test]
    async fn a_dry_run_moves_nothing_and_releases_everything() {
        let (setup, _) = setup().await;
        let options = ReplayOptions { dry_run: true, ..ReplayOptions::default() };
        let report = setup.replayer().run(&options, &|_| {}).await;
        assert_eq!(report.moved.len(), 3);
        assert!(setup.main.messages().is_empty());
        let left = setup.dlq.messages();
        assert_eq!(left.len(), 4);
        assert!(left.iter().all(|m| m.visible), "{left:?}");
    }
}
