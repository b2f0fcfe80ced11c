//! The serve log: lines go to a thread that writes them, through a bounded queue, so a stdout
//! nobody reads (`mailsim serve FILE | less`, a full pipe) never stalls the bridge. When the queue
//! is full, lines are dropped and counted; the count is logged once the writer catches up.

use std::io::Write;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::thread;
use std::time::Duration;

/// Lines waiting at most (each is one event's line, a few hundred bytes at most).
const QUEUE: usize = 8192;

/// The writing end, owned by the serving loop.
pub struct Log {
    tx: Option<SyncSender<Vec<u8>>>,
    done: Receiver<()>,
    dropped: u64,
}

impl Log {
    /// Starts the writer thread on `out`.
    pub fn spawn(mut out: Box<dyn Write + Send>) -> Log {
        let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(QUEUE);
        let (done_tx, done) = mpsc::channel();
        thread::spawn(move || {
            'lines: while let Ok(line) = rx.recv() {
                // Write what is waiting, then flush, so a reader sees lines as they come.
                let mut next = Some(line);
                while let Some(l) = next {
                    if out.write_all(&l).is_err() {
                        break 'lines;
                    }
                    next = rx.try_recv().ok();
                }
                if out.flush().is_err() {
                    break;
                }
            }
            let _ = out.flush();
            let _ = done_tx.send(());
        });
        Log {
            tx: Some(tx),
            done,
            dropped: 0,
        }
    }

    /// Queues a line (with its newline); never waits. Returns whether it was queued.
    pub fn line(&mut self, line: Vec<u8>) -> bool {
        let Some(tx) = &self.tx else { return false };
        if self.dropped > 0 {
            let note = format!(
                "mailsim serve: {} log lines dropped: the output was not being read fast enough\n",
                self.dropped
            );
            match tx.try_send(note.into_bytes()) {
                Ok(()) => self.dropped = 0,
                Err(_) => {
                    self.dropped += 1;
                    return false;
                }
            }
        }
        match tx.try_send(line) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.dropped += 1;
                false
            }
        }
    }

    /// Lines dropped since the last note about them.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Ends the log: waits up to `wait` for the writer to write what is queued (a reader that
    /// never reads does not keep the program from ending).
    pub fn finish(mut self, wait: Duration) {
        self.tx = None;
        let _ = self.done.recv_timeout(wait);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A writer that blocks until released, like a pipe nobody reads.
    struct Stuck(Arc<Mutex<()>>, Arc<Mutex<Vec<u8>>>);
    impl Write for Stuck {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            let _g = self.0.lock().unwrap();
            self.1.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_stuck_writer_never_blocks_the_caller_and_drops_are_counted() {
        let gate = Arc::new(Mutex::new(()));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let held = gate.lock().unwrap();
        let mut log = Log::spawn(Box::new(Stuck(gate.clone(), seen.clone())));
        let t = std::time::Instant::now();
        let mut queued = 0;
        for i in 0..(QUEUE * 3) {
            queued += usize::from(log.line(format!("line {i}\n").into_bytes()));
        }
        assert!(t.elapsed() < Duration::from_secs(2), "logging waited");
        assert!(queued <= QUEUE + 2, "queued {queued}: the queue is bounded");
        // Every line past the queue is counted (a note about them goes in when a slot frees,
        // which starts the count again).
        assert!(log.dropped() > 0);
        assert!(queued + log.dropped() as usize <= QUEUE * 3);
        drop(held);
        // Once the writer catches up, the next line says how many were lost.
        std::thread::sleep(Duration::from_millis(200));
        log.line(b"after\n".to_vec());
        log.finish(Duration::from_secs(5));
        let text = String::from_utf8(seen.lock().unwrap().clone()).unwrap();
        assert!(
            text.contains("log lines dropped"),
            "{}",
            &text[text.len() - 200..]
        );
        assert!(text.ends_with("after\n"));
    }
}
