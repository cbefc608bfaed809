//! The in-memory queue refuses and forgets what SQS does, so tests of the poller and the
//! replay on it prove something about SQS.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use whaleray_worker::ports::{ConsumeError, QueueConsumer, Receive};
use whaleray_worker::queue::MemoryQueue;

fn receive(max: usize, visibility: u64) -> Receive {
    Receive { max, wait: Duration::ZERO, visibility: Duration::from_secs(visibility) }
}

#[tokio::test]
async fn requests_outside_sqs_limits_are_refused() {
    let queue = MemoryQueue::default();
    for bad in [
        receive(0, 30),
        receive(11, 30),
        receive(1, 43_201),
        Receive { max: 1, wait: Duration::from_secs(21), visibility: Duration::from_secs(30) },
        Receive { max: 1, wait: Duration::ZERO, visibility: Duration::from_millis(1500) },
    ] {
        let err = queue.receive(bad).await.unwrap_err();
        assert!(matches!(err, ConsumeError::Invalid(_)), "{bad:?}: {err:?}");
    }
    assert!(queue.receive(receive(10, 43_200)).await.unwrap().is_empty());

    assert!(matches!(queue.send("").await, Err(ConsumeError::Invalid(_))));
    assert!(matches!(queue.send("bell \u{7}").await, Err(ConsumeError::Invalid(_))));
    let at_limit = "x".repeat(262_144);
    queue.send(&at_limit).await.unwrap();
    let err = queue.send(&format!("{at_limit}x")).await.unwrap_err();
    assert!(matches!(err, ConsumeError::TooLarge { size: 262_145, max: 262_144 }), "{err:?}");
    assert!(matches!(queue.delete("made-up").await, Err(ConsumeError::ReceiptInvalid)));
    assert!(matches!(
        queue.change_visibility("made-up", Duration::ZERO).await,
        Err(ConsumeError::ReceiptInvalid)
    ));
}

#[tokio::test]
async fn a_received_message_is_invisible_until_its_visibility_ends_and_counts_receives() {
    let queue = MemoryQueue::default();
    for body in ["a", "b", "c"] {
        queue.send(body).await.unwrap();
    }
    let first = queue.receive(receive(2, 30)).await.unwrap();
    assert_eq!(first.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    assert!(first.iter().all(|m| m.receive_count == 1 && m.sent_at.is_some()));
    let second = queue.receive(receive(10, 30)).await.unwrap();
    assert_eq!(second.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(), ["c"]);
    assert!(queue.receive(receive(10, 30)).await.unwrap().is_empty(), "all in flight");
    assert_eq!(queue.depth(), (0, 3));

    // Visible again at once, then delivered again with a new handle and a higher count.
    queue.change_visibility(&first[0].receipt, Duration::ZERO).await.unwrap();
    let again = queue.receive(receive(10, 30)).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].id.as_str(), again[0].receive_count), (first[0].id.as_str(), 2));
    assert_ne!(again[0].receipt, first[0].receipt);
}

#[tokio::test]
async fn an_earlier_deliverys_handle_changes_nothing_and_deletes_nothing() {
    let queue = MemoryQueue::default();
    queue.send("job").await.unwrap();
    let old = queue.receive(receive(1, 0)).await.unwrap().remove(0);
    let new = queue.receive(receive(1, 30)).await.unwrap().remove(0);
    assert_eq!(new.receive_count, 2);

    let err = queue.change_visibility(&old.receipt, Duration::ZERO).await.unwrap_err();
    assert!(matches!(err, ConsumeError::NotInFlight), "{err:?}");
    // SQS: a delete with an old handle succeeds but may leave the message; this queue leaves it.
    queue.delete(&old.receipt).await.unwrap();
    assert_eq!(queue.depth(), (0, 1));
    queue.delete(&new.receipt).await.unwrap();
    assert_eq!(queue.depth(), (0, 0));
    // A deleted message is no longer in flight.
    let err = queue.change_visibility(&new.receipt, Duration::from_secs(5)).await.unwrap_err();
    assert!(matches!(err, ConsumeError::NotInFlight), "{err:?}");
}

#[tokio::test]
async fn a_lapsed_lease_cannot_be_extended() {
    let queue = MemoryQueue::default();
    queue.send("job").await.unwrap();
    let message = queue.receive(receive(1, 0)).await.unwrap().remove(0);
    let err = queue.change_visibility(&message.receipt, Duration::from_secs(30)).await.unwrap_err();
    assert!(matches!(err, ConsumeError::NotInFlight), "{err:?}");
    let err = queue.change_visibility(&message.receipt, Duration::from_secs(43_201)).await;
    assert!(matches!(err, Err(ConsumeError::Invalid(_))), "{err:?}");
}

#[tokio::test]
async fn a_long_poll_returns_a_message_sent_while_it_waits() {
    let queue = MemoryQueue::default();
    let waiting = tokio::spawn({
        let queue = queue.clone();
        async move {
            let request = Receive {
                max: 10,
                wait: Duration::from_secs(10),
                visibility: Duration::from_secs(30),
            };
            let started = tokio::time::Instant::now();
            (queue.receive(request).await.unwrap(), started.elapsed())
        }
    });
    tokio::task::yield_now().await;
    queue.send("late").await.unwrap();
    let (messages, waited) = waiting.await.unwrap();
    assert_eq!(messages.len(), 1);
    assert!(waited < Duration::from_secs(5), "{waited:?}");
}

#[tokio::test]
async fn a_message_received_max_receive_count_times_moves_to_the_dead_letter_queue() {
    let dead = MemoryQueue::default();
    let queue = MemoryQueue::with_redrive(&dead, 2);
    queue.send("{\"poison\": true}").await.unwrap();
    for attempt in 1..=2 {
        let got = queue.receive(receive(10, 0)).await.unwrap();
        assert_eq!(got[0].receive_count, attempt);
    }
    assert!(queue.receive(receive(10, 0)).await.unwrap().is_empty(), "moved, not delivered");
    assert_eq!(queue.depth(), (0, 0));
    let moved = dead.messages();
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0].body, "{\"poison\": true}");
    assert!(moved[0].visible);
}
