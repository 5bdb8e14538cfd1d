//! Deadlines timed by a long-lived timer. A `tokio::time::timeout` per request inserts a timer
//! into the runtime's wheel and removes it again, under the wheel's lock, for every request. A
//! connection instead keeps one timer and, for each wait, a deadline: the timer is moved on only
//! when it fires before the current deadline, so a busy connection moves it about once per
//! timeout period, and a wait costs a clock read.

use std::future::Future;
use std::pin::Pin;

use tokio::time::{Instant, Sleep};

/// `work`'s output, or `None` once `deadline` has passed. `timer` may be set to fire earlier
/// (an earlier wait's deadline): it is then moved on to `deadline`, never fires the wait early.
pub async fn within<F: Future>(
    work: F,
    mut timer: Pin<&mut Sleep>,
    deadline: Instant,
) -> Option<F::Output> {
    tokio::pin!(work);
    loop {
        tokio::select! {
            biased;
            done = &mut work => return Some(done),
            () = timer.as_mut() => {
                if Instant::now() >= deadline {
                    return None;
                }
                timer.as_mut().reset(deadline);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn a_timer_set_earlier_does_not_end_the_wait_before_its_deadline() {
        let timer = tokio::time::sleep(Duration::from_secs(1));
        tokio::pin!(timer);
        let deadline = Instant::now() + Duration::from_secs(5);
        let work = tokio::time::sleep(Duration::from_secs(3));
        assert_eq!(within(work, timer.as_mut(), deadline).await, Some(()));
        assert_eq!(timer.deadline(), deadline);
    }

    #[tokio::test(start_paused = true)]
    async fn the_wait_ends_at_its_deadline() {
        let timer = tokio::time::sleep(Duration::from_secs(1));
        tokio::pin!(timer);
        let started = Instant::now();
        let deadline = started + Duration::from_secs(5);
        let work = std::future::pending::<()>();
        assert_eq!(within(work, timer.as_mut(), deadline).await, None);
        assert_eq!(Instant::now() - started, Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn an_elapsed_timer_is_moved_on_to_a_later_deadline() {
        let timer = tokio::time::sleep(Duration::ZERO);
        tokio::pin!(timer);
        (&mut timer).await;
        let started = Instant::now();
        let deadline = started + Duration::from_secs(2);
        let work = tokio::time::sleep(Duration::from_secs(1));
        assert_eq!(within(work, timer.as_mut(), deadline).await, Some(()));
        let never = std::future::pending::<()>();
        assert_eq!(within(never, timer.as_mut(), deadline).await, None);
        assert_eq!(Instant::now() - started, Duration::from_secs(2));
    }
}
