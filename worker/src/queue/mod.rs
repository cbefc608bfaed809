//! The queue-consumer port's two adapters: SQS ([`sqs::SqsConsumer`]) and an in-memory queue
//! with SQS's rules ([`memory::MemoryQueue`]) for tests of the poller, the retry schedule and
//! the dead-letter replay.

pub mod memory;
pub mod sqs;

pub use memory::MemoryQueue;
pub use sqs::SqsConsumer;
