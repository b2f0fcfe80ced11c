//! The engine: simulated time, the event queue, seeded randomness and the trace. It knows nothing
//! of hosts, networks or scenarios (those are built on it: [`crate::net`], the world in `nodes`).

pub mod digits;
pub mod ids;
pub mod queue;
pub mod rng;
pub mod time;
pub mod trace;
