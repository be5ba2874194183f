//! A purge route: `POST` `{"keys": [...], "tags": [...]}` removes the
//! entries under exact keys (as `Cache-Status` names them: from `/.edgegate-cache/` on, this host's) and every entry
//! of a tag (by giving the tag a new generation), in the policy's cache at
//! this location. Its access is declared in the table like any other route's.
//!
//! ```ignore
//! Route::purge("/cache/purge", "origin").access(api_key())
//! ```

use std::rc::Rc;

use serde_json::Value;

use super::{cat, is_tag, new_generation, CacheSetting, Memory, KEY_PREFIX};
use crate::http::{percent_encode, Request, RequestBody, Response, Status};
use crate::platform::Platform;
use crate::problem::{kinds, ApiError};
use crate::setting::read_fields;

/// The most keys, and the most tags, one purge may name.
pub const MAX_PER_PURGE: usize = 100;

/// A purge route's answer, built once per isolate.
pub struct PurgePlan {
    setting: Rc<CacheSetting>,
    /// The policy's name: the tags it purges are this policy's.
    policy: Rc<str>,
    /// The routes the policy caches, as their keys spell them: a key of
    /// another policy's route is not this purge's to remove. None: any.
    routes: Option<Vec<String>>,
    /// What the policy's routes hold in this isolate's memory.
    memory: Rc<Memory>,
}

impl PurgePlan {
    /// Purges the cache of the policy `setting`.
    pub fn new(setting: Rc<CacheSetting>) -> PurgePlan {
        PurgePlan {
            setting,
            policy: Rc::from(""),
            routes: None,
            memory: Rc::default(),
        }
    }

    /// The purge as the policy `name`'s, whose routes are `templates` (the
    /// plan names them) and hold answers in `memory`.
    pub(crate) fn under(mut self, name: &str, templates: &[&str], memory: Rc<Memory>) -> PurgePlan {
        self.policy = Rc::from(name);
        self.memory = memory;
        self.routes = Some(templates.iter().map(|t| cat(&[&percent_encode(t), "/"])).collect());
        self
    }

    /// Reads the purge (the body was read) and carries it out: 200 with what
    /// was removed; 422 naming what is wrong, before anything is removed.
    pub async fn run(&self, request: &Request, platform: &dyn Platform) -> Response {
        let body = match &request.body {
            RequestBody::Bytes(bytes) => bytes.as_slice(),
            _ => &[],
        };
        // The host a key is made with, or none: a purge names keys only a lookup could have made.
        let Some(host) = super::key_host(request) else {
            return ApiError::of(kinds::INVALID_HEADER, "The request has no usable Host header.").into_response();
        };
        let base = cat(&["https://", &host.to_ascii_lowercase(), KEY_PREFIX]);
        let (keys, tags) = match read_purge(body, &base, self.routes.as_deref()) {
            Ok(purge) => purge,
            Err(error) => return error.into_response(),
        };
        // This isolate's copies go first, whatever the Cache API then does,
        // and again when it is done (or the purge is dropped): a lookup
        // that overlaps the purge holds nothing in memory.
        let forgetting = Forgetting {
            memory: &self.memory,
            keys: &keys,
            all: !tags.is_empty(),
            platform,
        };
        forgetting.forget();
        let cache = self.setting.cache.as_deref();
        let mut removed = 0;
        for key in &keys {
            match platform.cache_delete(cache, key).await {
                Ok(true) => removed += 1,
                Ok(false) => {}
                Err(cause) => return unavailable(cause),
            }
        }
        for tag in &tags {
            if new_generation(platform, cache, &base, &self.policy, tag, true)
                .await
                .is_none()
            {
                return unavailable("the cache refused a tag's new generation".into());
            }
        }
        Response::json_text(Status::OK, answer(keys.len(), removed, &tags))
    }
}

/// `{"keys_named", "keys_removed", "tags_purged"}`, written by hand (no
/// JSON value and its serializer for it): tags are letters, digits and
/// `-._:/` only, which JSON does not escape.
fn answer(keys_named: usize, keys_removed: usize, tags: &[String]) -> String {
    let mut answer = cat(&[
        "{\"keys_named\":",
        &keys_named.to_string(),
        ",\"keys_removed\":",
        &keys_removed.to_string(),
        ",\"tags_purged\":[",
    ]);
    for (i, tag) in tags.iter().enumerate() {
        answer.push_str(if i == 0 { "\"" } else { ",\"" });
        answer.push_str(tag);
        answer.push('"');
    }
    answer.push_str("]}");
    answer
}

fn unavailable(cause: String) -> Response {
    ApiError::of(
        kinds::UNAVAILABLE,
        "The cache could not be purged now; retry after Retry-After.",
    )
    .with_internal(format!("cache purge: {cause}"))
    .with_header("retry-after", "1")
    .into_response()
}

/// The purge's keys (each under this host's entries) and tags.
fn read_purge(body: &[u8], base: &str, routes: Option<&[String]>) -> Result<(Vec<String>, Vec<String>), ApiError> {
    let ours = |key: &str| routes.is_none_or(|routes| routes.iter().any(|route| key.starts_with(route.as_str())));
    let value: Value = serde_json::from_slice(body)
        .map_err(|error| ApiError::of(kinds::MALFORMED_JSON, format!("The body is not valid JSON: {error}.")))?;
    let invalid = |detail: String| ApiError::of(kinds::INVALID_BODY, detail);
    let (mut keys, mut tags) = (Vec::new(), Vec::new());
    read_fields(&value, " (expected keys, tags)", |name, member| {
        let list = member
            .as_array()
            .filter(|list| list.len() <= MAX_PER_PURGE)
            .ok_or_else(|| format!("`{name}` must be a list of at most {MAX_PER_PURGE} strings"))?;
        for item in list {
            let item = item.as_str().ok_or_else(|| format!("`{name}` must list strings"))?;
            match name {
                // A key of this host's entries, never a tag's generation,
                // and none the runtime would resolve elsewhere (`..`,
                // `%2e%2e`, a backslash): the cache never keys such a path.
                "keys"
                    if item.starts_with(KEY_PREFIX)
                        && !item[KEY_PREFIX.len()..].starts_with("tag/")
                        && ours(&item[KEY_PREFIX.len()..])
                        && item.len() <= 8192
                        && crate::http::path::stays_put(item.split('?').next().unwrap_or(item)) =>
                {
                    keys.push(format!("{base}{}", &item[KEY_PREFIX.len()..]))
                }
                "keys" => {
                    return Err(format!(
                        "`keys` lists `{}`, which is no key of this policy's entries (see Cache-Status)",
                        shorten(item)
                    ))
                }
                "tags" if is_tag(item) => tags.push(item.to_owned()),
                "tags" => {
                    return Err(format!(
                        "`tags` lists `{}`, which is no tag (letters, digits, `-._:/`, at most 128)",
                        shorten(item)
                    ))
                }
                _ => return Ok(false),
            }
        }
        Ok(true)
    })
    .map_err(|message| invalid(format!("The purge is invalid: {message}.")))?;
    if keys.is_empty() && tags.is_empty() {
        return Err(invalid("The purge names no `keys` and no `tags`.".into()));
    }
    Ok((keys, tags))
}

/// At most 80 characters of what a caller sent, for a message.
fn shorten(text: &str) -> String {
    text.chars().take(80).collect()
}

/// Forgets a purge's keys (or, with tags, everything) in memory; again when dropped.
struct Forgetting<'a> {
    memory: &'a Memory,
    keys: &'a [String],
    all: bool,
    platform: &'a dyn Platform,
}

impl Forgetting<'_> {
    fn forget(&self) {
        let now_ms = self.platform.now_ms();
        if self.all {
            self.memory.forget(None, now_ms);
        }
        for key in self.keys {
            self.memory.forget(Some(key), now_ms);
        }
    }
}

impl Drop for Forgetting<'_> {
    fn drop(&mut self) {
        self.forget();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_answer_is_what_serde_json_writes() {
        for tags in [
            vec![],
            vec!["a".to_owned()],
            vec!["team:x/y-1.2_3".to_owned(), "b".to_owned()],
        ] {
            let expected = serde_json::json!({ "keys_removed": 2, "keys_named": 3, "tags_purged": tags });
            assert_eq!(super::answer(3, 2, &tags), expected.to_string());
        }
    }
}
