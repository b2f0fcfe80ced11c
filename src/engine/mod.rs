//! The engine: simulated time, the event queue, seeded randomness, the world and its trace.

mod keep;
pub mod queue;
pub mod rng;
pub mod sim;
pub mod time;
pub mod trace;
