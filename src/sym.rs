//! Interned strings for the few values a fleet repeats in every row:
//! regions, zones, types, states, platforms, price items. A [`Sym`] is a
//! shared `&'static str` (16 bytes, `Copy`, no allocation of its own), so
//! 40,000 instances in one region hold one copy of "us-east-1", not 40,000.
//!
//! Only a bounded vocabulary is interned (what AWS names, what the price
//! tables name): each distinct value is kept for the life of the process.
//! Ids, names, tag values and timestamps stay `String`.

use std::borrow::{Borrow, Cow};
use std::collections::HashSet;
use std::fmt;
use std::ops::Deref;
use std::sync::{Mutex, OnceLock};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An interned string: compares, hashes, orders and prints as its text.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Sym(&'static str);

fn table() -> &'static Mutex<HashSet<&'static str>> {
    static TABLE: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    TABLE.get_or_init(|| Mutex::new(HashSet::new()))
}

impl Sym {
    /// The one shared copy of `s`.
    pub(crate) fn new(s: &str) -> Sym {
        if s.is_empty() {
            return Sym("");
        }
        let mut set = table().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&k) = set.get(s) {
            return Sym(k);
        }
        let k: &'static str = Box::leak(s.to_owned().into_boxed_str());
        set.insert(k);
        Sym(k)
    }

    pub(crate) fn as_str(&self) -> &'static str {
        self.0
    }
}

impl Deref for Sym {
    type Target = str;
    fn deref(&self) -> &str {
        self.0
    }
}

impl AsRef<str> for Sym {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl Borrow<str> for Sym {
    fn borrow(&self) -> &str {
        self.0
    }
}

impl fmt::Display for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.0, f)
    }
}

impl fmt::Debug for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

impl From<&str> for Sym {
    fn from(s: &str) -> Self {
        Sym::new(s)
    }
}

impl From<&String> for Sym {
    fn from(s: &String) -> Self {
        Sym::new(s)
    }
}

impl From<String> for Sym {
    fn from(s: String) -> Self {
        Sym::new(&s)
    }
}

impl From<Sym> for String {
    fn from(s: Sym) -> Self {
        s.0.to_string()
    }
}

impl PartialEq<str> for Sym {
    fn eq(&self, o: &str) -> bool {
        self.0 == o
    }
}

impl PartialEq<&str> for Sym {
    fn eq(&self, o: &&str) -> bool {
        self.0 == *o
    }
}

impl PartialEq<String> for Sym {
    fn eq(&self, o: &String) -> bool {
        self.0 == o.as_str()
    }
}

impl PartialEq<Sym> for str {
    fn eq(&self, o: &Sym) -> bool {
        self == o.0
    }
}

impl PartialEq<Sym> for &str {
    fn eq(&self, o: &Sym) -> bool {
        *self == o.0
    }
}

impl PartialEq<Sym> for String {
    fn eq(&self, o: &Sym) -> bool {
        self.as_str() == o.0
    }
}

impl Serialize for Sym {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for Sym {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Cow::<'de, str>::deserialize(d)?;
        Ok(Sym::new(&s))
    }
}

impl schemars::JsonSchema for Sym {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        String::schema_name()
    }

    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        String::json_schema(g)
    }
}

/// Text that is usually one of a bounded vocabulary (shared, as a [`Sym`])
/// and sometimes unique to one resource (owned, freed with it): a price
/// item such as "gp3 storage" or "i-0abc... m5.large". Interning the unique
/// ones would keep every one for the life of the process (a `watch` of a
/// fleet whose groups replace instances would grow without end).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Text {
    Shared(Sym),
    Owned(Box<str>),
}

impl Text {
    /// Text unique to one resource: owned, never interned.
    pub(crate) fn owned(s: impl Into<String>) -> Text {
        Text::Owned(s.into().into_boxed_str())
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            Text::Shared(s) => s.as_str(),
            Text::Owned(s) => s,
        }
    }
}

impl Default for Text {
    fn default() -> Self {
        Text::Shared(Sym::default())
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl From<Sym> for Text {
    fn from(s: Sym) -> Self {
        Text::Shared(s)
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, o: &str) -> bool {
        self.as_str() == o
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, o: &&str) -> bool {
        self.as_str() == *o
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Text {
    /// Read back owned: a report read from JSON cannot tell which of its
    /// items are shared, and owning them leaks nothing.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Text::owned(String::deserialize(d)?))
    }
}

impl schemars::JsonSchema for Text {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        String::schema_name()
    }

    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        String::json_schema(g)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_text_is_one_copy_and_compares_as_text() {
        let a = Sym::new(&String::from("us-east-1"));
        let b = Sym::from("us-east-1");
        assert!(std::ptr::eq(a.as_str(), b.as_str()));
        assert_eq!(a, "us-east-1");
        assert!(
            Sym::from("eu-west-1") < a,
            "ordered as text, not by address"
        );
        assert_eq!(Sym::default(), "");
        assert_eq!(format!("{a} {a:?}"), "us-east-1 \"us-east-1\"");
        let m: std::collections::HashMap<Sym, u8> = [(a, 1)].into();
        assert_eq!(m.get("us-east-1"), Some(&1), "looked up by &str");
    }

    #[test]
    fn text_is_shared_or_owned_and_reads_back_owned() {
        let shared = Text::from(Sym::new("gp3 storage"));
        let owned = Text::owned("i-0abc m5.large");
        assert_eq!(shared, "gp3 storage");
        assert_eq!(owned.as_str(), "i-0abc m5.large");
        assert_eq!(
            serde_json::to_string(&owned).unwrap(),
            "\"i-0abc m5.large\""
        );
        let back: Text = serde_json::from_str("\"gp3 storage\"").unwrap();
        assert!(matches!(back, Text::Owned(_)));
        assert_eq!(back.as_str(), shared.as_str(), "the same text");
    }

    #[test]
    fn reads_and_writes_json_as_a_string() {
        let s: Sym = serde_json::from_str("\"gp3\"").unwrap();
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"gp3\"");
        let owned: Sym = serde_json::from_str("\"a\\\"b\"").unwrap();
        assert_eq!(owned, "a\"b");
    }
}
