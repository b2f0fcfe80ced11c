//! IMAP4rev1 (RFC 3501) with IDLE (RFC 2177): the mail stays on the server, and every computer
//! that logs in sees the same mailbox, flags and all.

pub mod client;
pub mod explain;
pub mod memstore;
pub mod mime;
mod reader;
pub mod server;
