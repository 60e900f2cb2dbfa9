//! Repeated KCR denials, counted in memory so that a caller cannot flood an audit log.
//!
//! Anyone holding any token of a project (a viewer, a project token, a pull secret's token)
//! can ask `/kcr/token` for actions it may not have, as often as it likes. Each *new* denial (a
//! caller, place, repository and set of actions not seen in the caller's current window) is
//! recorded at once, at most [`ROWS_PER_CALLER`] per window; what repeats, and what comes past
//! that bound, is counted here and written as one summary entry per place when the window
//! closes ([`DenialLog::close_due`], every few seconds from the server's background task, and
//! at shutdown). Audit rows are never updated after they are written (exports may have read
//! them): a summary is a row of its own. Memory is bounded by [`MAX_CALLERS`] windows of at
//! most [`ROWS_PER_CALLER`] keys and [`SAMPLE`] names each; past it, windows close early.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    net::IpAddr,
    sync::Mutex,
};

use uuid::Uuid;

use crate::server::auth::bearer::TokenCaller;

/// How long a caller's window stays open, in seconds.
pub const WINDOW_SECS: i64 = 60;
/// Distinct denials of one caller recorded as they happen, per window.
pub const ROWS_PER_CALLER: usize = 10;
/// Repository names a summary keeps of what came past [`ROWS_PER_CALLER`] (the count is exact).
pub const SAMPLE: usize = 10;
/// Callers with an open window; one more closes them all early.
pub const MAX_CALLERS: usize = 10_000;

/// Where a denial's audit entry goes: (organization, project).
pub type Place = (Option<Uuid>, Option<Uuid>);

/// What one request was denied in one place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    /// The project's (or organization's shared images') place.
    pub place: Place,
    /// Repository, and the actions denied there.
    pub repositories: Vec<(String, Vec<&'static str>)>,
}

/// What a closed window leaves for the audit log: one entry per place.
#[derive(Debug)]
pub struct Summary {
    /// Who asked (the audit entry's actor and token).
    pub caller: TokenCaller,
    /// From where, when the window opened.
    pub address: IpAddr,
    /// Where the entry goes.
    pub place: Place,
    /// Denials recorded when they first happened, and how many times each came again.
    pub repeated: BTreeMap<(String, Vec<&'static str>), u64>,
    /// Denials past the per-window bound: how many, and a sample of the repositories.
    pub unrecorded: u64,
    /// Up to [`SAMPLE`] of their repositories.
    pub unrecorded_repositories: BTreeSet<String>,
    /// The window, in Unix seconds.
    pub from: i64,
    /// Its end.
    pub to: i64,
}

#[derive(Default)]
struct PlaceCounts {
    repeated: BTreeMap<(String, Vec<&'static str>), u64>,
    unrecorded: u64,
    unrecorded_repositories: BTreeSet<String>,
}

struct Window {
    caller: TokenCaller,
    address: IpAddr,
    opened: i64,
    recorded: usize,
    places: HashMap<Place, PlaceCounts>,
}

/// The open windows, per caller (an access token's ID).
#[derive(Default)]
pub struct DenialLog {
    windows: Mutex<HashMap<Uuid, Window>>,
}

impl std::fmt::Debug for DenialLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DenialLog")
    }
}

impl DenialLog {
    /// Counts `denials` of one request by `caller` at `now`, and returns what must be recorded
    /// now (denials new in the caller's window, within its bound), with any summaries that
    /// had to be closed early to keep memory bounded.
    pub fn note(
        &self,
        caller: &TokenCaller,
        address: IpAddr,
        now: i64,
        denials: Vec<Denial>,
    ) -> (Vec<Denial>, Vec<Summary>) {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let mut closed = Vec::new();
        if let Some(w) = windows.get(&caller.id)
            && now - w.opened >= WINDOW_SECS
            && let Some(w) = windows.remove(&caller.id)
        {
            closed.extend(summaries(w, now));
        }
        if !windows.contains_key(&caller.id) && windows.len() >= MAX_CALLERS {
            for (_, w) in windows.drain() {
                closed.extend(summaries(w, now));
            }
        }
        let window = windows.entry(caller.id).or_insert_with(|| Window {
            caller: caller.clone(),
            address,
            opened: now,
            recorded: 0,
            places: HashMap::new(),
        });
        let mut record = Vec::new();
        for denial in denials {
            let counts = window.places.entry(denial.place).or_default();
            let mut now_recorded = Vec::new();
            for (repository, actions) in denial.repositories {
                let key = (repository, actions);
                if let Some(times) = counts.repeated.get_mut(&key) {
                    *times += 1;
                } else if window.recorded < ROWS_PER_CALLER {
                    window.recorded += 1;
                    counts.repeated.insert(key.clone(), 0);
                    now_recorded.push(key);
                } else {
                    counts.unrecorded += 1;
                    if counts.unrecorded_repositories.len() < SAMPLE {
                        counts.unrecorded_repositories.insert(key.0);
                    }
                }
            }
            if !now_recorded.is_empty() {
                record.push(Denial {
                    place: denial.place,
                    repositories: now_recorded,
                });
            }
        }
        (record, closed)
    }

    /// Closes the windows opened at least [`WINDOW_SECS`] before `now` (all of them with
    /// `everything`, at shutdown) and returns what they counted beyond their recorded entries.
    pub fn close_due(&self, now: i64, everything: bool) -> Vec<Summary> {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let due: Vec<Uuid> = windows
            .iter()
            .filter(|(_, w)| everything || now - w.opened >= WINDOW_SECS)
            .map(|(id, _)| *id)
            .collect();
        due.into_iter()
            .filter_map(|id| windows.remove(&id))
            .flat_map(|w| summaries(w, now))
            .collect()
    }
}

/// A closed window's summaries: one per place where something came again or past the bound.
fn summaries(window: Window, now: i64) -> Vec<Summary> {
    let to = now.min(window.opened + WINDOW_SECS);
    window
        .places
        .into_iter()
        .filter_map(|(place, counts)| {
            let repeated: BTreeMap<_, _> = counts
                .repeated
                .into_iter()
                .filter(|(_, times)| *times > 0)
                .collect();
            (!repeated.is_empty() || counts.unrecorded > 0).then(|| Summary {
                caller: window.caller.clone(),
                address: window.address,
                place,
                repeated,
                unrecorded: counts.unrecorded,
                unrecorded_repositories: counts.unrecorded_repositories,
                from: window.opened,
                to,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::auth::bearer::Holder;

    fn caller() -> TokenCaller {
        TokenCaller {
            id: Uuid::now_v7(),
            name: "ci".into(),
            scopes: Vec::new(),
            expires_at: None,
            holder: Holder::Project(Uuid::nil()),
        }
    }

    const PLACE: Place = (None, Some(Uuid::nil()));

    fn push(repo: &str) -> Vec<Denial> {
        vec![Denial {
            place: PLACE,
            repositories: vec![(repo.to_owned(), vec!["push"])],
        }]
    }

    const HERE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn a_repeated_denial_is_recorded_once_and_counted_until_its_window_closes() {
        let log = DenialLog::default();
        let ci = caller();
        let (first, _) = log.note(&ci, HERE, 1_000, push("ann/site/web"));
        assert_eq!(first, push("ann/site/web"));
        for t in 1..200 {
            let (again, closed) = log.note(&ci, HERE, 1_000 + t % 50, push("ann/site/web"));
            assert!(again.is_empty() && closed.is_empty());
        }
        assert!(log.close_due(1_059, false).is_empty(), "still open");
        let closed = log.close_due(1_060, false);
        assert_eq!(closed.len(), 1);
        assert_eq!(
            closed[0].repeated[&("ann/site/web".to_owned(), vec!["push"])],
            199
        );
        assert_eq!((closed[0].from, closed[0].to), (1_000, 1_060));
        // A new window records the denial afresh.
        let (next, _) = log.note(&ci, HERE, 1_070, push("ann/site/web"));
        assert_eq!(next.len(), 1);
    }

    #[test]
    fn a_caller_records_at_most_its_bound_per_window_and_the_rest_is_counted() {
        let log = DenialLog::default();
        let ci = caller();
        let mut recorded = 0;
        for i in 0..50 {
            recorded += log
                .note(&ci, HERE, 5, push(&format!("ann/site/x{i}")))
                .0
                .len();
        }
        assert_eq!(recorded, ROWS_PER_CALLER);
        let other = caller();
        assert_eq!(log.note(&other, HERE, 5, push("ann/site/x0")).0.len(), 1);
        let closed = log.close_due(5, true);
        let mine = closed.iter().find(|s| s.caller.id == ci.id).unwrap();
        assert_eq!(mine.unrecorded, 50 - ROWS_PER_CALLER as u64);
        assert_eq!(mine.unrecorded_repositories.len(), SAMPLE);
        assert!(mine.repeated.is_empty());
        assert!(
            closed.iter().all(|s| s.caller.id != other.id),
            "nothing beyond its recorded entry"
        );
    }

    #[test]
    fn a_window_ended_meanwhile_is_summarised_by_the_callers_next_request() {
        let log = DenialLog::default();
        let ci = caller();
        log.note(&ci, HERE, 0, push("ann/site/web"));
        log.note(&ci, HERE, 1, push("ann/site/web"));
        let (record, closed) = log.note(&ci, HERE, 90, push("ann/site/web"));
        assert_eq!(record.len(), 1);
        assert_eq!(closed.len(), 1);
        assert_eq!(closed[0].to, WINDOW_SECS);
    }
}
