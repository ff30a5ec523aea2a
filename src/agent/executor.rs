//! The executor: every tool call goes through the same steps — known tool, JSON, schema, stage,
//! design rules and preconditions, approval — before anything runs. A failure at any step
//! becomes a tool result the model can read and correct; nothing the model sends can end the
//! session.

use std::path::PathBuf;

use serde_json::{Value, json};

use super::session::{DESIGN_FILE, LESSONS_FILE, RunRecord, State, Workspace};
use super::tools::{self, Call, Effect, ToolDef};
use crate::cli::aws_cmd::{self, Target};
use crate::design::Design;
use crate::provision::{Lines, Yes, cleanup, deploy, ledger::Ledger};
use crate::render::{analysis, docs};
use crate::rules::{self, Severity};

/// Most items per entity the agent writes in one run; more needs the `bench` command.
pub const MAX_AGENT_ITEMS: u64 = 100_000;

/// Where the executor shows what it does and asks for approval.
pub trait Ui: Send {
    /// Streamed model text.
    fn text(&mut self, s: &str);
    /// The end of a model reply.
    fn end_reply(&mut self) {}
    /// A line from the executor (tool progress, gates, warnings).
    fn info(&mut self, s: &str);
    /// Show `summary` and ask whether `tool` may go ahead; true only on an explicit yes.
    fn approve(&mut self, tool: &str, summary: &str) -> bool;
}

/// The outcome of one call, as the model will read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Whether it succeeded.
    pub ok: bool,
    /// The result (on failure: step, message, fix).
    pub content: Value,
    /// The approval asked for, with its answer.
    pub approval: Option<(String, bool)>,
}

impl Outcome {
    fn ok(content: Value) -> Self {
        let mut content = content;
        if let Some(o) = content.as_object_mut() {
            o.insert("ok".to_string(), Value::Bool(true));
        }
        Self {
            ok: true,
            content,
            approval: None,
        }
    }

    fn fail(step: &str, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            ok: false,
            content: json!({"ok": false, "step": step, "error": message.into(), "fix": fix.into()}),
            approval: None,
        }
    }

    /// The text sent back to the model.
    pub fn text(&self) -> String {
        serde_json::to_string(&self.content).unwrap_or_else(|_| "{\"ok\":false}".to_string())
    }
}

/// What a session needs to act: its state, workspace and target.
pub struct Executor<'a> {
    /// Session state (changed by successful calls).
    pub state: &'a mut State,
    /// Where files go.
    pub workspace: &'a Workspace,
    /// Display and approval.
    pub ui: &'a mut dyn Ui,
}

/// Steps before approval: everything that can be decided without asking or acting.
pub fn check(
    state: &State,
    name: &str,
    arguments: &str,
    by_person: bool,
) -> Result<(&'static ToolDef, Call), Outcome> {
    let Some(def) = tools::find(name) else {
        let names: Vec<&str> = tools::TOOLS.iter().map(|t| t.name).collect();
        let hint = crate::design::nearest(name, names.iter().copied())
            .map(|n| format!("Did you mean `{n}`? "))
            .unwrap_or_default();
        return Err(Outcome::fail(
            "unknown_tool",
            format!("there is no tool called `{name}`"),
            format!("{hint}The tools are: {}.", names.join(", ")),
        ));
    };
    let text = if arguments.trim().is_empty() {
        "{}"
    } else {
        arguments
    };
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return Err(Outcome::fail(
                "parse",
                format!("the arguments are not valid JSON: {e}"),
                "Send the arguments as one JSON object.",
            ));
        }
    };
    if !value.is_object() {
        return Err(Outcome::fail(
            "parse",
            "the arguments must be a JSON object",
            "Wrap the arguments in { }.",
        ));
    }
    let call = tools::parse(name, value).map_err(|e| {
        Outcome::fail(
            "schema",
            format!("{name}: {e}"),
            "Follow the tool's JSON Schema: field names, types and required fields.",
        )
    })?;
    if !by_person && !def.stages.contains(&state.stage) {
        let allowed: Vec<String> = def
            .stages
            .iter()
            .map(|s| format!("{} ({})", s.number(), s.name()))
            .collect();
        return Err(Outcome::fail(
            "stage",
            format!(
                "{name} belongs to stage {}; the session is in stage {} ({})",
                allowed.join(", "),
                state.stage.number(),
                state.stage.name()
            ),
            format!(
                "Finish this stage first: {}. Only the developer can move the session on.",
                state.stage.question()
            ),
        ));
    }
    preconditions(state, &call)?;
    Ok((def, call))
}

fn need_model(state: &State) -> Result<&Design, Outcome> {
    match &state.design {
        Some(d) if state.model_valid => Ok(d),
        _ => Err(Outcome::fail(
            "precondition",
            "there is no data model that passes the rules yet",
            "Record the requirements, then propose a data model (propose_data_model) in Stage 2.",
        )),
    }
}

fn preconditions(state: &State, call: &Call) -> Result<(), Outcome> {
    match call {
        Call::ProposeDataModel(_) if state.design.is_none() => Err(Outcome::fail(
            "precondition",
            "no requirements are recorded",
            "Call record_requirements first.",
        )),
        Call::EstimateCost(_) | Call::CreateTables(_) | Call::ExportScripts(_) => {
            need_model(state).map(|_| ())
        }
        Call::DeployFunction(_) | Call::RunBenchmark(_) => {
            need_model(state)?;
            if !state.tables_created {
                return Err(Outcome::fail(
                    "precondition",
                    "the benchmark tables do not exist",
                    "Call create_tables first.",
                ));
            }
            Ok(())
        }
        Call::WriteAnalysis(_) if state.runs.is_empty() => Err(Outcome::fail(
            "precondition",
            "there is no benchmark run to analyse",
            "Run the benchmark in Stage 3 first.",
        )),
        Call::FinishSession(_) if !state.cleaned => Err(Outcome::fail(
            "precondition",
            "cleanup has not been verified",
            "Call clean_up first; lessons are saved once nothing is left running.",
        )),
        _ => Ok(()),
    }
}

fn findings(report: &rules::Report) -> Value {
    report
        .findings
        .iter()
        .filter(|f| f.severity != Severity::Info)
        .map(|f| {
            json!({"rule": f.rule, "severity": format!("{:?}", f.severity).to_lowercase(),
                   "at": f.pointer, "problem": f.message, "fix": f.fix})
        })
        .collect()
}

fn io_err(what: &str, e: impl std::fmt::Display) -> String {
    format!("{what}: {e}")
}

impl Executor<'_> {
    fn target(&self) -> Target {
        Target {
            local: self.state.local,
            profile: self.state.profile.clone(),
            region: (!self.state.local)
                .then(|| self.state.design.as_ref().map(|d| d.app.region.clone()))
                .flatten(),
            workspace: self.workspace.dir.clone(),
        }
    }

    fn write(&self, name: &str, text: &str) -> Result<PathBuf, String> {
        let path = self.workspace.file(name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io_err(&dir.display().to_string(), e))?;
        }
        std::fs::write(&path, text).map_err(|e| io_err(&path.display().to_string(), e))?;
        Ok(path)
    }

    fn save_design(&self, d: &Design) -> Result<(), String> {
        let text = serde_json::to_string_pretty(d).map_err(|e| e.to_string())?;
        self.write(DESIGN_FILE, &text).map(|_| ())
    }

    /// Run one call through every step. `by_person` marks calls the developer made with a slash
    /// command: they skip the stage check (the person may act at any time) but not approval.
    pub fn run(&mut self, name: &str, arguments: &str, by_person: bool) -> Outcome {
        let (def, call) = match check(self.state, name, arguments, by_person) {
            Ok(x) => x,
            Err(o) => return o,
        };
        let mut approval = None;
        if def.effect != Effect::ReadOnly {
            let summary = match self.summary(&call) {
                Ok(Some(s)) => s,
                Ok(None) => String::new(),
                Err(o) => return o,
            };
            if !summary.is_empty() {
                let yes = self.ui.approve(name, &summary);
                approval = Some((summary, yes));
                if !yes {
                    let mut o = Outcome::fail(
                        "approval",
                        format!("the developer declined {name}: nothing was created or deleted"),
                        "Ask the developer what they would like to change before trying again.",
                    );
                    o.approval = approval;
                    return o;
                }
            }
        }
        let mut o = match self.execute(call) {
            Ok(v) => Outcome::ok(v),
            Err(e) => Outcome::fail(
                "execute",
                e,
                "Read the error, fix what it names, and try again; or ask the developer.",
            ),
        };
        o.approval = approval;
        o
    }

    /// What the person is asked before a billable or destructive call; None when there is
    /// nothing to ask (e.g. nothing to delete).
    fn summary(&mut self, call: &Call) -> Result<Option<String>, Outcome> {
        let d = self.state.design.clone();
        let local = self.state.local;
        let region = d
            .as_ref()
            .map_or("us-east-1".to_string(), |d| d.app.region.clone());
        let estimate = d
            .as_ref()
            .map(|d| aws_cmd::estimate_text(d, &region, local))
            .unwrap_or_default();
        let target = if local {
            "Target: the embedded DynamoDB emulator on this machine (free).".to_string()
        } else {
            // Who is about to pay: the account is checked (read-only) before the question.
            let who = self.identity().map_err(|e| {
                Outcome::fail(
                    "precondition",
                    format!("cannot tell which AWS account this would use: {e}"),
                    "Run check_environment and ask the developer to fix the credentials it names.",
                )
            })?;
            format!(
                "Target: AWS account {}, Region {}{}.",
                who.who(),
                who.region,
                self.state
                    .profile
                    .as_deref()
                    .map(|p| format!(", profile {p}"))
                    .unwrap_or_default()
            )
        };
        Ok(match call {
            Call::CreateTables(_) => {
                let d = need_model(self.state)?;
                let mut s = format!("{target}\nWill create (on-demand, waiting until ACTIVE):\n");
                for t in &d.tables {
                    s.push_str(&format!(
                        "  table {} ({} GSI(s))\n",
                        d.benchmark_table_name(t),
                        t.global_secondary_indexes.len()
                    ));
                }
                let live = self.live_or_fail()?;
                if !live.is_empty() {
                    s.push_str("Will first delete the earlier benchmark resources:\n");
                    for l in live {
                        s.push_str(&format!("  {l}\n"));
                    }
                }
                s.push_str(&format!(
                    "Estimated cost of one benchmark run: {estimate}\n"
                ));
                Some(s)
            }
            Call::DeployFunction(a) => {
                if local {
                    return Ok(None);
                }
                Some(format!(
                    "{target}\nWill create:\n  IAM role DynamoDBBenchmarkRole (Lambda trust; item \
                     access to {}* and its own logs only)\n  log group /aws/lambda/DynamoDBBenchmark \
                     (7-day retention)\n  function DynamoDBBenchmark ({} MB, {} s timeout)\n\
                     Estimated cost of one benchmark run: {estimate}\n",
                    d.as_ref().map(|d| d.benchmark_prefix()).unwrap_or_default(),
                    a.memory_mb.unwrap_or(1769),
                    a.timeout_s.unwrap_or(900)
                ))
            }
            Call::RunBenchmark(a) => {
                let d = need_model(self.state)?;
                let cost = if local {
                    "$0.00 (local emulator)".to_string()
                } else {
                    let items = a
                        .items
                        .map(|n| d.entities.iter().map(|e| (e.name.clone(), n)).collect())
                        .unwrap_or_default();
                    let plan = crate::cost::BenchmarkPlan::for_run(
                        d,
                        &items,
                        f64::from(a.duration_s.unwrap_or(30)),
                        f64::from(a.warmup_s.unwrap_or(5)),
                        a.scale.unwrap_or(rust_decimal::Decimal::ONE),
                        u64::from(a.workers.unwrap_or(1)),
                    );
                    crate::render::cost::benchmark_cost_text(d, &d.app.region, &plan, "")
                };
                Some(format!(
                    "{target}\nWill run the benchmark of {}: {} item(s) per entity, scale {}, \
                     {} s per phase after {} s warm-up, {} worker(s){}.\nEstimated cost: {cost}\n",
                    d.app.name,
                    a.items
                        .map_or("the design's".to_string(), |n| n.to_string()),
                    a.scale.unwrap_or(rust_decimal::Decimal::ONE),
                    a.duration_s.unwrap_or(30),
                    a.warmup_s.unwrap_or(5),
                    a.workers.unwrap_or(1),
                    if a.hot_keys { ", hot keys" } else { "" }
                ))
            }
            Call::CleanUp(_) => {
                let live = self.live_or_fail()?;
                if live.is_empty() {
                    None
                } else {
                    let mut s = format!("{target}\nWill delete, then check each is gone:\n");
                    for l in live {
                        s.push_str(&format!("  {l}\n"));
                    }
                    Some(s)
                }
            }
            _ => None,
        })
    }

    fn identity(&self) -> Result<crate::provision::Identity, String> {
        let rt = aws_cmd::runtime().map_err(|e| e.to_string())?;
        let target = self.target();
        rt.block_on(async {
            aws_cmd::connect(&target)
                .await
                .map(|(_, who, _)| who)
                .map_err(|e| e.to_string())
        })
    }

    fn ledger(&self) -> Result<Ledger, String> {
        Ledger::open(&self.workspace.file("ledger.json")).map_err(|e| e.to_string())
    }

    /// Resources the ledger shows as live, as "kind name" lines; an unreadable ledger is an
    /// error, never "nothing live".
    pub fn live_resources(&self) -> Result<Vec<String>, String> {
        self.ledger().map(|l| {
            l.live()
                .iter()
                .map(|e| format!("{} {}", e.kind.label(), e.name))
                .collect()
        })
    }

    fn live_or_fail(&self) -> Result<Vec<String>, Outcome> {
        self.live_resources().map_err(|e| {
            Outcome::fail(
                "precondition",
                format!("the ledger cannot be read: {e}"),
                "Tell the developer: the workspace's ledger.json must be repaired or moved \
                 aside before anything is created or deleted.",
            )
        })
    }

    fn execute(&mut self, call: Call) -> Result<Value, String> {
        match call {
            Call::CheckEnvironment(_) => self.check_environment(),
            Call::RecordRequirements(a) => self.record_requirements(*a),
            Call::ProposeDataModel(a) => self.propose_data_model(*a),
            Call::EstimateCost(a) => self.estimate_cost(a),
            Call::CreateTables(_) => self.create_tables(),
            Call::DeployFunction(a) => self.deploy_function(a),
            Call::RunBenchmark(a) => self.run_benchmark(a),
            Call::WriteAnalysis(a) => self.write_analysis(a),
            Call::ExportScripts(_) => self.export_scripts(),
            Call::CleanUp(_) => self.clean_up(),
            Call::FinishSession(a) => self.finish_session(a),
        }
    }

    fn check_environment(&mut self) -> Result<Value, String> {
        let rt = aws_cmd::runtime().map_err(|e| e.to_string())?;
        let settings = self.target().settings();
        let checks = rt.block_on(crate::provision::doctor::run(&settings, self.state.local));
        let mut ready = true;
        let mut lines = Vec::new();
        for c in &checks {
            // This session is talking to its model already: what the environment variables
            // say about a model server does not apply here.
            if c.name == "model endpoint" {
                self.ui
                    .info(&format!("✓ {:<16} in use by this session", c.name));
                lines.push(json!({"check": c.name, "status": "ok",
                                  "detail": "in use by this session", "fix": null}));
                continue;
            }
            if c.status == crate::provision::doctor::Status::Fail {
                ready = false;
            }
            self.ui
                .info(&format!("{} {:<16} {}", c.status.mark(), c.name, c.detail));
            lines.push(
                json!({"check": c.name, "status": format!("{:?}", c.status).to_lowercase(),
                              "detail": c.detail, "fix": c.fix}),
            );
        }
        self.state.environment_ok = ready;
        Ok(json!({"ready": ready, "checks": lines}))
    }

    fn record_requirements(&mut self, a: tools::RecordRequirements) -> Result<Value, String> {
        let design = Design {
            format: 1,
            app: a.app,
            entities: a.entities,
            relationships: a.relationships,
            access_patterns: a
                .access_patterns
                .into_iter()
                .map(|mut p| {
                    p.target = None;
                    p
                })
                .collect(),
            tables: Vec::new(),
            deviations: Vec::new(),
            benchmark: None,
        };
        let report = rules::check(&design);
        if !report.is_valid() {
            return Err(format!(
                "the requirements break {} rule(s); nothing was recorded: {}",
                report.count(Severity::Error),
                findings(&report)
            ));
        }
        let doc = docs::stage1(&design).map_err(|e| e.to_string())?;
        let path = self.write(docs::STAGE1_FILE, &doc)?;
        self.save_design(&design)?;
        self.ui.info(&format!("wrote {}", path.display()));
        let diagram = docs::er_diagram(&design);
        for l in diagram.lines() {
            self.ui.info(l);
        }
        self.state.design = Some(design);
        self.state.model_valid = false;
        Ok(
            json!({"written": [docs::STAGE1_FILE, DESIGN_FILE], "warnings": findings(&report),
                  "entity_diagram": diagram}),
        )
    }

    fn propose_data_model(&mut self, a: tools::ProposeDataModel) -> Result<Value, String> {
        let Some(mut design) = self.state.design.clone() else {
            return Err("no requirements are recorded".to_string());
        };
        let unknown: Vec<&String> = a
            .targets
            .keys()
            .filter(|k| !design.access_patterns.iter().any(|p| &p.id == *k))
            .collect();
        if !unknown.is_empty() {
            let ids: Vec<&str> = design
                .access_patterns
                .iter()
                .map(|p| p.id.as_str())
                .collect();
            return Err(format!(
                "targets name access pattern(s) that do not exist: {:?}; the recorded ids are {}",
                unknown,
                ids.join(", ")
            ));
        }
        design.tables = a.tables;
        design.deviations = a.deviations;
        for p in &mut design.access_patterns {
            p.target = a.targets.get(&p.id).cloned();
        }
        let report = rules::check(&design);
        if !report.is_valid() {
            return Err(format!(
                "the data model breaks {} rule(s); nothing was saved. Fix each finding and \
                 propose again: {}",
                report.count(Severity::Error),
                findings(&report)
            ));
        }
        let doc = docs::stage2(&design).map_err(|e| e.to_string())?;
        let path = self.write(docs::STAGE2_FILE, &doc)?;
        self.save_design(&design)?;
        self.ui.info(&format!("wrote {}", path.display()));
        let pictures: Vec<String> = design
            .tables
            .iter()
            .map(|t| docs::key_picture(&design, t))
            .collect();
        for l in pictures.iter().flat_map(|p| p.lines()) {
            self.ui.info(l);
        }
        self.state.design = Some(design);
        self.state.model_valid = true;
        // Tables made for an earlier proposal may not match this one: create_tables replaces them.
        self.state.tables_created = false;
        Ok(
            json!({"written": [docs::STAGE2_FILE, DESIGN_FILE], "warnings": findings(&report),
                  "key_structures": pictures}),
        )
    }

    fn estimate_cost(&mut self, a: tools::EstimateCost) -> Result<Value, String> {
        let args = crate::cli::CostArgs {
            design: self.workspace.file(DESIGN_FILE),
            region: None,
            prices: None,
            format: crate::cli::Format::Json,
            benchmark: true,
            items: a.items.map(|n| vec![n.to_string()]).unwrap_or_default(),
            read_seconds: 60,
            scale: a.scale.unwrap_or(rust_decimal::Decimal::ONE),
            workers: 1,
            memory_mb: 1769,
            arch: crate::cli::cost_cmd::ArchArg::X86_64,
        };
        let (code, out, err) = capture(|o, e| crate::cli::cost_cmd::run(&args, o, e))?;
        if code != 0 {
            return Err(err.trim().to_string());
        }
        let v: Value = serde_json::from_str(&out).map_err(|e| format!("cost output: {e}"))?;
        let usd = |v: &Value| {
            v.as_str()
                .and_then(|s| s.parse::<rust_decimal::Decimal>().ok())
                .map_or("?".to_string(), crate::render::usd)
        };
        let m = &v["monthly"];
        self.ui.info(&format!(
            "monthly at peak: ${} (requests ${}, storage ${}) against a budget of ${}; one \
             benchmark run: ${}",
            usd(&m["total_at_peak"]),
            usd(&m["requests_at_peak"]),
            usd(&m["storage_monthly"]),
            usd(&m["budget"]),
            usd(&v["benchmark"]["total"])
        ));
        Ok(v)
    }

    fn connect_blocking<T>(
        &mut self,
        f: impl AsyncFnOnce(
            &crate::aws::clients::Clients,
            &crate::provision::Identity,
            &mut Ledger,
            &mut Lines,
        ) -> Result<T, String>,
    ) -> Result<T, String> {
        let mut ledger = self.ledger()?;
        let rt = aws_cmd::runtime().map_err(|e| e.to_string())?;
        let target = self.target();
        let mut lines = Lines::default();
        let result = rt.block_on(async {
            let (c, who, local) = aws_cmd::connect(&target).await.map_err(|e| e.to_string())?;
            let r = f(&c, &who, &mut ledger, &mut lines).await;
            if let Some(l) = local {
                // Let the last calls settle before the emulator's data file is closed.
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                l.stop().await;
            }
            r
        });
        for l in &lines.0 {
            self.ui.info(l);
        }
        result
    }

    fn create_tables(&mut self) -> Result<Value, String> {
        let Some(d) = self.state.design.clone() else {
            return Err("no design".to_string());
        };
        // A redesign's earlier resources go first: the new tables may reuse their names.
        let mut removed = Vec::new();
        if !self.live_resources()?.is_empty() {
            removed = self.remove_everything()?;
            self.state.function_deployed = false;
        }
        let local = self.state.local;
        let mut o = deploy::Options::new(&aws_cmd::run_id());
        o.parts = deploy::Parts::Tables;
        let done = self.connect_blocking(async |c, who, ledger, lines| {
            deploy::deploy(&d, c, who, local, &o, ledger, &mut Yes, lines, "")
                .await
                .map_err(|e| e.to_string())
        })?;
        self.state.tables_created = true;
        Ok(json!({"created": done.tables, "removed_first": removed}))
    }

    fn deploy_function(&mut self, a: tools::DeployFunction) -> Result<Value, String> {
        if self.state.local {
            return Ok(
                json!({"created": [], "note": "local mode: lambda_function.py runs as a \
                local process against the emulator; no role or function is needed"}),
            );
        }
        let Some(d) = self.state.design.clone() else {
            return Err("no design".to_string());
        };
        let mut o = deploy::Options::new(&aws_cmd::run_id());
        o.parts = deploy::Parts::Function;
        o.memory_mb = a.memory_mb.unwrap_or(1769);
        o.timeout_s = a.timeout_s.unwrap_or(900);
        let done = self.connect_blocking(async |c, who, ledger, lines| {
            deploy::deploy(&d, c, who, false, &o, ledger, &mut Yes, lines, "")
                .await
                .map_err(|e| e.to_string())
        })?;
        self.state.function_deployed = true;
        Ok(
            json!({"role": done.role_arn, "function": done.function_arn, "log_group": done.log_group}),
        )
    }

    fn run_benchmark(&mut self, a: tools::RunBenchmark) -> Result<Value, String> {
        let items = a.items.map(|n| n.min(MAX_AGENT_ITEMS));
        let duration = a.duration_s.unwrap_or(30);
        let warmup = a.warmup_s.unwrap_or(5);
        let workers = a.workers.unwrap_or(1);
        if !(1..=3600).contains(&duration) || warmup > 600 || !(1..=64).contains(&workers) {
            return Err(
                "duration_s must be 1 to 3600, warmup_s 0 to 600 and workers 1 to 64".to_string(),
            );
        }
        if a.scale.is_some_and(|s| s <= rust_decimal::Decimal::ZERO) {
            return Err(
                "scale must be a positive multiplier of the peak rates (e.g. 0.5 or 2); \
                 nothing was run"
                    .to_string(),
            );
        }
        let out_dir = self.workspace.file("benchmark");
        // What results.json held before: a run that refused to start leaves it as it was, and
        // its figures must not pass for this run's.
        let earlier_run_id = std::fs::read_to_string(out_dir.join("results.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .and_then(|v| v["run_id"].as_str().map(str::to_string));
        let use_lambda = !self.state.local && self.state.function_deployed;
        let args = crate::cli::bench_cmd::BenchArgs {
            design: self.workspace.file(DESIGN_FILE),
            out: out_dir.clone(),
            target: self.target(),
            runner: if use_lambda {
                crate::cli::bench_cmd::RunnerArg::Lambda
            } else {
                crate::cli::bench_cmd::RunnerArg::Process
            },
            workers,
            scale: a.scale.unwrap_or(rust_decimal::Decimal::ONE),
            duration: f64::from(duration),
            warmup: f64::from(warmup),
            items: items.map(|n| vec![n.to_string()]).unwrap_or_default(),
            threads: 32,
            hot_keys: a.hot_keys,
            seed: 1,
            max_rate: rust_decimal::Decimal::from(10_000),
            function_name: "DynamoDBBenchmark".to_string(),
            table_prefix: None,
            yes: true,
            format: crate::cli::Format::Text,
        };
        self.ui.info(&format!(
            "running the benchmark: {duration} s per phase after {warmup} s warm-up, {workers} worker(s)"
        ));
        let (code, out, err) = capture(|o, e| crate::cli::bench_cmd::run(&args, o, e))?;
        let results_path = out_dir.join("results.json");
        let results: Value = std::fs::read_to_string(&results_path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .ok_or_else(|| {
                format!(
                    "the benchmark wrote no results (exit {code}): {}",
                    err.trim()
                )
            })?;
        if code != 0 && results["summaries"].as_array().is_none_or(|s| s.is_empty()) {
            return Err(format!("the benchmark failed: {}", err.trim()));
        }
        if earlier_run_id.is_some() && results["run_id"].as_str() == earlier_run_id.as_deref() {
            return Err(format!(
                "the benchmark did not run (exit {code}): {}",
                err.trim()
            ));
        }
        // Keep every run: a redesign's analysis compares against the earlier one.
        let number = self.state.runs.len() as u32 + 1;
        let dir = format!("runs/run-{number}");
        copy_dir(&out_dir, &self.workspace.file(&dir))?;
        for line in out.lines() {
            self.ui.info(line);
        }
        let partial = results["partial"].as_bool().unwrap_or(false);
        let interrupted = results["interrupted"].as_bool().unwrap_or(false);
        if interrupted {
            self.ui.info(&format!(
                "The benchmark was stopped early (Ctrl-C); what it measured is kept in {dir}."
            ));
        }
        self.state.runs.push(RunRecord {
            number,
            dir: dir.clone(),
            iteration: self.state.iteration,
            partial,
        });
        let summaries: Vec<Value> = results["summaries"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|s| {
                json!({"pattern": s["id"], "phase": s["phase"], "calls": s["count"],
                       "p50_ms": s["p50_ms"], "p95_ms": s["p95_ms"], "p99_ms": s["p99_ms"],
                       "errors": s["errors"], "throttles": s["throttles"],
                       "achieved_rps": s["achieved_rps"], "target_rps": s["target_rps"]})
            })
            .collect();
        Ok(
            json!({"run": number, "folder": dir, "partial": partial, "interrupted": interrupted,
                  "failures": results["failures"], "summaries": summaries,
                  "warnings": err.lines().filter(|l| l.starts_with("warning") || l.starts_with("error")).collect::<Vec<_>>()}),
        )
    }

    fn write_analysis(&mut self, a: tools::WriteAnalysis) -> Result<Value, String> {
        let Some(run) = self.state.runs.last().cloned() else {
            return Err("no run".to_string());
        };
        if a.observations.iter().all(|o| o.trim().is_empty()) {
            return Err("observations is empty: say what the measurements show".to_string());
        }
        let source = self
            .workspace
            .file(&format!("{}/{}", run.dir, analysis::STAGE4_FILE));
        let base = std::fs::read_to_string(&source)
            .map_err(|e| io_err(&source.display().to_string(), e))?;
        let mut doc = base.replace("](charts/", &format!("]({}/charts/", run.dir));
        doc.push_str("\n## The architect's reading\n\n");
        for o in &a.observations {
            doc.push_str(&format!("- {}\n", o.trim()));
        }
        if !a.recommendations.is_empty() {
            doc.push_str("\n### Recommendations and their trade-offs\n\n");
            for r in &a.recommendations {
                doc.push_str(&format!("- {}\n", r.trim()));
            }
        }
        let problems = crate::render::markdown::check_tables(&doc);
        if !problems.is_empty() {
            return Err(format!("the analysis has malformed tables: {problems:?}"));
        }
        let path = self.write(analysis::STAGE4_FILE, &doc)?;
        self.ui.info(&format!("wrote {}", path.display()));
        self.state.analysed_run = Some(run.number);
        Ok(
            json!({"written": [analysis::STAGE4_FILE], "run": run.number,
                  "charts": [format!("{}/charts/latency-percentiles.svg", run.dir),
                             format!("{}/charts/latency-distribution.svg", run.dir)]}),
        )
    }

    fn export_scripts(&mut self) -> Result<Value, String> {
        let d = need_model(self.state).map_err(|o| o.text())?.clone();
        let files = crate::export::scripts(&d)?;
        let mut written = Vec::new();
        for (name, text) in files {
            self.write(&format!("scripts/{name}"), &text)?;
            written.push(format!("scripts/{name}"));
        }
        self.ui
            .info(&format!("wrote {} files under scripts/", written.len()));
        Ok(json!({"written": written}))
    }

    fn remove_everything(&mut self) -> Result<Vec<String>, String> {
        let local = self.state.local;
        let o = cleanup::Options {
            dry_run: false,
            role_name: "DynamoDBBenchmarkRole".to_string(),
            function_name: "DynamoDBBenchmark".to_string(),
            workspace_id: None,
        };
        let lines = self.connect_blocking(async |c, _who, ledger, reporter| {
            cleanup::cleanup(c, local, &o, ledger, &mut Yes, reporter)
                .await
                .map_err(|e| e.to_string())
        })?;
        let failed: Vec<String> = lines
            .iter()
            .filter(|l| matches!(l.outcome, cleanup::Outcome::Failed(_)))
            .map(|l| format!("{} {}: {}", l.kind.label(), l.name, l.outcome.text()))
            .collect();
        if !failed.is_empty() {
            return Err(format!("cleanup could not remove: {}", failed.join("; ")));
        }
        self.state.tables_created = false;
        Ok(lines
            .iter()
            .map(|l| format!("{} {}: {}", l.kind.label(), l.name, l.outcome.text()))
            .collect())
    }

    fn clean_up(&mut self) -> Result<Value, String> {
        let removed = self.remove_everything()?;
        self.state.function_deployed = false;
        let left = self.live_resources()?;
        if !left.is_empty() {
            return Err(format!("still present after cleanup: {}", left.join(", ")));
        }
        self.state.cleaned = true;
        Ok(json!({"removed": removed, "verified": "the ledger shows nothing live"}))
    }

    fn finish_session(&mut self, a: tools::FinishSession) -> Result<Value, String> {
        if a.lessons.is_empty() || a.next_steps.is_empty() {
            return Err("give at least one lesson and one next step".to_string());
        }
        let d = self.state.design.as_ref();
        let mut doc = format!(
            "# Stage 5: lessons learned — {}\n\n",
            d.map_or("session", |d| d.app.name.as_str())
        );
        doc.push_str(&format!(
            "Design iterations: {}. Benchmark runs: {}. Cleanup: verified, nothing left running.\n\n",
            self.state.iteration,
            self.state.runs.len()
        ));
        doc.push_str("## Lessons learned\n\n");
        for l in &a.lessons {
            doc.push_str(&format!("- {}\n", l.trim()));
        }
        doc.push_str("\n## Next steps\n\n");
        for n in &a.next_steps {
            doc.push_str(&format!("- {}\n", n.trim()));
        }
        let path = self.write(LESSONS_FILE, &doc)?;
        self.ui.info(&format!("wrote {}", path.display()));
        self.state.lessons_saved = true;
        Ok(json!({"written": [LESSONS_FILE]}))
    }
}

/// Run a command function, capturing what it prints.
fn capture(
    f: impl FnOnce(&mut dyn std::io::Write, &mut dyn std::io::Write) -> std::io::Result<u8>,
) -> Result<(u8, String, String), String> {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = f(&mut out, &mut err).map_err(|e| e.to_string())?;
    Ok((
        code,
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    ))
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| io_err(&to.display().to_string(), e))?;
    let entries = std::fs::read_dir(from).map_err(|e| io_err(&from.display().to_string(), e))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let dest = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &dest)?;
        } else {
            std::fs::copy(&path, &dest).map_err(|e| io_err(&dest.display().to_string(), e))?;
        }
    }
    Ok(())
}
