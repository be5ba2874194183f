//! A serde deserializer over `(name, value)` string pairs: the shape both path
//! parameters and query strings have. Values arrive as strings and are parsed
//! into whatever type the target field asks for; every error names its field.

use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::forward_to_deserialize_any;

/// Why a value did not deserialize, and for which field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PairsError {
    /// A field the target requires has no pair.
    Missing {
        /// The field's name.
        field: String,
    },
    /// A pair names no field of a target that denies unknown fields.
    Unknown {
        /// The name no field has.
        field: String,
    },
    /// As many values as the target takes, or not: a tuple of another
    /// length, or one value asked of several pairs.
    Shape {
        /// How many were expected and found.
        message: String,
    },
    /// A value that does not parse as its field's type (`field` is `None`
    /// when the type checked the value after it was read: `try_from`).
    Invalid {
        /// The field, when the error is tied to one.
        field: Option<String>,
        /// What was wrong, in serde's words.
        message: String,
    },
}

impl PairsError {
    fn with_field(self, name: &str) -> PairsError {
        match self {
            PairsError::Invalid { field: None, message } => PairsError::Invalid {
                field: Some(name.to_owned()),
                message,
            },
            other => other,
        }
    }
}

impl fmt::Display for PairsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PairsError::Missing { field } => write!(f, "`{field}` is required"),
            PairsError::Unknown { field } => write!(f, "`{field}` is not a known parameter"),
            PairsError::Invalid {
                field: Some(field),
                message,
            } => write!(f, "`{field}`: {message}"),
            PairsError::Invalid { field: None, message } | PairsError::Shape { message } => f.write_str(message),
        }
    }
}

impl std::error::Error for PairsError {}

impl de::Error for PairsError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        PairsError::Invalid {
            field: None,
            message: msg.to_string(),
        }
    }

    fn missing_field(field: &'static str) -> Self {
        PairsError::Missing {
            field: field.to_owned(),
        }
    }

    fn unknown_field(field: &str, _expected: &'static [&'static str]) -> Self {
        PairsError::Unknown {
            field: field.to_owned(),
        }
    }

    fn invalid_type(unexpected: de::Unexpected, expected: &dyn de::Expected) -> Self {
        de::Error::custom(format_args!(
            "invalid type: {}, expected {expected}",
            describe(unexpected)
        ))
    }

    fn invalid_value(unexpected: de::Unexpected, expected: &dyn de::Expected) -> Self {
        de::Error::custom(format_args!(
            "invalid value: {}, expected {expected}",
            describe(unexpected)
        ))
    }
}

/// What serde's `Unexpected` says, but written here: its own `Display`
/// formats floats, which would link Rust's float printing (~20 KB) into the
/// wasm file for a value these strings never hold.
fn describe(unexpected: de::Unexpected) -> String {
    use de::Unexpected::*;
    match unexpected {
        Bool(b) => format!("boolean `{b}`"),
        Unsigned(n) => format!("integer `{n}`"),
        Signed(n) => format!("integer `{n}`"),
        Float(_) => "a floating point number".into(),
        Char(c) => format!("character `{c}`"),
        Str(s) => format!("string `{s}`"),
        Bytes(_) => "byte array".into(),
        Unit => "unit value".into(),
        Option => "Option value".into(),
        NewtypeStruct => "newtype struct".into(),
        Seq => "sequence".into(),
        Map => "map".into(),
        Enum => "enum".into(),
        UnitVariant => "unit variant".into(),
        NewtypeVariant => "newtype variant".into(),
        TupleVariant => "tuple variant".into(),
        StructVariant => "struct variant".into(),
        Other(other) => other.into(),
    }
}

/// Deserializes a struct or map from all pairs, a tuple from their values in
/// order, or a single scalar from the only pair there is.
pub struct PairsDeserializer<'a, N: AsRef<str>> {
    pairs: &'a [(N, String)],
}

impl<'a, N: AsRef<str>> PairsDeserializer<'a, N> {
    /// A deserializer over `pairs`, in order.
    pub fn new(pairs: &'a [(N, String)]) -> Self {
        PairsDeserializer { pairs }
    }

    /// A tuple takes exactly one value per element: a pair left over would
    /// otherwise be dropped unread.
    fn exactly(&self, len: usize) -> Result<(), PairsError> {
        match self.pairs.len() == len {
            true => Ok(()),
            false => Err(PairsError::Shape {
                message: format!("expected {len} values, found {}", self.pairs.len()),
            }),
        }
    }

    fn single(&self) -> Result<(&'a str, &'a str), PairsError> {
        match self.pairs {
            [(name, value)] => Ok((name.as_ref(), value.as_str())),
            _ => Err(PairsError::Shape {
                message: format!("expected exactly one value, found {}", self.pairs.len()),
            }),
        }
    }
}

macro_rules! single_value {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PairsError> {
            let (name, value) = self.single()?;
            ValueDeserializer(value).$method(visitor).map_err(|e| e.with_field(name))
        }
    )*};
}

impl<'de, 'a: 'de, N: AsRef<str>> de::Deserializer<'de> for PairsDeserializer<'a, N> {
    type Error = PairsError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PairsError> {
        visitor.visit_map(PairsMap {
            pairs: self.pairs,
            groups: repeated_names(self.pairs).map(Vec::into_iter),
            next: 0,
            value: None,
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, PairsError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PairsError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PairsError> {
        visitor.visit_seq(PairsSeq {
            pairs: self.pairs.iter(),
        })
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, PairsError> {
        self.exactly(len)?;
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, PairsError> {
        self.exactly(len)?;
        self.deserialize_seq(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, PairsError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PairsError> {
        visitor.visit_some(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, PairsError> {
        let (field, value) = self.single()?;
        ValueDeserializer(value)
            .deserialize_enum(name, variants, visitor)
            .map_err(|e| e.with_field(field))
    }

    single_value! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64 deserialize_char deserialize_str deserialize_string
        deserialize_bytes deserialize_byte_buf deserialize_unit deserialize_identifier
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, PairsError> {
        visitor.visit_unit()
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PairsError> {
        visitor.visit_unit()
    }
}

/// A struct or map over pairs: each name once, with all its values (a
/// list field takes them all; any other the last). One type whether or not
/// a name repeats, so each target type's visitor is compiled once.
struct PairsMap<'a, N> {
    pairs: &'a [(N, String)],
    /// Each name's pairs, when a name repeats; else the pairs in order.
    groups: Option<std::vec::IntoIter<Vec<usize>>>,
    next: usize,
    value: Option<(&'a str, ValuesDeserializer<'a>)>,
}

impl<'de, 'a: 'de, N: AsRef<str>> MapAccess<'de> for PairsMap<'a, N> {
    type Error = PairsError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, PairsError> {
        let pairs = self.pairs;
        let (name, values) = match &mut self.groups {
            None => {
                let Some((name, value)) = pairs.get(self.next) else {
                    return Ok(None);
                };
                self.next += 1;
                (
                    name.as_ref(),
                    ValuesDeserializer {
                        last: value,
                        all: Vec::new(),
                    },
                )
            }
            Some(groups) => {
                let Some(group) = groups.next() else {
                    return Ok(None);
                };
                let all: Vec<&'a str> = group.iter().map(|&i| pairs[i].1.as_str()).collect();
                let last = all.last().copied().unwrap_or("");
                (pairs[group[0]].0.as_ref(), ValuesDeserializer { last, all })
            }
        };
        self.value = Some((name, values));
        seed.deserialize(ValueDeserializer(name)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, PairsError> {
        let (name, values) = self
            .value
            .take()
            .expect("next_value_seed is called after next_key_seed");
        seed.deserialize(values).map_err(|e| e.with_field(name))
    }
}

/// The indices of each name's pairs, in name order; `None`
/// when no name repeats (nearly always). Sorted, not compared pairwise: a
/// query of thousands of pairs costs no more than its length says.
fn repeated_names<N: AsRef<str>>(pairs: &[(N, String)]) -> Option<Vec<Vec<usize>>> {
    let name = |i: usize| pairs[i].0.as_ref();
    // A few pairs (nearly every request): compared in place, nothing allocated.
    if pairs.len() <= 16 && !(1..pairs.len()).any(|i| (0..i).any(|j| name(i) == name(j))) {
        return None;
    }
    let mut order: Vec<usize> = (0..pairs.len()).collect();
    order.sort_unstable_by(|&a, &b| name(a).cmp(name(b)).then(a.cmp(&b)));
    if !order.windows(2).any(|w| name(w[0]) == name(w[1])) {
        return None;
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for i in order {
        match groups.last_mut() {
            Some(group) if name(group[0]) == name(i) => group.push(i),
            _ => groups.push(vec![i]),
        }
    }
    // In name order: a struct takes its fields in any order, and each
    // name's values keep theirs (the last is the last sent).
    Some(groups)
}

/// A name's values: all of them to a sequence, the last to anything else
/// (as API Gateway's single-value parameters take the last). `all` is
/// empty (nothing allocated) when the name has one value, `last`.
struct ValuesDeserializer<'a> {
    last: &'a str,
    all: Vec<&'a str>,
}

impl<'a> ValuesDeserializer<'a> {
    fn last(&self) -> ValueDeserializer<'a> {
        ValueDeserializer(self.last)
    }
}

macro_rules! last_value {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PairsError> {
            self.last().$method(visitor)
        }
    )*};
}

impl<'de, 'a: 'de> de::Deserializer<'de> for ValuesDeserializer<'a> {
    type Error = PairsError;

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PairsError> {
        let single = self.all.is_empty().then_some(self.last);
        visitor.visit_seq(ValuesSeq {
            single,
            more: self.all.into_iter(),
        })
    }

    /// Absent when every value is empty (`?page=&page=`); otherwise the
    /// values as they are, so a list keeps all its values and any other
    /// field takes the last (an empty last one it reads as `""`).
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PairsError> {
        match self.last.is_empty() && self.all.iter().all(|value| value.is_empty()) {
            true => visitor.visit_none(),
            false => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, PairsError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, PairsError> {
        self.last().deserialize_enum(name, variants, visitor)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value, PairsError> {
        self.last().deserialize_unit_struct(name, visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, PairsError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, PairsError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, PairsError> {
        self.last().deserialize_struct(name, fields, visitor)
    }

    last_value! {
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64 deserialize_char deserialize_str deserialize_string deserialize_bytes
        deserialize_byte_buf deserialize_unit deserialize_map deserialize_identifier deserialize_ignored_any
    }
}

/// One value as a sequence of one (`?tags=a` for a `Vec`), or a name's values.
struct ValuesSeq<'a> {
    single: Option<&'a str>,
    more: std::vec::IntoIter<&'a str>,
}

impl<'de, 'a: 'de> SeqAccess<'de> for ValuesSeq<'a> {
    type Error = PairsError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, PairsError> {
        match self.single.take().or_else(|| self.more.next()) {
            Some(value) => seed.deserialize(ValueDeserializer(value)).map(Some),
            None => Ok(None),
        }
    }
}

struct PairsSeq<'a, N> {
    pairs: std::slice::Iter<'a, (N, String)>,
}

impl<'de, 'a: 'de, N: AsRef<str>> SeqAccess<'de> for PairsSeq<'a, N> {
    type Error = PairsError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, PairsError> {
        match self.pairs.next() {
            Some((name, value)) => seed
                .deserialize(ValueDeserializer(value))
                .map(Some)
                .map_err(|e| e.with_field(name.as_ref())),
            None => Ok(None),
        }
    }
}

/// One string value, parsed into the type asked for.
struct ValueDeserializer<'a>(&'a str);

macro_rules! parse_number {
    ($($method:ident => $visit:ident : $ty:ty, $what:literal;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PairsError> {
            match self.0.parse::<$ty>() {
                Ok(n) => visitor.$visit(n),
                Err(_) => Err(de::Error::custom(format_args!(concat!("expected ", $what, ", got `{}`"), self.0))),
            }
        }
    )*};
}

impl<'de, 'a: 'de> de::Deserializer<'de> for ValueDeserializer<'a> {
    type Error = PairsError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PairsError> {
        visitor.visit_borrowed_str(self.0)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PairsError> {
        match self.0 {
            "true" => visitor.visit_bool(true),
            "false" => visitor.visit_bool(false),
            other => Err(de::Error::custom(format_args!(
                "expected `true` or `false`, got `{other}`"
            ))),
        }
    }

    parse_number! {
        deserialize_i8 => visit_i8: i8, "an integer from -128 to 127";
        deserialize_i16 => visit_i16: i16, "an integer from -32768 to 32767";
        deserialize_i32 => visit_i32: i32, "a 32-bit integer";
        deserialize_i64 => visit_i64: i64, "a 64-bit integer";
        deserialize_u8 => visit_u8: u8, "an integer from 0 to 255";
        deserialize_u16 => visit_u16: u16, "an integer from 0 to 65535";
        deserialize_u32 => visit_u32: u32, "a non-negative 32-bit integer";
        deserialize_u64 => visit_u64: u64, "a non-negative 64-bit integer";
        deserialize_i128 => visit_i128: i128, "a 128-bit integer";
        deserialize_u128 => visit_u128: u128, "a non-negative 128-bit integer";
        deserialize_f32 => visit_f32: f32, "a number";
        deserialize_f64 => visit_f64: f64, "a number";
        deserialize_char => visit_char: char, "a single character";
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PairsError> {
        // `?page=` means "no page", not "a page named empty string".
        if self.0.is_empty() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, PairsError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, PairsError> {
        visitor.visit_enum(IntoDeserializer::<PairsError>::into_deserializer(self.0))
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PairsError> {
        visitor.visit_unit()
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PairsError> {
        visitor.visit_seq(ValuesSeq {
            single: Some(self.0),
            more: Vec::new().into_iter(),
        })
    }

    forward_to_deserialize_any! {
        str string bytes byte_buf unit_struct tuple tuple_struct map struct identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    fn from_pairs<T: de::DeserializeOwned>(items: &[(&str, &str)]) -> Result<T, PairsError> {
        T::deserialize(PairsDeserializer::new(&pairs(items)))
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Search {
        q: String,
        page: Option<u32>,
        exact: Option<bool>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum Lang {
        En,
        Es,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Filter {
        tag: Vec<String>,
        page: Option<u32>,
        ids: Option<Vec<u64>>,
    }

    #[test]
    fn a_sequence_field_takes_every_value_of_its_name_and_a_scalar_the_last() {
        let filter: Filter = from_pairs(&[("tag", "a"), ("page", "1"), ("tag", "b"), ("page", "2")]).unwrap();
        assert_eq!(filter.tag, ["a", "b"]);
        assert_eq!(filter.page, Some(2));
        assert_eq!(filter.ids, None);
        let one: Filter = from_pairs(&[("tag", "a"), ("ids", "7")]).unwrap();
        assert_eq!((one.tag, one.ids), (vec!["a".to_owned()], Some(vec![7])));
        let both: Filter = from_pairs(&[("tag", "x"), ("ids", "1"), ("ids", "2")]).unwrap();
        assert_eq!(both.ids, Some(vec![1, 2]));
        // An `Option` is absent only when every value is empty; else the
        // last decides (an empty last number does not parse), and a list
        // keeps every value.
        let absent: Filter = from_pairs(&[("tag", "x"), ("page", ""), ("page", "")]).unwrap();
        assert_eq!(absent.page, None);
        let emptied = from_pairs::<Filter>(&[("tag", "x"), ("page", "2"), ("page", "")]).unwrap_err();
        assert!(
            matches!(&emptied, PairsError::Invalid { field: Some(f), .. } if f == "page"),
            "{emptied:?}"
        );
        let refilled: Filter = from_pairs(&[("tag", "x"), ("page", ""), ("page", "3")]).unwrap();
        assert_eq!(refilled.page, Some(3));
        let kept = from_pairs::<Filter>(&[("tag", "x"), ("ids", "1"), ("ids", "")]).unwrap_err();
        assert!(
            matches!(&kept, PairsError::Invalid { field: Some(f), .. } if f == "ids"),
            "{kept:?}"
        );
        // A value that does not parse names its field, among repeats too.
        let error = from_pairs::<Filter>(&[("tag", "a"), ("ids", "1"), ("ids", "x")]).unwrap_err();
        assert!(
            matches!(&error, PairsError::Invalid { field: Some(f), .. } if f == "ids"),
            "{error:?}"
        );
        assert!(matches!(
            from_pairs::<Filter>(&[("page", "1")]),
            Err(PairsError::Missing { .. })
        ));
        // Thousands of pairs, every name repeated: sorted once, not compared pairwise.
        let many: Vec<(String, String)> = (0..20_000)
            .map(|i| ((["tag", "page"][i % 2]).to_owned(), "1".to_owned()))
            .collect();
        let filter = Filter::deserialize(PairsDeserializer::new(&many)).unwrap();
        assert_eq!(filter.tag.len(), 10_000);
    }

    #[test]
    fn structs_take_typed_fields_and_optional_ones() {
        assert_eq!(
            from_pairs::<Search>(&[("q", "hi"), ("page", "2"), ("other", "x")]).unwrap(),
            Search {
                q: "hi".into(),
                page: Some(2),
                exact: None
            }
        );
        assert_eq!(from_pairs::<Search>(&[("q", "hi"), ("page", "")]).unwrap().page, None);
        assert_eq!(
            from_pairs::<Search>(&[("q", "x"), ("exact", "true")]).unwrap().exact,
            Some(true)
        );
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(
            from_pairs::<Search>(&[("page", "2")]),
            Err(PairsError::Missing { field: "q".into() })
        );
        let err = from_pairs::<Search>(&[("q", "x"), ("page", "two")]).unwrap_err();
        assert_eq!(
            err,
            PairsError::Invalid {
                field: Some("page".into()),
                message: "expected a non-negative 32-bit integer, got `two`".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "`page`: expected a non-negative 32-bit integer, got `two`"
        );
        assert!(
            matches!(from_pairs::<Search>(&[("q", "x"), ("exact", "yes")]), Err(PairsError::Invalid { field: Some(f), .. }) if f == "exact")
        );
    }

    #[test]
    fn single_scalars_tuples_and_enums() {
        assert_eq!(from_pairs::<u64>(&[("id", "42")]).unwrap(), 42);
        assert!(
            matches!(from_pairs::<u64>(&[("id", "4x")]), Err(PairsError::Invalid { field: Some(f), .. }) if f == "id")
        );
        assert_eq!(
            from_pairs::<(String, u8)>(&[("a", "x"), ("b", "7")]).unwrap(),
            ("x".to_string(), 7)
        );
        assert_eq!(from_pairs::<Lang>(&[("lang", "es")]).unwrap(), Lang::Es);
        assert!(from_pairs::<Lang>(&[("lang", "de")]).is_err());
        assert_eq!(
            from_pairs::<std::collections::BTreeMap<String, String>>(&[("a", "1")]).unwrap()["a"],
            "1"
        );
    }

    #[test]
    fn serde_type_and_value_errors_are_described_in_our_words() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Odd {
            page: Option<std::num::NonZeroU32>,
            tags: Option<std::collections::BTreeMap<String, String>>,
        }
        assert_eq!(
            from_pairs::<Odd>(&[("page", "0")]).unwrap_err().to_string(),
            "`page`: invalid value: integer `0`, expected a nonzero u32"
        );
        assert_eq!(
            from_pairs::<Odd>(&[("tags", "x")]).unwrap_err().to_string(),
            "`tags`: invalid type: string `x`, expected a map"
        );
    }
}
