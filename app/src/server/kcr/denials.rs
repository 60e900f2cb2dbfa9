//! Repeated KCR denials, counted in memory so that a caller cannot flood an audit log.
//!
//! Anyone holding any token of a project (a viewer, a project token, a pull secret's token)
//! can ask `/kcr/token` for actions it may not have, as often as it likes. Each *new* denial (a
//! place, repository and set of actions not seen in the holder's current window) is recorded at
//! once, at most [`ROWS_PER_CALLER`] per window; what repeats, and what comes past that bound,
//! is counted here and written as one summary entry per place when the window closes. Windows
//! belong to a token's *holder* (a person, or a project for its tokens), so more tokens do not
//! buy more rows; a window counts in at most [`MAX_PLACES`] places (more are counted in the
//! first one's summary, by number only).
//!
//! Summaries are written by the server's background task ([`DenialLog::take_closed`], every
//! few seconds, and everything at shutdown), never by the request that closed a window. Audit
//! rows are never updated after they are written (exports may have read them): a summary is a
//! row of its own. Memory is bounded: at most [`MAX_CALLERS`] open windows (the oldest is
//! closed early to make room) of at most [`MAX_PLACES`] places, [`ROWS_PER_CALLER`] keys and
//! [`SAMPLE`] names each, and at most [`MAX_PENDING`] summaries waiting to be written.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    net::IpAddr,
    sync::Mutex,
};

use uuid::Uuid;

use crate::server::auth::bearer::{Holder, TokenCaller};

/// How long a holder's window stays open, in seconds.
pub const WINDOW_SECS: i64 = 60;
/// Distinct denials of one holder recorded as they happen, per window.
pub const ROWS_PER_CALLER: usize = 10;
/// Places (projects, organizations) a window keeps counts for.
pub const MAX_PLACES: usize = 10;
/// Repository names a summary keeps of what came past [`ROWS_PER_CALLER`] (the count is exact).
pub const SAMPLE: usize = 10;
/// Holders with an open window; one more closes the oldest early.
pub const MAX_CALLERS: usize = 10_000;
/// Summaries waiting for the background task (when it cannot write, the oldest are dropped,
/// with a warning in the log).
pub const MAX_PENDING: usize = 50_000;

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
#[derive(Clone, Debug)]
pub struct Summary {
    /// Who asked (the audit entry's actor and token: the window's first).
    pub caller: TokenCaller,
    /// From where, when the window opened.
    pub address: IpAddr,
    /// Where the entry goes.
    pub place: Place,
    /// Denials recorded when they first happened, and how many times each came again.
    pub repeated: BTreeMap<(String, Vec<&'static str>), u64>,
    /// Denials past the per-window bound: how many.
    pub unrecorded: u64,
    /// Up to [`SAMPLE`] of their repositories.
    pub unrecorded_repositories: BTreeSet<String>,
    /// Denials in places past [`MAX_PLACES`] (counted on the window's first place).
    pub elsewhere: u64,
    /// The names of the tokens the window's requests came with (up to [`SAMPLE`]).
    pub tokens: BTreeSet<String>,
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
    /// In the order first seen (the first takes the count of places past the bound).
    places: Vec<(Place, PlaceCounts)>,
    elsewhere: u64,
    tokens: BTreeSet<String>,
}

#[derive(Default)]
struct State {
    windows: HashMap<Uuid, Window>,
    pending: Vec<Summary>,
}

/// The open windows, per holder, and the summaries waiting to be written.
#[derive(Default)]
pub struct DenialLog {
    state: Mutex<State>,
}

impl std::fmt::Debug for DenialLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DenialLog")
    }
}

/// Whose window a token's requests count in.
fn holder_key(caller: &TokenCaller) -> Uuid {
    match &caller.holder {
        Holder::Person(user) => user.id,
        Holder::Project(project) => *project,
    }
}

impl State {
    fn close(&mut self, key: &Uuid, now: i64) {
        if let Some(window) = self.windows.remove(key) {
            self.pending.extend(summaries(window, now));
            let over = self.pending.len().saturating_sub(MAX_PENDING);
            if over > 0 {
                tracing::warn!(
                    dropped = over,
                    "KCR denial summaries could not be written in time; the oldest are dropped"
                );
                self.pending.drain(..over);
            }
        }
    }
}

impl DenialLog {
    /// Counts `denials` of one request by `caller` at `now`, and returns what must be recorded
    /// now: denials new in the holder's window, within its bound. If that record cannot be
    /// written, [`DenialLog::forget`] takes it back.
    pub fn note(
        &self,
        caller: &TokenCaller,
        address: IpAddr,
        now: i64,
        denials: Vec<Denial>,
    ) -> Vec<Denial> {
        let key = holder_key(caller);
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state
            .windows
            .get(&key)
            .is_some_and(|w| now - w.opened >= WINDOW_SECS)
        {
            state.close(&key, now);
        }
        if !state.windows.contains_key(&key)
            && state.windows.len() >= MAX_CALLERS
            && let Some(oldest) = state
                .windows
                .iter()
                .min_by_key(|(_, w)| w.opened)
                .map(|(k, _)| *k)
        {
            state.close(&oldest, now);
        }
        let window = state.windows.entry(key).or_insert_with(|| Window {
            caller: caller.clone(),
            address,
            opened: now,
            recorded: 0,
            places: Vec::new(),
            elsewhere: 0,
            tokens: BTreeSet::new(),
        });
        if window.tokens.len() < SAMPLE {
            window.tokens.insert(caller.name.clone());
        }
        let mut record = Vec::new();
        for denial in denials {
            let at = match window.places.iter().position(|(p, _)| *p == denial.place) {
                Some(at) => at,
                None if window.places.len() < MAX_PLACES => {
                    window.places.push((denial.place, PlaceCounts::default()));
                    window.places.len() - 1
                }
                None => {
                    window.elsewhere += denial.repositories.len() as u64;
                    continue;
                }
            };
            let counts = &mut window.places[at].1;
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
        record
    }

    /// Takes back what [`DenialLog::note`] said to record for `caller`, when writing it failed:
    /// the next such denial is recorded again rather than counted against a lost entry.
    pub fn forget(&self, caller: &TokenCaller, recorded: &[Denial]) {
        let key = holder_key(caller);
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let Some(window) = state.windows.get_mut(&key) else {
            return;
        };
        for denial in recorded {
            if let Some((_, counts)) = window.places.iter_mut().find(|(p, _)| *p == denial.place) {
                for (repository, actions) in &denial.repositories {
                    let key = (repository.clone(), actions.clone());
                    if counts.repeated.remove(&key).is_some() {
                        window.recorded = window.recorded.saturating_sub(1);
                    }
                }
            }
        }
    }

    /// Closes the windows opened at least [`WINDOW_SECS`] before `now` (all of them with
    /// `everything`, at shutdown) and takes every summary waiting to be written.
    pub fn take_closed(&self, now: i64, everything: bool) -> Vec<Summary> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let due: Vec<Uuid> = state
            .windows
            .iter()
            .filter(|(_, w)| everything || now - w.opened >= WINDOW_SECS)
            .map(|(k, _)| *k)
            .collect();
        for key in &due {
            state.close(key, now);
        }
        std::mem::take(&mut state.pending)
    }

    /// Puts back summaries that could not be written (the database was away), to be tried
    /// again at the next round.
    pub fn put_back(&self, summaries: Vec<Summary>) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut back = summaries;
        back.append(&mut state.pending);
        state.pending = back;
        let over = state.pending.len().saturating_sub(MAX_PENDING);
        state.pending.drain(..over);
    }
}

/// A closed window's summaries: one per place where something came again or past a bound.
fn summaries(window: Window, now: i64) -> Vec<Summary> {
    let to = now.min(window.opened + WINDOW_SECS);
    let mut elsewhere = window.elsewhere;
    window
        .places
        .into_iter()
        .filter_map(|(place, counts)| {
            let repeated: BTreeMap<_, _> = counts
                .repeated
                .into_iter()
                .filter(|(_, times)| *times > 0)
                .collect();
            let here = std::mem::take(&mut elsewhere);
            (!repeated.is_empty() || counts.unrecorded > 0 || here > 0).then(|| Summary {
                caller: window.caller.clone(),
                address: window.address,
                place,
                repeated,
                unrecorded: counts.unrecorded,
                unrecorded_repositories: counts.unrecorded_repositories,
                elsewhere: here,
                tokens: window.tokens.clone(),
                from: window.opened,
                to,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller() -> TokenCaller {
        TokenCaller {
            id: Uuid::now_v7(),
            name: "ci".into(),
            scopes: Vec::new(),
            expires_at: None,
            holder: Holder::Project(Uuid::now_v7()),
        }
    }

    fn place(n: u128) -> Place {
        (None, Some(Uuid::from_u128(n)))
    }

    fn push_at(place: Place, repo: &str) -> Vec<Denial> {
        vec![Denial {
            place,
            repositories: vec![(repo.to_owned(), vec!["push"])],
        }]
    }

    fn push(repo: &str) -> Vec<Denial> {
        push_at(place(0), repo)
    }

    const HERE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn a_repeated_denial_is_recorded_once_and_counted_until_its_window_closes() {
        let log = DenialLog::default();
        let ci = caller();
        assert_eq!(
            log.note(&ci, HERE, 1_000, push("ann/site/web")),
            push("ann/site/web")
        );
        for t in 1..200 {
            assert!(
                log.note(&ci, HERE, 1_000 + t % 50, push("ann/site/web"))
                    .is_empty()
            );
        }
        assert!(log.take_closed(1_059, false).is_empty(), "still open");
        let closed = log.take_closed(1_060, false);
        assert_eq!(closed.len(), 1);
        assert_eq!(
            closed[0].repeated[&("ann/site/web".to_owned(), vec!["push"])],
            199
        );
        assert_eq!((closed[0].from, closed[0].to), (1_000, 1_060));
        // A new window records the denial afresh.
        assert_eq!(log.note(&ci, HERE, 1_070, push("ann/site/web")).len(), 1);
    }

    #[test]
    fn a_holder_records_at_most_its_bound_per_window_whatever_its_tokens() {
        let log = DenialLog::default();
        let ci = caller();
        let mut recorded = 0;
        for i in 0..50 {
            // Another token of the same holder for every request.
            let token = TokenCaller {
                id: Uuid::now_v7(),
                name: format!("t{i}"),
                ..ci.clone()
            };
            recorded += log
                .note(&token, HERE, 5, push(&format!("ann/site/x{i}")))
                .len();
        }
        assert_eq!(recorded, ROWS_PER_CALLER);
        let other = caller();
        assert_eq!(log.note(&other, HERE, 5, push("ann/site/x0")).len(), 1);
        let closed = log.take_closed(5, true);
        assert_eq!(closed.len(), 1, "nothing beyond the other's recorded entry");
        assert_eq!(closed[0].unrecorded, 50 - ROWS_PER_CALLER as u64);
        assert_eq!(closed[0].unrecorded_repositories.len(), SAMPLE);
        assert_eq!(closed[0].tokens.len(), SAMPLE);
    }

    #[test]
    fn places_past_the_bound_are_counted_on_the_first_place_by_number() {
        let log = DenialLog::default();
        let ci = caller();
        for p in 0..(MAX_PLACES as u128 + 25) {
            log.note(&ci, HERE, 0, push_at(place(p), "o/p/web"));
        }
        let closed = log.take_closed(0, true);
        assert_eq!(closed.len(), 1, "{closed:?}");
        assert_eq!(closed[0].place, place(0));
        assert_eq!(closed[0].elsewhere, 25);
    }

    #[test]
    fn a_window_ended_meanwhile_waits_for_the_background_writer() {
        let log = DenialLog::default();
        let ci = caller();
        log.note(&ci, HERE, 0, push("ann/site/web"));
        log.note(&ci, HERE, 1, push("ann/site/web"));
        assert_eq!(log.note(&ci, HERE, 90, push("ann/site/web")).len(), 1);
        let closed = log.take_closed(90, false);
        assert_eq!(closed.len(), 1);
        assert_eq!(closed[0].to, WINDOW_SECS);
    }

    #[test]
    fn a_full_log_closes_its_oldest_window_and_a_failed_write_is_tried_again() {
        let log = DenialLog::default();
        let first = caller();
        log.note(&first, HERE, 0, push("a/b/c"));
        log.note(&first, HERE, 0, push("a/b/c"));
        for i in 1..MAX_CALLERS as i64 {
            log.note(&caller(), HERE, i, push("a/b/c"));
        }
        log.note(&caller(), HERE, 20_000, push("a/b/c"));
        let closed = log.take_closed(20_000, false);
        assert_eq!(closed.len(), 1, "only the oldest, which had a repeat");
        assert_eq!(closed[0].caller.id, first.id);
        log.put_back(closed);
        assert_eq!(log.take_closed(20_000, false).len(), 1);
    }

    #[test]
    fn a_record_that_could_not_be_written_is_recorded_again() {
        let log = DenialLog::default();
        let ci = caller();
        let record = log.note(&ci, HERE, 0, push("a/b/c"));
        log.forget(&ci, &record);
        assert_eq!(log.note(&ci, HERE, 1, push("a/b/c")), push("a/b/c"));
    }
}
