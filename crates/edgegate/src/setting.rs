//! Reading settings: the one reader every setting's parser uses (the
//! gateway's own in `config`, each policy's in its own file), and the error
//! a bad one is reported as. Below everything that has settings.

use std::fmt;

use serde::Deserialize;
use serde_json::Value;

/// One thing wrong with the configuration: which setting, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The setting's name, as `wrangler.toml` spells it.
    pub setting: String,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.setting, self.message)
    }
}

/// A JSON object's members, or an error saying it is none.
pub fn members(value: &Value) -> Result<&serde_json::Map<String, Value>, String> {
    value.as_object().ok_or_else(|| "not a JSON object".to_owned())
}

/// Reads a JSON object's members, each with `read`, which answers whether
/// it knows the member's name; one it does not know is an error naming it,
/// followed by `expected` (what the object may hold). How every setting's
/// object is read: a typo is never ignored.
pub fn read_fields(
    value: &Value,
    expected: &str,
    mut read: impl FnMut(&str, &Value) -> Result<bool, String>,
) -> Result<(), String> {
    read_fields_with(value, expected, &mut read)
}

/// [`read_fields`]' loop, once in the wasm whatever the readers.
fn read_fields_with(
    value: &Value,
    expected: &str,
    read: &mut dyn FnMut(&str, &Value) -> Result<bool, String>,
) -> Result<(), String> {
    for (name, member) in members(value)? {
        if !read(name, member)? {
            return Err(format!("unknown field `{name}`{expected}"));
        }
    }
    Ok(())
}

/// The members `names` of a JSON object, each a whole number or absent;
/// any other member is an error.
pub fn whole_numbers<const N: usize>(value: &Value, names: [&str; N]) -> Result<[Option<u64>; N], String> {
    let mut found = [None; N];
    read_fields(value, "", |name, member| {
        let Some(index) = names.iter().position(|n| *n == name) else {
            return Ok(false);
        };
        found[index] = Some(
            member
                .as_u64()
                .ok_or_else(|| format!("`{name}` is not a whole number"))?,
        );
        Ok(true)
    })?;
    Ok(found)
}

/// A JSON list of strings.
pub fn strings(value: &Value) -> Option<Vec<String>> {
    let list = value.as_array()?;
    let mut strings = Vec::with_capacity(list.len());
    for item in list {
        strings.push(item.as_str()?.to_owned());
    }
    Some(strings)
}

/// The member `name`, which must be a list of strings.
pub fn string_list(name: &str, value: &Value) -> Result<Vec<String>, String> {
    strings(value).ok_or_else(|| format!("`{name}` must be an array of strings"))
}

/// Named policy values in the order given. A list, not a map: a route table
/// names a few, and a map type per policy would cost the wasm kilobytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Named<T>(pub(crate) Vec<(String, T)>);

impl<T> Default for Named<T> {
    fn default() -> Named<T> {
        Named(Vec::new())
    }
}

impl<T> Named<T> {
    /// The value given to `name`, if any.
    pub fn get(&self, name: &str) -> Option<&T> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, value)| value)
    }

    /// Each name with its value, in the order given.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.0.iter().map(|(name, value)| (name.as_str(), value))
    }

    /// The names, in the order given.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(name, _)| name.as_str())
    }

    /// Whether no names are given.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Named<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries<T>(std::marker::PhantomData<T>);

        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Entries<T> {
            type Value = Named<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object from name to values")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Named<T>, A::Error> {
                let mut entries: Vec<(String, T)> = Vec::new();
                while let Some((name, value)) = map.next_entry::<String, T>()? {
                    if entries.iter().any(|(n, _)| *n == name) {
                        return Err(serde::de::Error::custom(format!("`{name}` is given twice")));
                    }
                    entries.push((name, value));
                }
                Ok(Named(entries))
            }
        }

        deserializer.deserialize_map(Entries(std::marker::PhantomData))
    }
}

/// Whether an object in `json` (valid JSON: it parsed) names a member
/// twice, at any depth, its names read as serde_json reads them (escapes
/// decoded): serde_json's `Value` keeps the last of two silently, so
/// `{"deny": ["198.51.100.0/24"], "deny": []}` would deny nothing. A scan
/// of the text, not a second deserializer in the wasm.
pub(crate) fn repeats_a_name(json: &str) -> bool {
    let bytes = json.as_bytes();
    // The names of each open object so far, as serde_json reads them (an
    // escape decoded: `d\u0065ny` is `deny`); `None` for an open array.
    let mut open: Vec<Option<Vec<std::borrow::Cow<'_, str>>>> = Vec::new();
    let mut expecting_name = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' => {
                open.push(Some(Vec::new()));
                expecting_name = true;
            }
            b'[' => {
                open.push(None);
                expecting_name = false;
            }
            b'}' | b']' => {
                open.pop();
                expecting_name = false;
            }
            b',' => expecting_name = matches!(open.last(), Some(Some(_))),
            b'"' => {
                let start = i + 1;
                i = start;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if expecting_name {
                    let written = &json[start..i.min(bytes.len())];
                    let name = match written.contains('\\') {
                        false => std::borrow::Cow::Borrowed(written),
                        true => json
                            .get(start - 1..=i)
                            .and_then(|quoted| serde_json::from_str::<String>(quoted).ok())
                            .map_or(std::borrow::Cow::Borrowed(written), std::borrow::Cow::Owned),
                    };
                    if let Some(Some(names)) = open.last_mut() {
                        if names.contains(&name) {
                            return true;
                        }
                        names.push(name);
                    }
                    expecting_name = false;
                }
            }
            _ => {}
        }
        i += 1;
    }
    false
}

/// A setting holding named policy values: a JSON object from name to `shape`,
/// each value read by hand afterwards (one deserializer in the wasm, not one
/// per policy type).
pub fn named_policies(value: Option<&str>, shape: &str) -> Result<Named<Value>, String> {
    match value {
        None => Ok(Named::default()),
        // serde's message for a value of the wrong type quotes the value,
        // and the setting may be a secret: that one says where, never what.
        // The others (a syntax error, a name given twice) quote no value.
        Some(json) => serde_json::from_slice::<Named<Value>>(json.as_bytes())
            .and_then(|named| match repeats_a_name(json) {
                true => Err(serde::de::Error::custom("one of its objects gives a name twice")),
                false => Ok(named),
            })
            .map_err(|error| {
                let shown = error.to_string();
                if shown.starts_with("invalid type") || shown.starts_with("invalid value") {
                    format!(
                        "must be a JSON object from name to {shape} (line {}, column {})",
                        error.line(),
                        error.column()
                    )
                } else {
                    format!("must be a JSON object from name to {shape}: {shown}")
                }
            }),
    }
}

/// A setting of named policy values, each read by `read`. Every bad entry is
/// reported (after `label`, which names it), as every bad setting is.
pub fn named_entries<T>(
    value: Option<&str>,
    shape: &str,
    label: impl Fn(&str) -> String,
    read: impl Fn(Value) -> Result<T, String>,
) -> Result<Named<T>, Vec<String>> {
    let mut read_entries = Vec::new();
    read_named(value, shape, &label, &mut |name, value| {
        read(value).map(|entry| read_entries.push((name.to_owned(), entry)))
    })?;
    Ok(Named(read_entries))
}

/// [`named_entries`]' loop, once in the wasm whatever the entries' type.
fn read_named(
    value: Option<&str>,
    shape: &str,
    label: &dyn Fn(&str) -> String,
    read: &mut dyn FnMut(&str, Value) -> Result<(), String>,
) -> Result<(), Vec<String>> {
    let Named(entries) = named_policies(value, shape).map_err(|message| vec![message])?;
    let mut errors = Vec::new();
    for (name, value) in entries {
        if let Err(message) = read(&name, value) {
            errors.push(format!("{}{message}", label(&name)));
        }
    }
    match errors.is_empty() {
        true => Ok(()),
        false => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::repeats_a_name;

    #[test]
    fn a_name_repeated_in_any_one_object_is_found_however_it_is_written() {
        for twice in [
            r#"{"a": 1, "a": 2}"#,
            r#"{"p": {"deny": ["x"], "deny": []}}"#,
            r#"[{"k": 1}, {"k": 1, "z": {"q": [1, {"w": 1, "w": 2}]}}]"#,
            r#"{"a\"b": 1, "a\"b": 2}"#,
            // One name spelled two ways: serde_json reads both as `deny`
            // and keeps the last.
            r#"{"p": {"deny": ["198.51.100.0/24"], "d\u0065ny": []}}"#,
            r#"{"k": "a", "\u006b": "b"}"#,
            r#"{"a/b": 1, "a\/b": 2}"#,
        ] {
            assert!(repeats_a_name(twice), "{twice}");
        }
        for once in [
            r#"{"a": 1, "b": {"a": 1}, "c": [{"a": 1}, {"a": 2}]}"#,
            r#"{"a": "a", "b": "a", "c": ["a", "a"]}"#,
            r#"{"a\"": 1, "a": 2, "x": "{\"a\": 1, \"a\": 2}"}"#,
            r#"{"a\\": 1, "a": 2}"#,
            "{}",
            "[]",
        ] {
            assert!(!repeats_a_name(once), "{once}");
        }
    }
}
