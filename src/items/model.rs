//! Items as stored and returned, and the validation of what clients send.

use serde::{Deserialize, Deserializer, Serialize};

use crate::items::kinds as item_kinds;
use edgegate::problem::ApiError;

pub const NAME_MAX_CHARS: usize = 200;
pub const DESCRIPTION_MAX_CHARS: usize = 2000;

/// An item as the API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Item {
    #[serde(alias = "id_text", deserialize_with = "integer_or_text")]
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// One page of the list, oldest first; `next_cursor` is null on the last page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ItemPage {
    pub items: Vec<Item>,
    pub next_cursor: Option<String>,
}

/// A validated create: `name` trimmed and 1..=200 characters, `description` at most 2000.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewItem {
    pub name: String,
    pub description: Option<String>,
}

/// A validated partial update; `description: Some(None)` clears it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ItemPatch {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
}

/// `POST /items` as sent; unknown fields are refused (422).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewItemBody {
    /// At most 200 characters, not all whitespace; stored trimmed.
    #[schemars(length(max = NAME_MAX_CHARS), regex(pattern = NOT_ALL_WHITESPACE))]
    name: String,
    /// At most 2000 characters.
    #[serde(default)]
    #[schemars(length(max = DESCRIPTION_MAX_CHARS))]
    description: Option<String>,
}

/// `PATCH /items/{id}` as sent: absent fields stay as they are, and
/// `"description": null` clears the description.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("minProperties" = 1))]
pub struct ItemPatchBody {
    /// As for a create; it cannot be null.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "String", length(max = NAME_MAX_CHARS), regex(pattern = NOT_ALL_WHITESPACE))]
    name: Option<Option<String>>,
    /// As for a create; null clears it.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Option<String>", length(max = DESCRIPTION_MAX_CHARS))]
    description: Option<Option<String>>,
}

/// Tells an absent field (`None`) from an explicit null (`Some(None)`).
/// An id as a number, or as the decimal text a D1 row gives it in (exact
/// above 2^53, where a JS number is not).
/// A visitor, not an untagged enum: that would link serde's buffering of
/// any value (about 20 KB of wasm).
fn integer_or_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    struct Id;
    impl serde::de::Visitor<'_> for Id {
        type Value = i64;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an id, as a number or as decimal text")
        }
        fn visit_i64<E: serde::de::Error>(self, id: i64) -> Result<i64, E> {
            Ok(id)
        }
        fn visit_u64<E: serde::de::Error>(self, id: u64) -> Result<i64, E> {
            i64::try_from(id).map_err(E::custom)
        }
        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<i64, E> {
            text.parse().map_err(E::custom)
        }
    }
    deserializer.deserialize_any(Id)
}

fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

fn invalid(field: &'static str, detail: String) -> ApiError {
    ApiError::of(item_kinds::INVALID_ITEM, detail).with_extension("field", field)
}

/// A character that is not Unicode whitespace (what `str::trim` removes),
/// listed so that every regex engine reads it alike: a name must have one.
pub const NOT_ALL_WHITESPACE: &str =
    "[^\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";

/// 1 to 200 characters as sent (the documented limit), stored trimmed.
fn valid_name(name: &str) -> Result<String, ApiError> {
    let trimmed = name.trim();
    let chars = name.chars().count();
    if trimmed.is_empty() {
        return Err(invalid("name", "body field `name` must not be empty".into()));
    }
    if chars > NAME_MAX_CHARS {
        return Err(invalid(
            "name",
            format!("body field `name` is {chars} characters; at most {NAME_MAX_CHARS} are allowed"),
        ));
    }
    Ok(trimmed.to_owned())
}

fn valid_description(description: String) -> Result<String, ApiError> {
    let chars = description.chars().count();
    if chars > DESCRIPTION_MAX_CHARS {
        return Err(invalid(
            "description",
            format!("body field `description` is {chars} characters; at most {DESCRIPTION_MAX_CHARS} are allowed"),
        ));
    }
    Ok(description)
}

impl NewItemBody {
    pub fn validate(self) -> Result<NewItem, ApiError> {
        Ok(NewItem {
            name: valid_name(&self.name)?,
            description: self.description.map(valid_description).transpose()?,
        })
    }
}

impl ItemPatchBody {
    pub fn validate(self) -> Result<ItemPatch, ApiError> {
        let name = match self.name {
            None => None,
            Some(None) => return Err(invalid("name", "body field `name` cannot be null".into())),
            Some(Some(name)) => Some(valid_name(&name)?),
        };
        let description = match self.description {
            None => None,
            Some(None) => Some(None),
            Some(Some(text)) => Some(Some(valid_description(text)?)),
        };
        if name.is_none() && description.is_none() {
            return Err(ApiError::of(
                item_kinds::INVALID_ITEM,
                "the update changes nothing: send `name`, `description`, or both",
            ));
        }
        Ok(ItemPatch { name, description })
    }
}
