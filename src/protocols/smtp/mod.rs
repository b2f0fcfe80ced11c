//! SMTP (RFC 5321): how mail moves from a client to a server and from server to server.

pub mod address;
pub mod client;
pub mod explain;
pub mod server;
pub mod wire;
