//! The Stage 1 and Stage 2 documents, rendered from the design with the templates under
//! templates/. Tables are built here (so every one follows the markdown rules); the templates
//! arrange them with prose.

use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use serde_json::json;

use super::markdown::{Align, MdTable};
use super::{group, kb, plain, usd};
use crate::capacity;
use crate::cost;
use crate::design::samples;
use crate::design::{
    AccessPattern, Api, Cardinality, Condition, Consistency, Design, IndexKind, ProjectionType,
    Table,
};
use crate::rules::{self, Severity};

const STAGE1: &str = include_str!("../../templates/stage1.md.tera");
const STAGE2: &str = include_str!("../../templates/stage2.md.tera");

/// File name of the Stage 1 document.
pub const STAGE1_FILE: &str = "Stage1_DomainAndPatterns.md";
/// File name of the Stage 2 document.
pub const STAGE2_FILE: &str = "Stage2_DataModel.md";

/// Why a document could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A template failed (a bug in a template, reported with tera's explanation).
    #[error("template {name}: {message}")]
    Template {
        /// Template name.
        name: &'static str,
        /// Tera's message chain.
        message: String,
    },
    /// Writing a document failed.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// A value as a Python expression that evaluates to exactly that value, whatever it holds:
/// the one way any value reaches generated Python (`{{ x | py }}` in templates/scripts/).
/// A string becomes a JSON string literal, which is also a valid Python literal of the same
/// text (quotes, backslashes, newlines and control characters escaped; serde_json never
/// writes the one JSON escape Python lacks, `\/`); lists and maps are decoded at run time
/// from such a literal, so no part of a name or value is ever read as code.
pub fn python_literal(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "None".to_string(),
        Value::Bool(true) => "True".to_string(),
        Value::Bool(false) => "False".to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string()),
        Value::Array(_) | Value::Object(_) => format!(
            "json.loads({})",
            serde_json::to_string(&v.to_string()).unwrap_or_else(|_| "\"null\"".to_string())
        ),
    }
}

fn py_filter(
    v: &tera::Value,
    _: &std::collections::HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    Ok(tera::Value::String(python_literal(v)))
}

/// `{{ x | md }}`: text from a design, shown as text in markdown (see [`super::markdown::md_text`]).
fn md_filter(
    v: &tera::Value,
    _: &std::collections::HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    let text = match v {
        tera::Value::String(s) => s.clone(),
        tera::Value::Null => String::new(),
        other => other.to_string(),
    };
    Ok(tera::Value::String(super::markdown::md_text(&text)))
}

/// `{{ x | code }}`: text inside a code span, which a backtick would close.
fn code_filter(
    v: &tera::Value,
    _: &std::collections::HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
    Ok(tera::Value::String(
        text.replace('`', "'").replace(['\n', '\r'], " "),
    ))
}

/// `{{ x | fence }}`: lines inside a fenced block, which a run of backticks would close.
fn fence_filter(
    v: &tera::Value,
    _: &std::collections::HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
    Ok(tera::Value::String(text.replace('`', "'")))
}

/// Render a template of the repository's templates/ with a JSON context.
pub fn render_template(
    name: &'static str,
    template: &str,
    ctx: &serde_json::Value,
) -> Result<String, RenderError> {
    let err = |e: tera::Error| {
        let mut message = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            message.push_str(": ");
            message.push_str(&s.to_string());
            src = s.source();
        }
        RenderError::Template { name, message }
    };
    let mut tera = tera::Tera::default();
    tera.register_filter("py", py_filter);
    tera.register_filter("md", md_filter);
    tera.register_filter("code", code_filter);
    tera.register_filter("fence", fence_filter);
    tera.add_raw_template(name, template).map_err(err)?;
    let context = tera::Context::from_value(ctx.clone()).map_err(err)?;
    tera.render(name, &context).map_err(err)
}

fn criteria_text(c: &crate::design::KeyCriterion) -> String {
    match c.condition {
        Condition::Eq => c.attribute.clone(),
        Condition::Lt => format!("{} <", c.attribute),
        Condition::Le => format!("{} <=", c.attribute),
        Condition::Gt => format!("{} >", c.attribute),
        Condition::Ge => format!("{} >=", c.attribute),
        Condition::Between => format!("{} range", c.attribute),
        Condition::BeginsWith => format!("{} prefix", c.attribute),
    }
}

fn kb_of(d: &Design, p: &crate::design::AccessPattern) -> String {
    capacity::pattern_item_bytes(d, p)
        .map(kb)
        .unwrap_or_default()
}

/// The Stage 1 document.
pub fn stage1(d: &Design) -> Result<String, RenderError> {
    let sla = &d.app.sla;
    let mut sla_t = MdTable::new(&[
        ("Target", Align::Left),
        ("Value", Align::Right),
        ("Unit", Align::Left),
    ]);
    sla_t.row([
        "Read p95".to_string(),
        plain(sla.read_p95_ms),
        "ms".to_string(),
    ]);
    sla_t.row([
        "Write p95".to_string(),
        plain(sla.write_p95_ms),
        "ms".to_string(),
    ]);
    if let Some(r) = sla.peak_reads_per_second {
        sla_t.row(["Peak reads".to_string(), plain(r), "per second".to_string()]);
    }
    if let Some(w) = sla.peak_writes_per_second {
        sla_t.row([
            "Peak writes".to_string(),
            plain(w),
            "per second".to_string(),
        ]);
    }
    sla_t.row([
        "Budget".to_string(),
        plain(sla.monthly_budget_usd),
        "USD a month".to_string(),
    ]);

    let mut ap_t = MdTable::new(&[
        ("APID", Align::Left),
        ("Operation", Align::Left),
        ("Entity", Align::Left),
        ("KeyCriteria", Align::Left),
        ("Consistency", Align::Left),
        ("RPS", Align::Right),
        ("ItemKB", Align::Right),
    ])
    .keep_whole(&[0, 2])
    .wrap();
    for p in &d.access_patterns {
        ap_t.row([
            p.id.clone(),
            if p.is_write() { "Write" } else { "Read" }.to_string(),
            p.entity.clone(),
            p.key_criteria
                .iter()
                .map(criteria_text)
                .collect::<Vec<_>>()
                .join(" + "),
            p.consistency.label().to_string(),
            plain(p.peak_rps),
            kb_of(d, p),
        ]);
    }
    let patterns: Vec<_> = d
        .access_patterns
        .iter()
        .map(|p| {
            let needs: Vec<String> = p
                .order
                .map(|o| format!("items {}", o.name().replace('_', " ")))
                .into_iter()
                .chain(p.unique.then(|| {
                    let keys: Vec<&str> = p
                        .key_criteria
                        .iter()
                        .map(|c| c.attribute.as_str())
                        .collect();
                    format!("{} identifies one item", keys.join(" + "))
                }))
                .collect();
            json!({"id": p.id, "description": p.description, "api": p.api.name(),
                   "average": p.average_rps.map(plain), "needs": needs.join("; ")})
        })
        .collect();
    let entities: Vec<_> = d
        .entities
        .iter()
        .map(|e| {
            let mut t = MdTable::new(&[
                ("Attribute", Align::Left),
                ("Type", Align::Left),
                ("Bytes", Align::Right),
                ("Source", Align::Left),
                ("Example", Align::Auto),
            ]);
            for a in &e.attributes {
                let mut bytes = match a.max_bytes {
                    Some(m) if m > a.bytes => format!("{}-{}", a.bytes, m),
                    _ => a.bytes.to_string(),
                };
                if let Some(note) = a.presence_note() {
                    bytes.push_str(&format!(" ({note})"));
                }
                t.row([
                    a.name.clone(),
                    a.ty.code().to_string(),
                    bytes,
                    match a.source {
                        crate::design::Estimate::User => "user",
                        crate::design::Estimate::Guess => "guess",
                    }
                    .to_string(),
                    a.example.as_deref().map(samples::shown).unwrap_or_default(),
                ]);
            }
            json!({
                "name": e.name,
                "description": e.description,
                "identity": e.identity.join(" + "),
                "size": format!("{} KB", kb(capacity::item_bytes(e))),
                "item_count": group(Decimal::from(e.item_count), 0),
                "table": t.fenced(),
            })
        })
        .collect();
    let guesses = d.entities.iter().any(|e| {
        e.attributes
            .iter()
            .any(|a| a.source == crate::design::Estimate::Guess)
    });
    let ctx = json!({
        "app": {"name": d.app.name, "description": d.app.description, "region": d.app.region},
        "sla_table": sla_t.fenced(),
        "patterns_table": ap_t.fenced(),
        "patterns": patterns,
        "entities": entities,
        "guesses": guesses,
        "diagram": er_diagram(d),
    });
    render_template("stage1.md", STAGE1, &ctx)
}

/// Boxes and connectors, one relationship per drawing, so that any design lays out cleanly.
pub fn er_diagram(d: &Design) -> String {
    let mut out = String::new();
    let boxed = |name: &str| {
        let bar = format!("+{}+", "-".repeat(name.chars().count() + 2));
        (bar.clone(), format!("| {name} |"), bar)
    };
    for r in &d.relationships {
        let (l1, l2, l3) = boxed(&r.from);
        let (r1, r2, r3) = boxed(&r.to);
        let (left, right, link) = match (r.kind, r.embedded.is_some()) {
            (_, true) => ("1", "M", "<>---------"),
            (Cardinality::OneToOne, _) => ("1", "1", "-----------"),
            (Cardinality::OneToMany, _) => ("1", "M", "----------<"),
            (Cardinality::ManyToMany, _) => ("M", "N", ">---------<"),
        };
        let gap = link.len();
        let note = match (&r.join_entity, r.embedded.as_ref()) {
            (_, Some(e)) => format!(
                "  embedded: up to {} {} inside each {}",
                e.max_items, r.to, r.from
            ),
            (Some(j), None) => format!("  via join entity {j}"),
            (None, None) => String::new(),
        };
        let label = format!(" {left}{}{right} ", " ".repeat(gap - 4));
        out.push_str(&format!("{l1}{label}{r1}\n"));
        out.push_str(&format!("{l2}{link}{r2}{note}\n"));
        out.push_str(&format!("{l3}{}{r3}\n\n", " ".repeat(gap)));
    }
    let related: Vec<&str> = d
        .relationships
        .iter()
        .flat_map(|r| [r.from.as_str(), r.to.as_str()])
        .chain(
            d.relationships
                .iter()
                .filter_map(|r| r.join_entity.as_deref()),
        )
        .collect();
    for e in d
        .entities
        .iter()
        .filter(|e| !related.contains(&e.name.as_str()))
    {
        let (a, b, c) = boxed(&e.name);
        out.push_str(&format!("{a}\n{b}  (no relationships)\n{c}\n\n"));
    }
    if out.is_empty() {
        out.push_str("(no entities)\n");
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// Shorten to `n` characters keeping the end, where ids and timestamps differ.
fn clip(s: &str, n: usize) -> String {
    let len = s.chars().count();
    if len <= n {
        s.to_string()
    } else {
        format!("…{}", s.chars().skip(len - (n - 1)).collect::<String>())
    }
}

/// A table drawn as an ASCII grid: key columns first, then as many attributes as fit in
/// [`super::markdown::MAX_WIDTH`] characters, with three sample items.
pub fn key_picture(d: &Design, t: &Table) -> String {
    let Some(e) = t.entities.first().and_then(|n| d.entity(n)) else {
        return format!("{} (its entity is not defined)\n", t.name);
    };
    let mut cols: Vec<(String, &crate::design::Attribute)> = Vec::new();
    let find = |n: &str| e.attributes.iter().find(|a| a.name == n);
    if let Some(a) = find(&t.partition_key.name) {
        cols.push((format!("{} (PK)", a.name), a));
    }
    if let Some(sk) = &t.sort_key
        && let Some(a) = find(&sk.name)
    {
        cols.push((format!("{} (SK)", a.name), a));
    }
    for a in &e.attributes {
        if !cols.iter().any(|(_, c)| c.name == a.name) {
            cols.push((a.name.clone(), a));
        }
    }
    let rows: Vec<Vec<String>> = (0..3u64)
        .map(|row| {
            cols.iter()
                .enumerate()
                .map(|(i, (_, a))| {
                    // Items of one collection share their partition key.
                    let r = if i == 0 && t.sort_key.is_some() {
                        0
                    } else {
                        row
                    };
                    clip(&samples::value(d, a, r), 22)
                })
                .collect()
        })
        .collect();
    let widths: Vec<usize> = cols
        .iter()
        .enumerate()
        .map(|(i, (h, _))| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain(std::iter::once(h.chars().count()))
                .max()
                .unwrap_or(3)
        })
        .collect();
    // Keep the columns that fit, then say how many were left out.
    let mut keep = 0;
    let mut total = 1;
    for w in &widths {
        if total + w + 3 > super::markdown::MAX_WIDTH - 4 {
            break;
        }
        total += w + 3;
        keep += 1;
    }
    let keep = keep.max(1);
    let more = cols.len() - keep;
    let bar = format!(
        "+{}+",
        widths[..keep]
            .iter()
            .map(|w| "-".repeat(w + 2))
            .collect::<Vec<_>>()
            .join("+")
    );
    let line = |cells: Vec<String>| {
        let body: Vec<String> = cells
            .iter()
            .zip(&widths[..keep])
            .map(|(c, w)| format!(" {c}{} ", " ".repeat(w - c.chars().count())))
            .collect();
        format!("|{}|", body.join("|"))
    };
    let mut out = format!(
        "{} — {} item(s)\n{bar}\n",
        t.name,
        group(Decimal::from(e.item_count), 0)
    );
    out.push_str(&line(cols[..keep].iter().map(|(h, _)| h.clone()).collect()));
    if more > 0 {
        out.push_str(&format!(" +{more} more"));
    }
    out.push('\n');
    out.push_str(&bar);
    out.push('\n');
    for r in &rows {
        out.push_str(&line(r[..keep].to_vec()));
        out.push('\n');
    }
    out.push_str(&bar);
    out.push('\n');
    out
}

/// Key attributes with their types, "TournamentId (S) + Region (S)".
fn typed_keys(keys: &[&crate::design::KeyAttribute]) -> String {
    keys.iter()
        .map(|k| format!("{} ({})", k.name, k.ty.code()))
        .collect::<Vec<_>>()
        .join(" + ")
}

fn keys_text(pk: &str, sk: Option<&str>) -> String {
    match sk {
        Some(sk) => format!("{pk} + {sk}"),
        None => pk.to_string(),
    }
}

/// Units of one call as a short sentence.
fn units_text(d: &Design, p: &crate::design::AccessPattern) -> String {
    let Some(u) = cost::op_units(d, p) else {
        return "no valid target".to_string();
    };
    if p.is_write() {
        let mut s = format!(
            "{} WRU on the table ({} B item)",
            plain(u.table_write),
            group(
                Decimal::from(capacity::pattern_item_bytes(d, p).unwrap_or(0)),
                0
            )
        );
        for (ix, n) in &u.indexes {
            s.push_str(&format!(" + {} WRU on {ix}", plain(*n)));
        }
        s
    } else {
        let bytes = capacity::read_bytes_per_call(d, p).unwrap_or(0);
        let items = match p.api {
            crate::design::Api::Query => p.items_per_query.unwrap_or(1),
            _ => 1,
        };
        format!(
            "{} RRU per call ({}, {} item(s), {} B read)",
            plain(u.total()),
            p.consistency.label().to_lowercase(),
            items,
            group(Decimal::from(bytes), 0)
        )
    }
}

/// The exact call that serves a pattern, as a developer would write it.
pub fn request_text(d: &Design, p: &AccessPattern) -> String {
    let Some((target, (pk, sk))) = p.target.as_ref().zip(d.target_keys(p)) else {
        return "(no valid target)".to_string();
    };
    let mut parts = vec![format!("TableName={}", target.table)];
    let key = || match sk {
        Some(sk) => format!("Key={{{}, {}}}", pk.name, sk.name),
        None => format!("Key={{{}}}", pk.name),
    };
    let consistent = |parts: &mut Vec<String>| {
        if p.consistency == Consistency::Strong {
            parts.push("ConsistentRead=true".to_string());
        }
    };
    match p.api {
        Api::GetItem => {
            parts.push(key());
            consistent(&mut parts);
        }
        Api::Query | Api::Scan => {
            if let Some(ix) = &target.index {
                parts.push(format!("IndexName={ix}"));
            }
            if p.api == Api::Query {
                parts.push(format!(
                    "KeyConditionExpression=\"{}\"",
                    d.key_condition(p).unwrap_or_default()
                ));
                if let Some(o) = p.order
                    && !o.scan_index_forward()
                {
                    parts.push("ScanIndexForward=false".to_string());
                }
            }
            parts.push(format!("Limit={}", p.items_per_query.unwrap_or(1)));
            consistent(&mut parts);
        }
        Api::PutItem => parts.push(format!(
            "Item=<whole {}, {} B>",
            p.entity,
            group(
                Decimal::from(capacity::pattern_item_bytes(d, p).unwrap_or(0)),
                0
            )
        )),
        Api::UpdateItem => {
            parts.push(key());
            if !p.updates.is_empty() {
                let sets: Vec<String> = p.updates.iter().map(|a| format!("{a} = :{a}")).collect();
                parts.push(format!("UpdateExpression=\"SET {}\"", sets.join(", ")));
            }
        }
        Api::DeleteItem => parts.push(key()),
    }
    format!("{}({})", p.api.name(), parts.join(", "))
}

/// What a read returns: an index gives only what it projects.
fn returns_text(d: &Design, p: &AccessPattern) -> String {
    if p.is_write() {
        return String::new();
    }
    let index = p
        .target
        .as_ref()
        .and_then(|t| Some((d.table(&t.table)?, t.index.as_deref()?)))
        .and_then(|(t, ix)| t.index(ix));
    match index {
        None => "whole items".to_string(),
        Some((_, ix)) => match ix.projection.ty {
            ProjectionType::All => "whole items (ALL projected)".to_string(),
            ProjectionType::KeysOnly => "keys only (KEYS_ONLY)".to_string(),
            ProjectionType::Include => {
                format!("keys and {} (INCLUDE)", ix.projection.attributes.join(", "))
            }
        },
    }
}

/// The order and uniqueness a pattern needs, and how the design meets them.
fn semantics_text(d: &Design, p: &AccessPattern) -> Vec<String> {
    let mut out = Vec::new();
    let sk = d.target_keys(p).and_then(|(_, sk)| sk);
    if let Some(o) = p.order {
        let how = match sk {
            Some(k) => format!(
                "{} on {}",
                if o.scan_index_forward() {
                    "ScanIndexForward=true (the default)"
                } else {
                    "ScanIndexForward=false"
                },
                k.name
            ),
            None => "not served: the target has no sort key".to_string(),
        };
        let name = o.name().replace('_', " ");
        let mut chars = name.chars();
        let name: String = chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default();
        out.push(format!("{name}: {how}"));
    }
    if p.unique {
        let pk = d
            .target_keys(p)
            .map(|(pk, _)| pk.name.clone())
            .unwrap_or_default();
        let via_index = p.target.as_ref().is_some_and(|t| t.index.is_some());
        out.push(if via_index {
            format!(
                "{pk} must be unique, which an index cannot enforce (DDB112): a uniqueness item \
                 keyed by {pk}, written in the same transaction, would"
            )
        } else {
            format!("{pk} is unique: the table's primary key enforces it")
        });
    }
    out
}

/// The monthly cost at the design's rates, against its budget, with what drives it.
fn cost_context(d: &Design, r: &cost::CostReport) -> serde_json::Value {
    // A month is paid at its average rates (peak where a pattern gives no average), as the
    // validator's DDB306 judges it.
    let over = r.total_at_average > r.budget;
    let mut drivers: Vec<&cost::PatternCost> = r.patterns.iter().collect();
    drivers.sort_by_key(|c| std::cmp::Reverse(c.monthly_at_peak));
    let drivers: Vec<String> = drivers
        .iter()
        .take(3)
        .map(|c| {
            let share = if r.total_at_peak > Decimal::ZERO {
                (c.monthly_at_peak * Decimal::from(100) / r.total_at_peak).round()
            } else {
                Decimal::ZERO
            };
            format!(
                "{} ({} on {}, {} per second): ${} a month, {share} % of the total",
                c.id,
                c.api,
                c.index.as_deref().unwrap_or(&c.table),
                plain(c.peak_rps),
                usd(c.monthly_at_peak)
            )
        })
        .collect();
    json!({
        "conventions": super::cost::conventions(r),
        "targets_table": super::cost::targets_table(r).fenced(),
        "storage_table": super::cost::storage_table(r).fenced(),
        "classes_table": super::cost::classes_table(r).fenced(),
        "classes_note": super::cost::classes_note(r),
        "total_peak": usd(r.total_at_peak),
        "total_average": usd(r.total_at_average),
        "budget": usd(r.budget),
        "over": over,
        "over_by": usd(r.total_at_average.saturating_sub(r.budget)),
        "peak_over": r.total_at_peak > r.budget,
        "drivers": drivers,
        "region": d.app.region,
    })
}

/// The Stage 2 document.
pub fn stage2(d: &Design) -> Result<String, RenderError> {
    // Names are never cut: long text wraps onto continuation lines instead.
    let mut overview = MdTable::new(&[
        ("Table/Index", Align::Left),
        ("Purpose", Align::Left),
        ("PK", Align::Left),
        ("SK", Align::Left),
        ("GSIs", Align::Left),
        ("Satisfies", Align::Left),
    ])
    .keep_whole(&[0, 2, 3])
    .wrap();
    let serves = |table: &str, index: Option<&str>| {
        d.patterns_served_by(table, index)
            .map(|p| p.id.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    for t in &d.tables {
        overview.row([
            t.name.clone(),
            t.purpose.clone(),
            t.partition_key.name.clone(),
            t.sort_key
                .as_ref()
                .map(|k| k.name.clone())
                .unwrap_or_default(),
            t.global_secondary_indexes
                .iter()
                .map(|g| g.name.clone())
                .collect::<Vec<_>>()
                .join(", "),
            serves(&t.name, None),
        ]);
        for (_, ix) in t.indexes() {
            overview.row([
                ix.name.clone(),
                ix.purpose.clone(),
                ix.partition_key_text(),
                ix.sort_key_text(),
                String::new(),
                serves(&t.name, Some(&ix.name)),
            ]);
        }
    }
    let mut gsi_t = MdTable::new(&[
        ("Index", Align::Left),
        ("Table", Align::Left),
        ("PK", Align::Left),
        ("SK", Align::Left),
        ("Projection", Align::Left),
    ])
    .keep_whole(&[0, 1, 2, 3])
    .wrap();
    let mut decisions = Vec::new();
    let tables: Vec<_> = d
        .tables
        .iter()
        .map(|t| {
            if let Some(r) = &t.rationale {
                decisions.push(format!("**{}**: {r}", t.name));
            }
            let indexes: Vec<_> = t
                .indexes()
                .map(|(kind, ix)| {
                    gsi_t.row([
                        match kind {
                            IndexKind::Global => ix.name.clone(),
                            IndexKind::Local => format!("{} (LSI)", ix.name),
                        },
                        t.name.clone(),
                        typed_keys(&ix.partition_keys()),
                        typed_keys(&ix.sort_keys()),
                        match ix.projection.ty {
                            ProjectionType::Include => format!(
                                "INCLUDE {}",
                                ix.projection.attributes.join(", ")
                            ),
                            other => other.name().to_string(),
                        },
                    ]);
                    if let Some(r) = &ix.rationale {
                        decisions.push(format!("**{}**: {r}", ix.name));
                    }
                    json!({
                        "name": ix.name,
                        "kind": match kind { IndexKind::Global => "GSI", IndexKind::Local => "LSI" },
                        "purpose": ix.purpose,
                        "keys": match (ix.multi_attribute(), ix.sort_keys().is_empty()) {
                            (_, true) => ix.partition_key_text(),
                            (false, false) => format!("{} + {}", ix.partition_key_text(), ix.sort_key_text()),
                            (true, false) => format!(
                                "partition key {}, sort key {}",
                                ix.partition_key_text(),
                                ix.sort_key_text()
                            ),
                        },
                        "projection": match ix.projection.ty {
                            ProjectionType::Include => format!("INCLUDE {}", ix.projection.attributes.join(", ")),
                            other => other.name().to_string(),
                        },
                        "rationale": ix.rationale,
                    })
                })
                .collect();
            json!({
                "name": t.name,
                "purpose": t.purpose.trim_end_matches('.'),
                "keys": keys_text(&t.partition_key.name, t.sort_key.as_ref().map(|k| k.name.as_str())),
                "entities": t.entities.join(", "),
                "rationale": t.rationale,
                "ttl": t.ttl_attribute,
                "has_sort_key": t.sort_key.is_some(),
                "picture": key_picture(d, t),
                "indexes": indexes,
            })
        })
        .collect();
    let priced = cost::PriceFile::built_in_or_stand_in(&d.app.region).ok();
    let costs = priced.as_ref().map(|p| cost::estimate(d, p));
    let pattern_cost = |id: &str| {
        costs
            .as_ref()
            .and_then(|r| r.patterns.iter().find(|c| c.id == id))
            .map(|c| usd(c.monthly_at_peak))
            .unwrap_or_default()
    };
    let mut calls = MdTable::new(&[
        ("AP", Align::Left),
        ("API", Align::Left),
        ("Target", Align::Left),
        ("Consistency", Align::Left),
        ("Units/op", Align::Right),
        ("RPS", Align::Right),
        ("$Peak/mo", Align::Right),
    ])
    .keep_whole(&[0, 2])
    .wrap();
    let patterns: Vec<_> = d
        .access_patterns
        .iter()
        .map(|p| {
            let target = p
                .target
                .as_ref()
                .map(|t| match &t.index {
                    Some(ix) => format!("{} / {ix}", t.table),
                    None => t.table.clone(),
                })
                .unwrap_or_else(|| "(none)".to_string());
            let units = cost::op_units(d, p)
                .map(|u| plain(u.total()))
                .unwrap_or_default();
            calls.row([
                p.id.clone(),
                p.api.name().to_string(),
                target.clone(),
                if p.is_write() {
                    "-"
                } else {
                    p.consistency.label()
                }
                .to_string(),
                units,
                plain(p.peak_rps),
                pattern_cost(&p.id),
            ]);
            json!({
                "id": p.id,
                "api": p.api.name(),
                "target": target,
                "request": request_text(d, p),
                "returns": returns_text(d, p),
                "semantics": semantics_text(d, p),
                "units": units_text(d, p),
            })
        })
        .collect();
    let report = rules::check(d);
    let findings: Vec<String> = report
        .findings
        .iter()
        .map(|f| {
            let sev = match (f.severity, &f.accepted) {
                (_, Some(_)) => "accepted",
                (Severity::Error, _) => "error",
                (Severity::Warning, _) => "warning",
                (Severity::Info, _) => "note",
            };
            match &f.accepted {
                Some(why) => format!("{sev} {} ({}): {} — {why}", f.rule, f.pointer, f.message),
                None => format!("{sev} {} ({}): {}", f.rule, f.pointer, f.message),
            }
        })
        .collect();
    let cost = costs.as_ref().map(|r| cost_context(d, r));
    let ctx = json!({
        "app": {"name": d.app.name, "region": d.app.region},
        "cost": cost,
        "overview_table": overview.fenced(),
        "tables": tables,
        "gsi_table": if gsi_t.is_empty() { String::new() } else { gsi_t.fenced() },
        "calls_table": calls.fenced(),
        "patterns": patterns,
        "decisions": decisions,
        "deviations": d.deviations,
        "findings": findings,
    });
    render_template("stage2.md", STAGE2, &ctx)
}

/// Write both documents into `dir` (created if needed); returns the paths written.
pub fn write_all(d: &Design, dir: &Path) -> Result<Vec<PathBuf>, RenderError> {
    std::fs::create_dir_all(dir).map_err(|source| RenderError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut written = Vec::new();
    for (name, text) in [(STAGE1_FILE, stage1(d)?), (STAGE2_FILE, stage2(d)?)] {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|source| RenderError::Io {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}
