//! The Stage 1 and Stage 2 documents: content, and every table against the markdown rules.

mod common;

use std::path::Path;

use ddb_architect::design;
use ddb_architect::render::docs;
use ddb_architect::render::markdown::check_tables;

fn examples() -> Vec<(String, design::Design)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let d = design::load_file(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p.display().to_string(), d)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn header_of_table_after(doc: &str, heading: &str) -> String {
    let rest = &doc[doc
        .find(heading)
        .unwrap_or_else(|| panic!("no `{heading}`"))..];
    rest.lines()
        .find(|l| l.starts_with('|'))
        .map(|l| {
            l.split('|')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

#[test]
fn every_generated_table_follows_the_markdown_rules() {
    for (name, d) in examples()
        .iter()
        .chain([("base".to_string(), common::design(&common::base()))].iter())
    {
        for (doc_name, doc) in [("stage1", docs::stage1(d)), ("stage2", docs::stage2(d))] {
            let doc = doc.unwrap_or_else(|e| panic!("{name} {doc_name}: {e}"));
            let problems = check_tables(&doc);
            assert!(
                problems.is_empty(),
                "{name} {doc_name}:\n{}\n\n{doc}",
                problems.join("\n")
            );
            let longest = doc
                .lines()
                .filter(|l| l.starts_with('|') || l.starts_with('+'))
                .map(|l| l.chars().count())
                .max()
                .unwrap_or(0);
            assert!(
                longest <= 100,
                "{name} {doc_name}: a drawn line is {longest} characters"
            );
        }
    }
}

#[test]
fn stage1_has_the_access_pattern_table_with_exactly_its_columns() {
    for (name, d) in examples() {
        let doc = docs::stage1(&d).expect("stage1");
        assert_eq!(
            header_of_table_after(&doc, "## Access patterns"),
            "APID,Operation,Entity,KeyCriteria,Consistency,RPS,ItemKB",
            "{name}"
        );
        for p in &d.access_patterns {
            assert!(
                doc.contains(&format!("| {} ", p.id)),
                "{name}: {} missing",
                p.id
            );
        }
        for e in &d.entities {
            assert!(
                doc.contains(&format!("### {}", e.name)),
                "{name}: entity {}",
                e.name
            );
        }
        for r in &d.relationships {
            assert!(
                doc.contains(&format!("| {} |", r.from)) && doc.contains(&format!("| {} |", r.to)),
                "{name}: relationship {}->{} not drawn",
                r.from,
                r.to
            );
        }
    }
}

#[test]
fn stage2_has_the_model_table_calls_and_key_conditions() {
    for (name, d) in examples() {
        let doc = docs::stage2(&d).expect("stage2");
        assert_eq!(
            header_of_table_after(&doc, "## Tables and indexes"),
            "Table/Index,Purpose,PK,SK,GSIs,Satisfies",
            "{name}"
        );
        for t in &d.tables {
            assert!(
                doc.contains(&format!("## {}", t.name)),
                "{name}: table {}",
                t.name
            );
            assert!(
                doc.contains(&format!("{} — ", t.name)),
                "{name}: key picture of {}",
                t.name
            );
        }
        for p in &d.access_patterns {
            let kc = d.key_condition(p).expect("key condition");
            assert!(
                doc.contains(&format!("`{kc}`")),
                "{name}: {} key condition",
                p.id
            );
        }
        assert!(
            doc.contains("passes every rule"),
            "{name}: findings section"
        );
    }
}

#[test]
fn stage2_lists_findings_and_accepted_deviations() {
    let mut v = common::base();
    common::set(
        &mut v,
        "/tables/1/global_secondary_indexes/0/name",
        serde_json::json!("GSI1"),
    );
    common::set(
        &mut v,
        "/access_patterns/1/target/index",
        serde_json::json!("GSI1"),
    );
    common::set(
        &mut v,
        "/deviations",
        serde_json::json!([{"rule": "DDB206", "subject": "GSI1", "reason": "kept for an old client"}]),
    );
    let doc = docs::stage2(&common::design(&v)).expect("stage2");
    assert!(doc.contains("accepted DDB206"), "{doc}");
    assert!(
        doc.contains("**DDB206** on GSI1: kept for an old client"),
        "{doc}"
    );
}

#[test]
fn the_key_condition_follows_the_target_keys() {
    let d = common::design(&common::base());
    assert_eq!(
        d.key_condition(&d.access_patterns[1]).as_deref(),
        Some("CustomerId = :CustomerId AND OrderDate BETWEEN :OrderDateFrom AND :OrderDateTo")
    );
    assert_eq!(
        d.key_condition(&d.access_patterns[0]).as_deref(),
        Some("CustomerId = :CustomerId")
    );
}

#[test]
fn render_writes_both_files() {
    let dir = std::env::temp_dir().join(format!("ddb-architect-render-{}", std::process::id()));
    let d = common::design(&common::base());
    let written = docs::write_all(&d, &dir).expect("write");
    assert_eq!(written.len(), 2);
    assert!(dir.join(docs::STAGE1_FILE).is_file() && dir.join(docs::STAGE2_FILE).is_file());
    let _ = std::fs::remove_dir_all(&dir);
}
