//! Token bucket: `per_sec` steady rate with `burst` tokens, as Security Hub documents its limits.

use std::time::Duration;

use tokio::time::Instant;

use crate::sources::RateLimit;

#[derive(Debug)]
pub struct Limiter {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl Limiter {
    pub fn new(limit: RateLimit) -> Limiter {
        let burst = f64::from(limit.burst.max(1));
        Limiter {
            rate: limit.per_sec.max(0.001),
            burst,
            tokens: burst,
            last: Instant::now(),
        }
    }

    fn refill(&mut self) {
        let now = Instant::now();
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.last = now;
    }

    /// Waits until a request may be made, then spends a token.
    pub async fn acquire(&mut self) {
        self.refill();
        if self.tokens < 1.0 {
            let wait = (1.0 - self.tokens) / self.rate;
            tokio::time::sleep(Duration::from_secs_f64(wait)).await;
            self.refill();
        }
        self.tokens = (self.tokens - 1.0).max(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn burst_then_steady_rate() {
        let mut l = Limiter::new(RateLimit {
            per_sec: 3.0,
            burst: 6,
        });
        let start = Instant::now();
        for _ in 0..6 {
            l.acquire().await;
        }
        assert!(start.elapsed() < Duration::from_millis(1), "burst is free");
        for _ in 0..6 {
            l.acquire().await;
        }
        let took = start.elapsed().as_secs_f64();
        assert!(
            (1.9..2.1).contains(&took),
            "6 more at 3/s take 2 s, took {took}"
        );
    }
}
