//! The `[notify]` config as the engine and the worker use it: filters parsed, durations in
//! milliseconds, channel names resolved to indices. (Validation with positions is in
//! `config::notify`; a config that loaded is known to convert.)

use sha2::{Digest, Sha256};

use super::message::EventKind;
use crate::config::notify::{
    ChannelConfig, ChannelKind, NotifyConfig, parse_duration, parse_offset, parse_quiet_hours,
};
use crate::filter::Filter;

#[derive(Debug, Clone)]
pub struct Channel {
    pub name: String,
    pub kind: ChannelKind,
    pub config: ChannelConfig,
    /// Messages per second; 0 is unlimited.
    pub rate: f64,
    pub concurrency: usize,
    pub timeout_ms: u64,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub when: String,
    pub filter: Filter,
    pub to: Vec<String>,
    pub events: Vec<EventKind>,
    pub digest_ms: Option<i64>,
    /// Minutes after midnight (in `utc_offset`): start, end.
    pub quiet: Option<(u32, u32)>,
    pub escalate_after_ms: Option<i64>,
    pub escalate_to: Vec<String>,
    pub unhealthy_after_ms: Option<i64>,
    pub notify_existing: bool,
    /// Changes when `when` changes: the rule's stored state is then started again.
    pub fingerprint: String,
}

impl Rule {
    pub fn wants(&self, e: EventKind) -> bool {
        self.events.contains(&e)
    }

    /// Evaluated against findings (matched / resolved / escalated).
    pub fn on_findings(&self) -> bool {
        self.wants(EventKind::Matched)
            || self.wants(EventKind::Resolved)
            || self.wants(EventKind::Escalated)
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub channels: Vec<Channel>,
    pub rules: Vec<Rule>,
    pub lease_ms: i64,
    pub max_attempts: u32,
    /// Minutes east of UTC for quiet hours.
    pub offset_min: i32,
}

impl Settings {
    pub fn from_config(n: &NotifyConfig) -> Result<Settings, String> {
        let channels = n
            .channel
            .iter()
            .map(|c| Channel {
                name: c.name.get_ref().clone(),
                kind: c.kind(),
                rate: c.rate(),
                concurrency: c.concurrency.as_ref().map_or(
                    if c.kind() == ChannelKind::Webhook {
                        4
                    } else {
                        1
                    },
                    |n| *n.get_ref() as usize,
                ),
                timeout_ms: c.timeout_secs.as_ref().map_or(15, |t| *t.get_ref()) * 1000,
                config: c.clone(),
            })
            .collect();
        let mut rules = Vec::new();
        for r in &n.rule {
            let name = r.name.get_ref().clone();
            let filter =
                Filter::parse(r.when.get_ref()).map_err(|e| format!("rule {name:?}: when: {e}"))?;
            let dur = |d: &Option<toml::Spanned<String>>| -> Result<Option<i64>, String> {
                d.as_ref()
                    .map(|d| {
                        parse_duration(d.get_ref())
                            .ok_or_else(|| format!("rule {name:?}: bad duration {:?}", d.get_ref()))
                    })
                    .transpose()
            };
            let events = r
                .event_names()
                .iter()
                .map(|e| {
                    EventKind::parse(e).ok_or_else(|| format!("rule {name:?}: unknown event {e:?}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let mut h = Sha256::new();
            h.update(r.when.get_ref().as_bytes());
            let fingerprint: String = h
                .finalize()
                .iter()
                .take(8)
                .map(|b| format!("{b:02x}"))
                .collect();
            rules.push(Rule {
                when: r.when.get_ref().clone(),
                filter,
                to: r.to.get_ref().iter().map(|t| t.get_ref().clone()).collect(),
                events,
                digest_ms: dur(&r.digest)?,
                quiet: r
                    .quiet_hours
                    .as_ref()
                    .and_then(|q| parse_quiet_hours(q.get_ref())),
                escalate_after_ms: dur(&r.escalate_after)?,
                escalate_to: r
                    .escalate_to
                    .as_ref()
                    .map(|v| v.get_ref().iter().map(|t| t.get_ref().clone()).collect())
                    .unwrap_or_default(),
                unhealthy_after_ms: dur(&r.unhealthy_after)?,
                notify_existing: r.notify_existing,
                fingerprint,
                name,
            });
        }
        Ok(Settings {
            channels,
            rules,
            lease_ms: n.lease_secs.max(5) as i64 * 1000,
            max_attempts: n.max_attempts.max(1),
            offset_min: parse_offset(n.utc_offset.get_ref()).unwrap_or(0),
        })
    }

    pub fn channel(&self, name: &str) -> Option<&Channel> {
        self.channels.iter().find(|c| c.name == name)
    }

    pub fn is_empty(&self) -> bool {
        self.channels.is_empty()
    }

    /// When a message to a channel of `kind` may go out, given quiet hours: `now`, or the
    /// end of the quiet period (PagerDuty is never held).
    pub fn release_at(&self, quiet: Option<(u32, u32)>, kind: ChannelKind, now: i64) -> i64 {
        let Some((start, end)) = quiet else {
            return now;
        };
        if kind == ChannelKind::Pagerduty {
            return now;
        }
        quiet_until(start, end, self.offset_min, now).unwrap_or(now)
    }
}

/// The end of the quiet period `start..end` (minutes after local midnight) that `now` is in,
/// or None outside it. Periods may wrap midnight (22:00-07:00).
pub fn quiet_until(start: u32, end: u32, offset_min: i32, now: i64) -> Option<i64> {
    const DAY: i64 = 86_400_000;
    let local = now + i64::from(offset_min) * 60_000;
    let midnight = local.div_euclid(DAY) * DAY;
    let minute = ((local - midnight) / 60_000) as u32;
    let inside = if start < end {
        (start..end).contains(&minute)
    } else {
        minute >= start || minute < end
    };
    if !inside {
        return None;
    }
    let mut end_local = midnight + i64::from(end) * 60_000;
    if end_local <= local {
        end_local += DAY;
    }
    Some(end_local - i64::from(offset_min) * 60_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_hours_wrap_midnight_and_follow_the_offset() {
        let day = 1_767_225_600_000; // 2026-01-01T00:00:00Z
        let at = |h: i64, m: i64| day + h * 3_600_000 + m * 60_000;
        // 22:00-07:00 UTC
        assert_eq!(quiet_until(1320, 420, 0, at(23, 0)), Some(at(31, 0)));
        assert_eq!(quiet_until(1320, 420, 0, at(6, 59)), Some(at(7, 0)));
        assert_eq!(quiet_until(1320, 420, 0, at(7, 0)), None);
        assert_eq!(quiet_until(1320, 420, 0, at(12, 0)), None);
        // 12:00-13:00 at +02:00 is 10:00-11:00 UTC
        assert_eq!(quiet_until(720, 780, 120, at(10, 30)), Some(at(11, 0)));
        assert_eq!(quiet_until(720, 780, 120, at(12, 30)), None);
    }
}
