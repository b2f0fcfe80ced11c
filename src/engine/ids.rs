//! Ids as types: a host, a connection and a trace event are each named by a number, and a
//! [`HostId`] can no longer be passed where a [`ConnId`] is meant. They print and serialize as the
//! bare number (the trace's JSON is unchanged by them).
//!
//! A host's id is its index in the scenario's hosts (and so in the trace's and the world's); a
//! connection's, its index in the network's connections; an event's, its index in the whole trace
//! (see [`super::trace::Trace::get`]). Vectors kept in that order are indexed by the id directly.

use std::fmt;
use std::ops::{Index, IndexMut};

use serde::Serialize;

/// A host: its index in the scenario's hosts, the trace's and the world's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct HostId(pub u32);

/// A TCP connection: its index in the network's connections, in the order they were opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct ConnId(pub u32);

/// A trace event: its index in the whole trace, forgotten events included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct EventId(pub usize);

impl HostId {
    /// The host at index `i`.
    pub fn new(i: usize) -> HostId {
        debug_assert!(u32::try_from(i).is_ok(), "host index {i} out of range");
        HostId(i as u32)
    }

    /// Its index in a list of hosts.
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The ids of `n` hosts: 0, 1, … n−1.
    pub fn all(n: usize) -> impl DoubleEndedIterator<Item = HostId> + Clone {
        (0..n).map(HostId::new)
    }
}

impl ConnId {
    /// The connection at index `i`.
    pub fn new(i: usize) -> ConnId {
        debug_assert!(
            u32::try_from(i).is_ok(),
            "connection index {i} out of range"
        );
        ConnId(i as u32)
    }

    /// Its index in the list of connections.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl EventId {
    /// Its index in a trace that has forgotten nothing.
    pub fn index(self) -> usize {
        self.0
    }

    /// The event `n` after this one.
    pub fn plus(self, n: usize) -> EventId {
        EventId(self.0 + n)
    }
}

impl fmt::Display for HostId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Lists kept in host order (the world's hosts, the trace's) and in connection order (the
/// network's connections, what runs on them) are indexed by the id itself.
macro_rules! index_by {
    ($id:ty) => {
        impl<T> Index<$id> for [T] {
            type Output = T;
            fn index(&self, i: $id) -> &T {
                &self[i.index()]
            }
        }

        impl<T> IndexMut<$id> for [T] {
            fn index_mut(&mut self, i: $id) -> &mut T {
                &mut self[i.index()]
            }
        }

        impl<T> Index<$id> for Vec<T> {
            type Output = T;
            fn index(&self, i: $id) -> &T {
                &self[i.index()]
            }
        }

        impl<T> IndexMut<$id> for Vec<T> {
            fn index_mut(&mut self, i: $id) -> &mut T {
                &mut self[i.index()]
            }
        }
    };
}

index_by!(HostId);
index_by!(ConnId);
