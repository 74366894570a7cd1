//! The pages anyone can read: the converter, the conversions, the plans and
//! the API's documentation. Everything on them comes from the engine's
//! catalogue and the server's configuration, never typed into a template.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;

use super::{Frame, Visit};
use crate::config::FREE_PLAN;
use crate::error::ApiError;
use crate::http::AppState;

#[derive(Template)]
#[template(path = "converter.html")]
struct ConverterPage {
    frame: Frame,
    plan_name: String,
    max_file_mb: u64,
    max_file_bytes: u64,
    format_count: usize,
    conversion_count: usize,
}

/// `GET /`: the converter. The signed-in user's plan sets the size checked
/// before an upload; the script reads the catalogue from `GET /api/formats`.
pub async fn converter(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Result<Response, ApiError> {
    let visit = Visit::new(&state, &headers, "convert").await?;
    let plan_name = visit.user.as_ref().map(|(u, _)| u.plan.clone()).unwrap_or_else(|| FREE_PLAN.to_string());
    let plan = state.plan(&plan_name);
    let catalogue = catalogue(&state);
    let page = ConverterPage {
        max_file_mb: plan.max_file_mb,
        max_file_bytes: plan.max_file_bytes(),
        plan_name,
        format_count: catalogue.formats,
        conversion_count: catalogue.groups.iter().map(|g| g.rows.len()).sum(),
        frame: visit.frame.clone(),
    };
    Ok(visit.render(StatusCode::OK, &page))
}

/// One conversion as the formats page lists it.
#[derive(Clone)]
struct Row {
    to: String,
    path: String,
    lossy: bool,
    /// The option names; the group's legend describes each.
    options: String,
    /// Lowercase names the search matches: target id, name and aliases.
    names: String,
}

/// The conversions from one format.
#[derive(Clone)]
struct Group {
    id: String,
    name: String,
    category: String,
    names: String,
    rows: Vec<Row>,
    /// Each option any of its conversions takes, with its type, range and
    /// default, once.
    legend: Vec<String>,
}

struct Catalogue {
    formats: usize,
    families: Vec<String>,
    groups: Vec<Group>,
}

/// The engine's catalogue, arranged for the pages once per process.
fn catalogue(state: &AppState) -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        let engine = state.engine(FREE_PLAN);
        let formats = engine.formats();
        let names_of = |id: &str| {
            formats
                .iter()
                .find(|f| f.id == id)
                .map(|f| {
                    let mut words = vec![f.id.to_string(), f.name.to_lowercase()];
                    words.extend(f.aliases.iter().map(|a| a.to_string()));
                    words.join(" ")
                })
                .unwrap_or_else(|| id.to_string())
        };
        let mut groups: Vec<Group> = Vec::new();
        // The current source's options: (option name, its description, the targets it is so for).
        let mut legend: Vec<(String, String, Vec<String>)> = Vec::new();
        for c in fileconv::catalog::conversions_json(&engine) {
            let text = |key: &str| c[key].as_str().unwrap_or("").to_string();
            let from = text("from");
            if groups.last().is_none_or(|g| g.id != from) {
                if let Some(done) = groups.last_mut() {
                    done.legend = legend_lines(std::mem::take(&mut legend));
                }
                let format = formats.iter().find(|f| f.id == from);
                groups.push(Group {
                    name: format.map(|f| f.name.to_string()).unwrap_or_else(|| from.clone()),
                    category: text("category"),
                    names: names_of(&from),
                    id: from.clone(),
                    rows: Vec::new(),
                    legend: Vec::new(),
                });
            }
            let group = groups.last_mut().expect("pushed above");
            let to = text("to");
            let mut names = Vec::new();
            for option in c["options"].as_array().into_iter().flatten() {
                let name = option["name"].as_str().unwrap_or("").to_string();
                let words = option_words(option);
                match legend.iter_mut().find(|(_, w, _)| *w == words) {
                    Some((_, _, targets)) => targets.push(to.clone()),
                    None => legend.push((name.clone(), words, vec![to.clone()])),
                }
                names.push(name);
            }
            group.rows.push(Row { names: names_of(&to), to, path: text("path"), lossy: c["lossy"].as_bool().unwrap_or(false), options: names.join(", ") });
        }
        if let Some(done) = groups.last_mut() {
            done.legend = legend_lines(legend);
        }
        let families: BTreeSet<String> = groups.iter().map(|g| g.category.clone()).collect();
        Catalogue { formats: formats.len(), families: families.into_iter().collect(), groups }
    })
}

/// A source's options described once each, sorted; an option described
/// differently for some targets (another default) says for which.
fn legend_lines(entries: Vec<(String, String, Vec<String>)>) -> Vec<String> {
    let mut lines: Vec<String> = entries
        .iter()
        .map(|(name, words, targets)| {
            if entries.iter().filter(|(other, _, _)| other == name).count() > 1 {
                format!("{words}, for {}", targets.join(", "))
            } else {
                words.clone()
            }
        })
        .collect();
    lines.sort();
    lines
}

/// `quality` (integer 1-100, default 90).
fn option_words(option: &Value) -> String {
    let name = option["name"].as_str().unwrap_or("");
    let kind = option["type"].as_str().unwrap_or("");
    let range = match (option.get("min").and_then(Value::as_u64), option.get("max").and_then(Value::as_u64)) {
        (Some(min), Some(max)) => format!(" {min}-{max}"),
        _ => String::new(),
    };
    let choices = option["choices"].as_array().map(|c| format!(": {}", c.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "))).unwrap_or_default();
    let default = option["default"].as_str().filter(|d| !d.is_empty()).map(|d| format!(", default {d}")).unwrap_or_default();
    format!("{name} ({kind}{range}{choices}{default})")
}

#[derive(Template)]
#[template(path = "formats.html")]
struct FormatsPage<'a> {
    frame: Frame,
    format_count: usize,
    conversion_count: usize,
    shown: usize,
    query: String,
    family: String,
    families: &'a [String],
    groups: Vec<Group>,
}

#[derive(Deserialize)]
pub struct FormatsQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    family: String,
}

/// `GET /formats?q=&family=`: every conversion, filtered on the server
/// (so the page works without JavaScript) and live in the browser.
pub async fn formats(State(state): State<Arc<AppState>>, headers: HeaderMap, Query(query): Query<FormatsQuery>) -> Result<Response, ApiError> {
    let visit = Visit::new(&state, &headers, "formats").await?;
    let catalogue = catalogue(&state);
    let words: Vec<String> = query.q.to_lowercase().split_whitespace().map(str::to_string).collect();
    let groups: Vec<Group> = catalogue
        .groups
        .iter()
        .filter(|g| query.family.is_empty() || g.category == query.family)
        .filter_map(|g| {
            let source_matches = words.is_empty() || words.iter().any(|w| g.names.split(' ').any(|n| n == w));
            let rows: Vec<Row> = g.rows.iter().filter(|r| source_matches || words.iter().any(|w| r.names.split(' ').any(|n| n == w))).cloned().collect();
            (!rows.is_empty()).then(|| Group { rows, ..g.clone() })
        })
        .collect();
    let page = FormatsPage {
        format_count: catalogue.formats,
        conversion_count: catalogue.groups.iter().map(|g| g.rows.len()).sum(),
        shown: groups.iter().map(|g| g.rows.len()).sum(),
        query: query.q.chars().take(100).collect(),
        family: query.family.chars().take(40).collect(),
        families: &catalogue.families,
        groups,
        frame: visit.frame.clone(),
    };
    Ok(visit.render(StatusCode::OK, &page))
}

struct PlanRow {
    name: String,
    max_file_mb: u64,
    files_per_hour: String,
    conversions_per_day: String,
    api_calls_per_month: String,
    max_job_seconds: u64,
    max_pixels: String,
}

#[derive(Template)]
#[template(path = "plans.html")]
struct PlansPage {
    frame: Frame,
    plans: Vec<PlanRow>,
    upload_per_minute: u32,
    other_per_minute: u32,
    sign_in_per_minute: u32,
    failed_sign_ins_per_hour: u32,
    max_pending_jobs: u32,
}

/// A count with thousands separated; 0 is "no limit".
pub fn count_words(n: u64) -> String {
    if n == 0 {
        return "no limit".to_string();
    }
    fileconv::text::group_thousands(&n.to_string())
}

/// `GET /plans`: the configured plans, smallest file size first.
pub async fn plans(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Result<Response, ApiError> {
    let visit = Visit::new(&state, &headers, "plans").await?;
    let mut plans: Vec<PlanRow> = state
        .config
        .plans
        .iter()
        .map(|(name, p)| PlanRow {
            name: name.clone(),
            max_file_mb: p.max_file_mb,
            files_per_hour: count_words(p.files_per_hour),
            conversions_per_day: count_words(p.conversions_per_day),
            api_calls_per_month: if name == FREE_PLAN { "no keys".to_string() } else { count_words(p.api_calls_per_month) },
            max_job_seconds: p.max_job_seconds,
            max_pixels: count_words(p.max_pixels),
        })
        .collect();
    plans.sort_by_key(|p| (p.max_file_mb, p.name.clone()));
    let limits = &state.config.rate_limits;
    let page = PlansPage {
        plans,
        upload_per_minute: limits.upload_per_minute,
        other_per_minute: limits.other_per_minute,
        sign_in_per_minute: limits.sign_in_per_minute,
        failed_sign_ins_per_hour: limits.failed_sign_ins_per_hour,
        max_pending_jobs: state.config.max_pending_jobs_per_client,
        frame: visit.frame.clone(),
    };
    Ok(visit.render(StatusCode::OK, &page))
}

/// One operation of the OpenAPI document, in words.
struct Operation {
    method: String,
    path: String,
    anchor: String,
    summary: String,
    parameters: String,
    body: String,
    responses: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "docs.html")]
struct DocsPage<'a> {
    frame: Frame,
    base_url: String,
    quick_start: String,
    operations: &'a [Operation],
}

/// The OpenAPI document's operations, read once.
fn operations() -> &'static [Operation] {
    static OPERATIONS: OnceLock<Vec<Operation>> = OnceLock::new();
    OPERATIONS.get_or_init(|| {
        let document = serde_json::to_value(crate::http::routes::openapi()).unwrap_or_default();
        let schemas = &document["components"]["schemas"];
        let mut out = Vec::new();
        for (path, item) in document["paths"].as_object().into_iter().flatten() {
            for method in ["get", "post", "put", "delete"] {
                let Some(op) = item.get(method) else { continue };
                let text = |v: &Value| v.as_str().unwrap_or("").trim().to_string();
                let summary = [text(&op["summary"]), text(&op["description"])].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ");
                let parameters = op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| format!("{} (in {}{}): {}", text(&p["name"]), text(&p["in"]), if p["required"].as_bool() == Some(true) { ", required" } else { "" }, text(&p["description"])))
                    .collect::<Vec<_>>()
                    .join("; ");
                let body = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                    .as_str()
                    .and_then(|r| r.rsplit('/').next())
                    .map(|name| {
                        let schema = &schemas[name];
                        let required: Vec<&str> = schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                        let fields: Vec<String> = schema["properties"]
                            .as_object()
                            .into_iter()
                            .flatten()
                            .map(|(field, p)| {
                                let kind = p["type"].as_str().map(str::to_string).or_else(|| p["type"].as_array().map(|t| t.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" or "))).unwrap_or_else(|| "object".to_string());
                                let need = if required.contains(&field.as_str()) { ", required" } else { "" };
                                let about = text(&p["description"]);
                                if about.is_empty() { format!("{field} ({kind}{need})") } else { format!("{field} ({kind}{need}): {about}") }
                            })
                            .collect();
                        fields.join("; ")
                    })
                    .unwrap_or_default();
                let responses = op["responses"].as_object().into_iter().flatten().map(|(code, r)| (code.clone(), text(&r["description"]))).collect();
                let anchor = format!("{method}-{}", path.trim_matches('/').replace(['/', '{', '}'], "-"));
                out.push(Operation { method: method.to_uppercase(), path: path.clone(), anchor, summary, parameters, body, responses });
            }
        }
        out
    })
}

/// `GET /docs`: the API reference, with this server's URL in the Quick Start.
pub async fn docs(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Result<Response, ApiError> {
    let visit = Visit::new(&state, &headers, "docs").await?;
    let base_url = crate::http::routes::base_url(&state, &headers);
    let script = include_str!("../../../../scripts/quickstart.sh");
    let body = script.split_once("\n# 1.").map(|(_, rest)| format!("# 1.{rest}")).unwrap_or_else(|| script.to_string());
    let quick_start = format!("BASE_URL=\"{base_url}\"\nAPI_KEY=\"coco_your_api_key\"   # from your profile page; leave out the Authorization lines for the free plan\n\n{body}");
    let page = DocsPage { base_url, quick_start, operations: operations(), frame: visit.frame.clone() };
    Ok(visit.render(StatusCode::OK, &page))
}
