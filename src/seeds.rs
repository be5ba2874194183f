//! The seed functions, with exactly the seeds' behaviour, as typed handlers.

use serde::{Deserialize, Serialize};

use edgegate::extract::{FunctionEvent, Json, Object, Path, Query};

pub async fn hello() -> &'static str {
    "Hello, World!"
}

pub async fn goodbye() -> &'static str {
    "Goodbye, World!"
}

/// `GET /users/{id}`'s answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// The id from the path, as it was given (a string, never a number).
    user_id: String,
}

/// `GET /users/{id}` → `{"userId": "<id>"}` (the id stays a string).
pub async fn user(Path(id): Path<String>) -> Json<User> {
    Json(User { user_id: id })
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct SearchQuery {
    /// The search term.
    q: String,
    page: Option<u32>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchResult {
    search_term: String,
    page: Option<u32>,
}

/// `GET /search?q=hello&page=2` → `{"searchTerm":"hello","page":2}`.
pub async fn search(Query(query): Query<SearchQuery>) -> Json<SearchResult> {
    Json(SearchResult {
        search_term: query.q,
        page: query.page,
    })
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct GreetQuery {
    lang: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct GreetBody {
    title: Option<String>,
}

/// `POST /api/greet/{name}`'s answer.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Greeting {
    /// `Hello, Dr. Ada!`: the greeting in the language asked for, the title if one was given, and the name.
    message: String,
}

/// `POST /api/greet/{name}?lang=en|es|fr` with an optional `{"title": "Dr."}`:
/// an unknown language falls back to English, and no body is fine.
pub async fn greet(
    Path(name): Path<String>,
    Query(query): Query<GreetQuery>,
    // An object, as the document says: serde would also read `["Dr."]` as one.
    body: Option<Json<Object<GreetBody>>>,
) -> Json<Greeting> {
    let greeting = match query.lang.as_deref() {
        Some("es") => "Hola",
        Some("fr") => "Bonjour",
        _ => "Hello",
    };
    let full_name = match body.and_then(|Json(Object(body))| body.title) {
        Some(title) if !title.is_empty() => format!("{title} {name}"),
        _ => name,
    };
    Json(Greeting {
        message: format!("{greeting}, {full_name}!"),
    })
}

/// `ANY /echo` and `ANY /echo/{*rest}`: the request as a handler sees it.
pub async fn echo(request: FunctionEvent) -> Json<FunctionEvent> {
    Json(request)
}
