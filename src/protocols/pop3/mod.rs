//! POP3 (RFC 1939; CAPA, UIDL and TOP from RFC 2449): downloading mail from a mail store.

pub mod client;
pub mod explain;
pub mod server;
pub mod wire;
