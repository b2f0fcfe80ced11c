//! Mail addresses as SMTP paths carry them (RFC 5321 §4.1.2): `local@domain`, and what makes a
//! domain name.

use std::fmt;

/// A mail address as used in SMTP paths: `local@domain`, kept as the one string it is written
/// as (one allocation to make or copy), with where its `@` is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Address {
    /// `local@domain`, as written.
    text: String,
    /// The index of the `@` in `text` (the last one: a local part holds none).
    at: usize,
}

impl Address {
    /// Parses `local@domain` (RFC 5321 §4.1.2 Mailbox, dot-atom local parts only).
    pub fn parse(text: &str) -> Result<Address, &'static str> {
        let at = memchr::memrchr(b'@', text.as_bytes()).ok_or("an address needs an @")?;
        let (local, domain) = (&text[..at], &text[at + 1..]);
        if local.is_empty() || local.len() > 64 {
            return Err("the local part must have 1 to 64 characters");
        }
        local_part(local)?;
        if !is_domain(domain) {
            return Err("the domain is not a valid domain name");
        }
        Ok(Address {
            text: text.to_string(),
            at,
        })
    }

    /// The part before the `@`, as written.
    pub fn local(&self) -> &str {
        &self.text[..self.at]
    }

    /// The domain, as written.
    pub fn domain(&self) -> &str {
        &self.text[self.at + 1..]
    }

    /// The domain, lower-cased, for comparisons (domains are case-insensitive).
    pub fn domain_lower(&self) -> String {
        self.domain().to_ascii_lowercase()
    }

    /// `local@domain`, as written (what `to_string` gives, without formatting or allocating).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The whole address lower-cased, as a mailbox key.
    pub fn key(&self) -> String {
        self.text.to_ascii_lowercase()
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Whether a local part of 1 to 64 characters is a dot-atom (RFC 5322 §3.2.3): atext, with
/// dots only between other characters. One pass (every RCPT and MAIL is checked); a misplaced
/// dot is the error named before a character an address cannot hold, wherever each is.
fn local_part(local: &str) -> Result<(), &'static str> {
    let (mut prev, mut bad_char) = (b'.', false);
    for &b in local.as_bytes() {
        if b == b'.' && prev == b'.' {
            return Err(DOTS);
        }
        bad_char |= !is_atext_or_dot(b);
        prev = b;
    }
    if prev == b'.' {
        return Err(DOTS);
    }
    if bad_char {
        return Err("the local part has a character an address cannot hold");
    }
    Ok(())
}

const DOTS: &str = "dots in the local part must be between other characters";

fn is_atext_or_dot(b: u8) -> bool {
    // RFC 5322 §3.2.3 atext, and the dots of a dot-atom.
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'..=b'\'' | b'*' | b'+' | b'-' | b'.' | b'/' | b'=' | b'?'
        )
        || matches!(b, b'^'..=b'`' | b'{'..=b'~')
}

/// Whether `d` is a domain name of letters, digits and hyphens (RFC 5321 §4.1.2 Domain): labels
/// of 1 to 63 characters that neither begin nor end with a hyphen, 255 octets at most. One pass.
pub fn is_domain(d: &str) -> bool {
    let d = d.as_bytes();
    if d.is_empty() || d.len() > 255 {
        return false;
    }
    let (mut label, mut prev) = (0, b'.');
    for &b in d {
        if b == b'.' {
            if label == 0 || prev == b'-' {
                return false;
            }
            label = 0;
        } else {
            if !(b.is_ascii_alphanumeric() || b == b'-') || (label == 0 && b == b'-') {
                return false;
            }
            label += 1;
            if label > 63 {
                return false;
            }
        }
        prev = b;
    }
    label > 0 && prev != b'-'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert!(Address::parse("bob@b.example").is_ok());
        assert!(Address::parse("bob").is_err());
        assert!(Address::parse("bo b@b.example").is_err());
        assert!(Address::parse("bob@-b.example").is_err());
        assert!(Address::parse(".bob@b.example").is_err());
    }

    #[test]
    fn an_address_is_split_at_its_at_and_kept_as_written() {
        let a = Address::parse("Bob.Smith+tag@Mail.B.example").unwrap();
        assert_eq!(a.local(), "Bob.Smith+tag");
        assert_eq!(a.domain(), "Mail.B.example");
        assert_eq!(a.as_str(), "Bob.Smith+tag@Mail.B.example");
        assert_eq!(a.to_string(), a.as_str());
        assert_eq!(a.key(), "bob.smith+tag@mail.b.example");
        assert_eq!(a.domain_lower(), "mail.b.example");
        // A quoted local part could hold an `@`; this parser takes dot-atoms only, so the last
        // `@` is the one, and an earlier one is refused.
        assert!(Address::parse("a@b@c.example").is_err());
        assert_eq!(Address::parse("x@y.example").unwrap().local(), "x");
    }

    /// [`is_domain`] as first written, label by label.
    fn is_domain_by_labels(d: &str) -> bool {
        !d.is_empty()
            && d.len() <= 255
            && d.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
    }

    /// [`local_part`] as first written: three checks, one after the other.
    fn local_part_by_checks(local: &str) -> Result<(), &'static str> {
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(DOTS);
        }
        if !local.bytes().all(is_atext_or_dot) {
            return Err("the local part has a character an address cannot hold");
        }
        Ok(())
    }

    proptest::proptest! {
        #[test]
        fn a_local_part_in_one_pass_is_as_checked_one_check_after_another(
            l in "[a-c.+ @\"é]{1,10}|([a-z]{0,4}\\.){0,4}[a-z.]{0,5}"
        ) {
            // An empty local part is refused before it is looked at.
            proptest::prop_assume!(!l.is_empty());
            proptest::prop_assert_eq!(local_part(&l), local_part_by_checks(&l), "{:?}", l);
        }

        #[test]
        fn is_domain_in_one_pass_is_label_by_label(
            d in "[a-c0-1.\\-_é]{0,12}|([a-z]{0,64}\\.){0,5}[a-z-]{0,66}"
        ) {
            proptest::prop_assert_eq!(is_domain(&d), is_domain_by_labels(&d), "{:?}", d);
        }
    }

    #[test]
    fn atext_is_rfc_5322s_list() {
        for b in 0..=255u8 {
            let listed = b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~.".contains(&b);
            assert_eq!(is_atext_or_dot(b), listed, "byte {b:#04x}");
        }
    }
}
