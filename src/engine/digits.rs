//! Numbers (decimal and hex) and IPv4 addresses as text, written as `Display` writes them but without the
//! formatting machinery: every mail passes a few through the hot path (a queue id's counter, a
//! `SIZE=` parameter, the address in a `Received:` line), and `to_string` costs several times
//! as much as writing the digits.

use std::net::Ipv4Addr;

/// A short text on the stack (at most 20 bytes: the longest `u64`, or an IPv4 address).
#[derive(Clone, Copy)]
pub struct Short {
    buf: [u8; 20],
    start: u8,
    end: u8,
}

impl Short {
    /// The text's bytes (ASCII digits and dots).
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[usize::from(self.start)..usize::from(self.end)]
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and dots are ever written, so this is always valid UTF-8.
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }
}

/// `n` in decimal, as `n.to_string()` writes it.
pub fn decimal(mut n: u64) -> Short {
    let mut buf = [0u8; 20];
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    Short {
        buf,
        start: start as u8,
        end: 20,
    }
}

/// `ip` in dotted decimal, as `ip.to_string()` writes it.
pub fn ipv4(ip: Ipv4Addr) -> Short {
    let mut buf = [0u8; 20];
    let mut end = 0;
    for (k, octet) in ip.octets().into_iter().enumerate() {
        if k > 0 {
            buf[end] = b'.';
            end += 1;
        }
        if octet >= 100 {
            buf[end] = b'0' + octet / 100;
            end += 1;
        }
        if octet >= 10 {
            buf[end] = b'0' + octet / 10 % 10;
            end += 1;
        }
        buf[end] = b'0' + octet % 10;
        end += 1;
    }
    Short {
        buf,
        start: 0,
        end: end as u8,
    }
}

/// The last `digits` hex digits of `n`, zero-padded, as `format!("{n:0width$x}")` (or `X` when
/// `upper`) writes them, without the formatting machinery: queue ids and Message-IDs are written
/// for every mail.
pub fn hex(n: u64, digits: u32, upper: bool) -> String {
    let alphabet = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    (0..digits)
        .rev()
        .map(|k| char::from(alphabet[(n >> (4 * k) & 0xf) as usize]))
        .collect()
}

/// `n` of `what`, as people say it: `1 message`, `2 messages`, `0 messages`.
pub fn count(n: usize, what: &str) -> String {
    if n == 1 {
        ["1 ", what].concat()
    } else {
        [decimal(n as u64).as_str(), " ", what, "s"].concat()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_said_as_people_say_them() {
        assert_eq!(count(1, "message"), "1 message");
        assert_eq!(count(0, "message"), "0 messages");
        assert_eq!(count(12, "message"), "12 messages");
    }

    #[test]
    fn edges_read_as_display_writes_them() {
        for n in [0, 9, 10, 99, 100, 101, u64::MAX] {
            assert_eq!(decimal(n).as_str(), n.to_string());
        }
        for ip in [
            [0, 0, 0, 0],
            [255, 255, 255, 255],
            [10, 0, 100, 9],
            [1, 20, 199, 200],
        ] {
            let ip = Ipv4Addr::from(ip);
            assert_eq!(ipv4(ip).as_str(), ip.to_string());
        }
    }

    proptest::proptest! {
        #[test]
        fn decimal_and_ipv4_read_as_display_writes_them(n: u64, small: u16, ip: u32) {
            let (big, short, ip) = (decimal(n), decimal(u64::from(small)), Ipv4Addr::from(ip));
            let dotted = ipv4(ip);
            proptest::prop_assert_eq!(big.as_str(), n.to_string());
            proptest::prop_assert_eq!(short.as_str(), small.to_string());
            proptest::prop_assert_eq!(dotted.as_str(), ip.to_string());
        }

        #[test]
        fn hex_writes_what_format_does(n: u64, small: u16) {
            proptest::prop_assert_eq!(hex(n, 16, false), format!("{n:016x}"));
            proptest::prop_assert_eq!(hex(u64::from(small), 4, true), format!("{small:04X}"));
        }
    }
}
