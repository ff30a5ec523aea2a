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
            let request = docs::request_text(&d, p);
            assert!(
                doc.contains(&format!("`{request}`")),
                "{name}: {} request",
                p.id
            );
            if p.api == design::Api::Query {
                assert!(
                    request.contains(&format!("KeyConditionExpression=\"{kc}\"")),
                    "{name}: {request}"
                );
                let backwards = p.order.is_some_and(|o| !o.scan_index_forward());
                assert_eq!(
                    request.contains("ScanIndexForward=false"),
                    backwards,
                    "{name}: {request}"
                );
            }
        }
        // Every name is shown whole: no table cell of the document is cut short.
        let tables: String = doc
            .split("```")
            .skip(1)
            .step_by(2)
            .filter(|block| block.trim_start().starts_with('|'))
            .collect();
        assert!(!tables.contains('…'), "{name}: a cut cell\n{tables}");
        for t in &d.tables {
            for (_, ix) in t.indexes() {
                assert!(
                    tables.contains(&format!("| {} ", ix.name)),
                    "{name}: {} not whole in a table",
                    ix.name
                );
            }
        }
        assert!(
            doc.contains("passes every rule") || doc.contains("- accepted DDB"),
            "{name}: findings section"
        );
    }
}

#[test]
fn stage2_prices_the_design_against_its_budget_and_names_what_drives_it() {
    let (_, mut shop) = examples()
        .into_iter()
        .find(|(n, _)| n.contains("online-shop"))
        .expect("online-shop example");
    let costs = ddb_architect::cost::estimate(
        &shop,
        &ddb_architect::cost::PriceFile::built_in_or_stand_in(&shop.app.region).expect("prices"),
    );
    assert!(costs.total_at_average > shop.app.sla.monthly_budget_usd);
    let doc = docs::stage2(&shop).expect("stage2");
    let total = ddb_architect::render::usd(costs.total_at_average);
    assert!(
        doc.contains(&format!("**${total} a month at average rates**")),
        "{doc}"
    );
    assert!(doc.contains("**Over budget**"), "{doc}");
    // The top driver is the costliest pattern, with its share.
    let top = costs
        .patterns
        .iter()
        .max_by_key(|p| p.monthly_at_peak)
        .expect("patterns");
    assert!(
        doc.contains(&format!("> - {} ({} on", top.id, top.api)),
        "{doc}"
    );
    for t in &shop.tables {
        assert!(doc.contains(&format!("| {} ", t.name)), "{}", t.name);
    }

    // The same design with room in its budget says so, and warns of nothing.
    shop.app.sla.monthly_budget_usd = rust_decimal::Decimal::from(10_000);
    let doc = docs::stage2(&shop).expect("stage2");
    assert!(!doc.contains("Over budget"), "{doc}");
    assert!(doc.contains("Within budget at average rates"), "{doc}");
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

/// A read's figures as a run reports them.
fn figures(id: &str, p95_ms: f64, errors: u64) -> ddb_architect::bench::Summary {
    let mut s = common::summary(id, "read", "GetItem", p95_ms);
    s.errors = errors;
    s
}

/// Stage 5 is drawn from the session: two sessions that went differently read differently,
/// and each lesson names what happened in it.
#[test]
fn stage5_lessons_come_from_the_session() {
    use ddb_architect::render::lessons::{self, Raised, RunFacts, SessionFacts};
    let (_, shop) = examples()
        .into_iter()
        .find(|(n, _)| n.contains("online-shop"))
        .expect("online-shop example");
    let prices = ddb_architect::cost::PriceFile::built_in_or_stand_in("us-east-1").ok();
    let quiet = SessionFacts {
        design: &shop,
        iterations: 1,
        local: true,
        runs: vec![RunFacts {
            number: 1,
            iteration: 1,
            partial: false,
            summaries: vec![figures("AP1", 40.0, 0), figures("AP5", 4.0, 0)],
        }],
        raised: vec![],
        choices: vec!["accept".into()],
        prices: prices.clone(),
    };
    let eventful = SessionFacts {
        design: &shop,
        iterations: 2,
        local: false,
        runs: vec![
            RunFacts {
                number: 1,
                iteration: 1,
                partial: false,
                summaries: vec![figures("AP1", 40.0, 0), figures("AP5", 4.0, 3)],
            },
            RunFacts {
                number: 2,
                iteration: 2,
                partial: false,
                summaries: vec![figures("AP1", 8.0, 0), figures("AP5", 4.0, 0)],
            },
        ],
        raised: vec![Raised {
            rule: "DDB104".into(),
            pointer: "/access_patterns/5/key_criteria/1".into(),
            message: "AP6: `Status` is not a key of table Orders".into(),
        }],
        choices: vec!["redesign".into(), "accept".into()],
        prices,
    };
    let a = lessons::draw(&quiet);
    let b = lessons::draw(&eventful);
    assert_ne!(a.lessons, b.lessons);
    assert_ne!(a.next_steps, b.next_steps);

    let has = |l: &[String], text: &str| l.iter().any(|x| x.contains(text));
    // The local session judges no latency and says where to measure it.
    assert!(
        has(&a.lessons, "no pattern was judged against the SLA"),
        "{a:#?}"
    );
    assert!(
        has(&a.next_steps, "run the benchmark against AWS"),
        "{a:#?}"
    );
    assert!(has(&a.lessons, "raised nothing"), "{a:#?}");
    // Both know the design is over its budget, and name the largest cost.
    for l in [&a, &b] {
        assert!(has(&l.lessons, "over the $500.00 budget"), "{l:#?}");
        assert!(
            has(
                &l.next_steps,
                "Bring the cost under budget, starting with AP8"
            ),
            "{l:#?}"
        );
        assert!(
            has(&l.lessons, "Accepted deviation from DDB112 on AP2"),
            "{l:#?}"
        );
    }
    // The eventful one: the fixed finding, the miss and its cause, the change between runs.
    assert!(has(&b.lessons, "DDB104 was raised and fixed"), "{b:#?}");
    assert!(
        has(
            &b.lessons,
            "Run 1 (iteration 1) on AWS: 0 of 2 pattern(s) met"
        ),
        "{b:#?}"
    );
    assert!(
        has(
            &b.lessons,
            "AP1 (p95 40.00 ms against 20 ms: eventual reads)"
        ),
        "{b:#?}"
    );
    assert!(
        has(
            &b.lessons,
            "AP5 (p95 4.00 ms against 20 ms: fix errors first)"
        ),
        "{b:#?}"
    );
    assert!(
        has(
            &b.lessons,
            "Run 2 (iteration 2) on AWS: 2 of 2 pattern(s) met"
        ),
        "{b:#?}"
    );
    assert!(
        has(
            &b.lessons,
            "a redesigned model), the largest p95 changes: AP1 40.00 → 8.00 ms (-80 %)"
        ),
        "{b:#?}"
    );
    assert!(has(&b.lessons, "redesign, accept"), "{b:#?}");
    assert!(
        !has(&b.next_steps, "run the benchmark against AWS"),
        "{b:#?}"
    );

    // A warning the design ends with, neither fixed nor accepted, is named with what to do.
    let mut open_design = shop.clone();
    open_design.deviations.clear();
    let open = lessons::draw(&SessionFacts {
        design: &open_design,
        ..quiet.clone()
    });
    assert!(
        has(
            &open.lessons,
            "neither fixed nor accepted: warning DDB112 on AP2"
        ),
        "{open:#?}"
    );
    assert!(has(&open.next_steps, "record a deviation"), "{open:#?}");

    let doc = lessons::stage5(&eventful, &["A note".into()], &["A step".into()]);
    assert!(
        doc.contains("## What the session showed") && doc.contains("- A note"),
        "{doc}"
    );
    assert!(doc.contains("- A step"), "{doc}");
}
