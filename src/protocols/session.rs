//! The one shape every protocol machine has: [`Session`].
//!
//! A machine here is *sans-IO*: it owns no socket, reads no clock and spawns nothing. Its host (the
//! simulated world, a test, the bridge to real programs) moves the bytes: whatever arrives from the
//! peer goes into [`Session::handle_input`], whatever the machine wants sent comes out of
//! [`Session::poll_transmit`], and whatever it has to tell or ask the host comes out of
//! [`Session::poll_event`]. So the same machine runs in a simulation, in a unit test fed byte by
//! byte, or behind a real TCP socket, and always answers the same bytes to the same bytes.
//!
//! The calling order is the same for all eight machines (SMTP, POP3, IMAP and HTTP, client and
//! server):
//!
//! 1. Create the machine (`new`). A server usually has its greeting queued at once.
//! 2. Drain it: take [`Session::poll_transmit`] and [`Session::poll_event`] until both are `None`,
//!    sending the bytes and acting on the events (some events are questions the host answers by
//!    calling a method of the machine, e.g. `Pop3Server::handle_maildrop` or
//!    `SmtpServer::answer_greylist`, after which it is drained again; until the answer, a machine
//!    reads no further command).
//! 3. For every chunk of bytes that arrives, call [`Session::handle_input`], then drain again.
//!    Chunks may split a line or a command anywhere: the machine keeps what is not yet whole.
//! 4. When [`Session::wants_close`] is true, send what is left and close the connection.
//! 5. If the connection ends (the peer closed it, or it broke), call [`Session::handle_closed`]
//!    and drain once more: a client reports its outcome, a POP3 server releases its lock.
//!
//! One machine asks more of its host than events: the IMAP server reads and changes the host's
//! mailboxes directly through [`crate::protocols::imap::server::MailStore`], during
//! `ImapServer::serve`, which the host calls right after each `handle_input` (that trait's doc says
//! why it is not events and answers).

/// A protocol machine for one connection, seen from one side (client or server).
pub trait Session {
    /// What the machine tells or asks its host: a message accepted, a maildrop to lock, a page
    /// fetched. A machine with nothing to say uses [`std::convert::Infallible`], a type with no
    /// values, so its `poll_event` can only return `None`.
    type Event;

    /// Takes bytes the peer sent, in any chunks (a line may come in pieces, or many commands in
    /// one). The machine parses what is whole, queues its replies and events, and keeps the rest
    /// for the next call. Bytes that come after the session ended are not acted on.
    fn handle_input(&mut self, bytes: &[u8]);

    /// The bytes the machine wants sent to the peer, if any: everything queued so far, in order,
    /// at once (a second call returns `None` until more is queued).
    fn poll_transmit(&mut self) -> Option<Vec<u8>>;

    /// The next event for the host, if any, in the order they happened.
    fn poll_event(&mut self) -> Option<Self::Event>;

    /// Whether the machine is done (after QUIT, LOGOUT, a fatal error, or a last HTTP reply) and
    /// the connection should close once its last bytes are sent.
    fn wants_close(&self) -> bool;

    /// The state the machine is in, in the words of its RFC where it has them ("TRANSACTION",
    /// "expect RCPT reply", "selected"), for the inspector and the trace.
    fn state_name(&self) -> &'static str;

    /// The connection ended (the peer closed or reset it, or it could not be opened); `why` says
    /// how, in words. A client that had not finished records it as its outcome's error; a server
    /// ends its session (a POP3 server has its lock released without deleting anything, an SMTP
    /// server just forgets a transaction not yet ended by its final dot). Servers ignore `why`.
    fn handle_closed(&mut self, why: &str);
}

/// [`Session`] without its events, as one `dyn` type for all machines.
///
/// A host that keeps machines of different kinds side by side (the world keeps one per side of
/// each connection) wants to call them without naming each kind. `dyn Session` cannot do it: each
/// machine has its own [`Session::Event`] type, and a trait object must fix it. Everything but
/// [`Session::poll_event`] does not mention the event type, so it is here, implemented for every
/// `Session` at once; the events are drained where the machine's kind is known. Never implement
/// it by hand: implement [`Session`].
pub trait SessionDyn {
    /// [`Session::handle_input`].
    fn handle_input(&mut self, bytes: &[u8]);
    /// [`Session::poll_transmit`].
    fn poll_transmit(&mut self) -> Option<Vec<u8>>;
    /// [`Session::wants_close`].
    fn wants_close(&self) -> bool;
    /// [`Session::state_name`].
    fn state_name(&self) -> &'static str;
    /// [`Session::handle_closed`].
    fn handle_closed(&mut self, why: &str);
}

impl<S: Session> SessionDyn for S {
    fn handle_input(&mut self, bytes: &[u8]) {
        Session::handle_input(self, bytes);
    }

    fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        Session::poll_transmit(self)
    }

    fn wants_close(&self) -> bool {
        Session::wants_close(self)
    }

    fn state_name(&self) -> &'static str {
        Session::state_name(self)
    }

    fn handle_closed(&mut self, why: &str) {
        Session::handle_closed(self, why);
    }
}

/// Takes every event `machine` has, in order, into `out`, each made a `T` by `wrap` (a host's own
/// event type that says which kind of machine it came from).
pub fn drain_events<S: Session, T>(
    machine: &mut S,
    wrap: impl FnMut(S::Event) -> T,
    out: &mut Vec<T>,
) {
    out.extend(std::iter::from_fn(|| machine.poll_event()).map(wrap));
}

/// The room a machine's output buffer starts with: an EHLO reply, a command or a status line fits
/// without the buffer growing (it keeps its room from write to write, see [`take_output`]).
pub const OUT_ROOM: usize = 512;

/// What a machine has written, handed out for [`Session::poll_transmit`]: a short write (a reply,
/// a command) is copied out at its length and the buffer keeps its room for the next, so a
/// session's replies do not each grow a new buffer from nothing; a long one (a message) is handed
/// over whole, without a copy.
pub fn take_output(out: &mut Vec<u8>) -> Option<Vec<u8>> {
    const COPY_AT_MOST: usize = 2048;
    if out.is_empty() {
        None
    } else if out.len() <= COPY_AT_MOST {
        let bytes = out.clone();
        out.clear();
        Some(bytes)
    } else {
        Some(std::mem::take(out))
    }
}

#[cfg(test)]
mod output_tests {
    use super::take_output;

    #[test]
    fn output_is_handed_out_once_and_in_order() {
        let mut out = Vec::new();
        assert_eq!(take_output(&mut out), None);
        out.extend_from_slice(b"250 2.1.0 Ok\r\n");
        let room = out.capacity();
        assert_eq!(
            take_output(&mut out).as_deref(),
            Some(&b"250 2.1.0 Ok\r\n"[..])
        );
        assert!(
            out.is_empty() && out.capacity() == room,
            "a short write keeps the room"
        );
        assert_eq!(take_output(&mut out), None);
        out.resize(5000, b'x');
        let long = take_output(&mut out).unwrap();
        assert_eq!(long.len(), 5000);
        assert!(out.is_empty());
        assert_eq!(take_output(&mut out), None);
    }
}
