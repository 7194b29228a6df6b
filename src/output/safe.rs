//! Terminal safety: text from snapshots and AWS (names, tags, ids, server
//! messages) can carry escape sequences that would move the cursor, retitle
//! the window or hide text. Everything written to a terminal goes through
//! here; JSON keeps the raw strings (serde escapes them).

use std::borrow::Cow;

/// Characters a terminal acts on rather than shows: C0 controls, DEL, C1
/// controls, and the bidirectional overrides and isolates.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Strip escape sequences (CSI, OSC and two-character ESC sequences, in
/// their 7-bit and C1 forms) and every other control character. Newlines
/// are kept when `keep_newlines`, else they (and tabs) become spaces.
fn strip(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe)
        || (keep_newlines && !s.chars().any(|c| c != '\n' && c != '\t' && is_unsafe(c)))
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\n' | '\t' if keep_newlines => out.push(c),
            '\n' | '\t' | '\r' => out.push(' '),
            // ESC [ ... final byte (0x40-0x7E), or C1 CSI.
            '\u{1b}' if it.peek() == Some(&'[') => {
                it.next();
                skip_csi(&mut it);
            }
            '\u{9b}' => skip_csi(&mut it),
            // ESC ] ... (BEL or ESC \), or C1 OSC; also DCS/PM/APC strings.
            '\u{1b}' if matches!(it.peek(), Some(']' | 'P' | '^' | '_')) => {
                it.next();
                skip_string(&mut it);
            }
            '\u{9d}' | '\u{90}' | '\u{9e}' | '\u{9f}' => skip_string(&mut it),
            // Any other ESC x: drop both.
            '\u{1b}' => {
                it.next();
            }
            c if is_unsafe(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn skip_csi(it: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in it.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            break;
        }
    }
}

fn skip_string(it: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = it.next() {
        match c {
            '\u{7}' | '\u{9c}' => break,
            '\u{1b}' => {
                if it.peek() == Some(&'\\') {
                    it.next();
                }
                break;
            }
            _ => {}
        }
    }
}

/// Text for a terminal (messages, whole tables): newlines and tabs kept.
pub(crate) fn text(s: &str) -> Cow<'_, str> {
    strip(s, true)
}

/// One table cell or one-line value: no control characters at all.
pub(crate) fn cell(s: &str) -> Cow<'_, str> {
    strip(s, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_and_controls_are_stripped() {
        assert_eq!(cell("web-1"), "web-1");
        assert!(matches!(cell("web-1"), Cow::Borrowed(_)));
        assert_eq!(cell("\u{1b}[2J\u{1b}[31mweb\u{1b}[0m-1"), "web-1");
        assert_eq!(cell("\u{1b}]0;pwned\u{7}title"), "title");
        assert_eq!(
            cell("\u{1b}]8;;http://x\u{1b}\\link\u{1b}]8;;\u{1b}\\"),
            "link"
        );
        assert_eq!(cell("\u{9b}31mred"), "red");
        assert_eq!(cell("a\u{8}\u{8}b\u{7f}c\rd"), "abc d");
        assert_eq!(cell("two\nlines\tx"), "two lines x");
        assert_eq!(cell("abc\u{202E}fed"), "abcfed");
        assert_eq!(cell("trailing\u{1b}"), "trailing");
        assert_eq!(text("row 1\nrow\u{1b}[1A 2\n"), "row 1\nrow 2\n");
        assert!(matches!(text("a\nb\tc"), Cow::Borrowed(_)));
        assert_eq!(cell("ünïcødé ✓ 東京"), "ünïcødé ✓ 東京");
    }
}
