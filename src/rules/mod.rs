//! The rule catalogue and the validator that holds a design to it.
//!
//! Rules are plain functions over the design document: deterministic, with no I/O, so the CLI,
//! the model's tool calls and the benchmark all get exactly the same verdict.

mod access;
mod catalogue;
mod consistency;
mod limits;
mod principles;
mod spend;
mod throughput;

use serde::Serialize;

pub use catalogue::{Category, RULES, Rule, Severity, rule};

use crate::design::Design;

/// One thing the validator found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Rule id, e.g. "DDB101".
    pub rule: &'static str,
    /// Severity (a warning accepted by a recorded deviation becomes info).
    pub severity: Severity,
    /// JSON pointer to where in the document it applies.
    pub pointer: String,
    /// The table, index, entity, relationship or access pattern concerned, by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// What is wrong, with the numbers.
    pub message: String,
    /// What to do about it.
    pub fix: &'static str,
    /// The recorded reason, when a deviation accepts this finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted: Option<String>,
}

/// The validator's verdict on a design.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Every finding, errors first.
    pub findings: Vec<Finding>,
}

impl Report {
    /// Number of findings of this severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// True when no finding is an error.
    pub fn is_valid(&self) -> bool {
        self.count(Severity::Error) == 0
    }

    /// Ids of the rules that fired, sorted and without repeats.
    pub fn rule_ids(&self) -> Vec<&'static str> {
        let mut ids: Vec<_> = self.findings.iter().map(|f| f.rule).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// Collects findings; severity and fix hint come from the catalogue so they cannot drift.
#[derive(Default)]
pub(crate) struct Sink {
    findings: Vec<Finding>,
}

impl Sink {
    pub(crate) fn push(
        &mut self,
        id: &'static str,
        pointer: impl Into<String>,
        subject: Option<&str>,
        message: impl Into<String>,
    ) {
        let Some(rule) = rule(id) else {
            // A check naming a rule missing from the catalogue is a bug in this crate; the
            // catalogue test catches it, and the finding still reaches the user.
            self.findings.push(Finding {
                rule: id,
                severity: Severity::Error,
                pointer: pointer.into(),
                subject: subject.map(str::to_string),
                message: message.into(),
                fix: "",
                accepted: None,
            });
            return;
        };
        self.findings.push(Finding {
            rule: rule.id,
            severity: rule.severity,
            pointer: pointer.into(),
            subject: subject.map(str::to_string),
            message: message.into(),
            fix: rule.fix,
            accepted: None,
        });
    }
}

/// Check a design against every rule.
pub fn check(design: &Design) -> Report {
    let mut sink = Sink::default();
    limits::check(design, &mut sink);
    access::check(design, &mut sink);
    principles::check(design, &mut sink);
    throughput::check(design, &mut sink);
    spend::check(design, &mut sink);
    apply_deviations(design, &mut sink);
    let mut findings = sink.findings;
    findings
        .sort_by(|a, b| (a.severity, a.rule, &a.pointer).cmp(&(b.severity, b.rule, &b.pointer)));
    Report { findings }
}

/// A warning whose rule and subject match a recorded deviation is accepted and shown as info;
/// a deviation that matches no warning is itself reported.
fn apply_deviations(design: &Design, sink: &mut Sink) {
    let mut unused = Vec::new();
    for (i, dev) in design.deviations.iter().enumerate() {
        let mut matched = false;
        for f in sink.findings.iter_mut() {
            if f.rule == dev.rule
                && f.subject.as_deref() == Some(dev.subject.as_str())
                && f.severity == Severity::Warning
            {
                f.severity = Severity::Info;
                f.accepted = Some(dev.reason.clone());
                matched = true;
            }
        }
        if !matched {
            let why = match rule(&dev.rule) {
                None => format!("no rule has id `{}`", dev.rule),
                Some(r) if r.severity == Severity::Error => format!(
                    "{} is an error ({}); errors cannot be accepted",
                    r.id, r.title
                ),
                Some(r) => format!(
                    "the design triggers no {} finding on `{}`",
                    r.id, dev.subject
                ),
            };
            unused.push((i, dev.subject.clone(), why));
        }
    }
    for (i, subject, why) in unused {
        sink.push(
            "DDB019",
            format!("/deviations/{i}"),
            Some(&subject),
            format!("deviation accepts nothing: {why}"),
        );
    }
}

/// JSON-pointer helpers shared by the checks.
pub(crate) mod ptr {
    pub fn entity(e: usize) -> String {
        format!("/entities/{e}")
    }
    pub fn attribute(e: usize, a: usize) -> String {
        format!("/entities/{e}/attributes/{a}")
    }
    pub fn table(t: usize) -> String {
        format!("/tables/{t}")
    }
    pub fn pattern(p: usize) -> String {
        format!("/access_patterns/{p}")
    }
    pub fn relationship(r: usize) -> String {
        format!("/relationships/{r}")
    }
    /// Pointer to an index of table `t`; `global` picks the list.
    pub fn index(t: usize, global: bool, i: usize) -> String {
        let list = if global {
            "global_secondary_indexes"
        } else {
            "local_secondary_indexes"
        };
        format!("/tables/{t}/{list}/{i}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_ids_are_unique_sorted_and_well_formed() {
        let ids: Vec<_> = RULES.iter().map(|r| r.id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ids, sorted, "rule ids must be unique and in order");
        for r in RULES {
            assert!(r.id.len() == 6 && r.id.starts_with("DDB"), "{}", r.id);
            assert!(!r.title.is_empty() && !r.explanation.is_empty() && !r.fix.is_empty());
        }
    }
}
