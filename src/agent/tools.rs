//! The tools the model may call. Each tool's arguments are a Rust type; the JSON Schema the
//! model sees is generated from that type, so the schema and the parser cannot disagree.
//! tools/ in the repository holds a snapshot of every schema (a test fails when it is stale).

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::message::ToolSpec;
use super::session::Stage;
use crate::design::{AccessPattern, App, Deviation, Entity, Relationship, Table, Target};

/// Stage 0: check tools and credentials.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckEnvironment {}

/// Stage 1: what the application stores and how it reads and writes it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordRequirements {
    /// Name (used in resource names), 90-second description, Region and SLA targets.
    pub app: App,
    /// Every entity with its attributes (names, types, sizes) and the item count.
    pub entities: Vec<Entity>,
    /// How entities refer to each other (1:1, 1:M, M:N).
    #[serde(default)]
    pub relationships: Vec<Relationship>,
    /// Every read and write the application makes, with its rate and item size.
    pub access_patterns: Vec<AccessPattern>,
}

/// Stage 2: the tables and indexes that serve the recorded access patterns.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposeDataModel {
    /// The tables (one per entity to start with), their keys and indexes.
    pub tables: Vec<Table>,
    /// For every access pattern id, the table (and index) that serves it.
    pub targets: BTreeMap<String, Target>,
    /// Departures from a design principle, each with its reason and trade-off.
    #[serde(default)]
    pub deviations: Vec<Deviation>,
}

/// Any stage from 2: the monthly cost of the design and of one benchmark run.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EstimateCost {
    /// Items to load per entity for the benchmark estimate (default: the design's counts).
    #[serde(default)]
    pub items: Option<u64>,
    /// Multiplier on each pattern's peak rate during the benchmark (default 1).
    #[serde(default)]
    pub scale: Option<Decimal>,
}

/// Stage 3: create the benchmark tables.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTables {}

/// Stage 3: create the IAM role and the Lambda function that runs the benchmark.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeployFunction {
    /// Lambda memory in MB, 1024 to 10240 (default 1769, one full vCPU).
    #[serde(default)]
    pub memory_mb: Option<i32>,
    /// Lambda timeout in seconds, 300 to 900 (default 900).
    #[serde(default)]
    pub timeout_s: Option<i32>,
}

/// Stage 3: run the benchmark (a load, then separate write and read phases).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunBenchmark {
    /// Items to write per entity (default: the design's counts, capped by the tool).
    #[serde(default)]
    pub items: Option<u64>,
    /// Multiplier on each pattern's peak rate (default 1).
    #[serde(default)]
    pub scale: Option<Decimal>,
    /// Measured seconds of each phase, 1 to 3600 (default 30).
    #[serde(default)]
    pub duration_s: Option<u32>,
    /// Unmeasured warm-up seconds at the start of each phase, 0 to 600 (default 5).
    #[serde(default)]
    pub warmup_s: Option<u32>,
    /// Workers, 1 to 64 (default 1).
    #[serde(default)]
    pub workers: Option<u32>,
    /// Draw keys from a skewed distribution to expose hot partitions.
    #[serde(default)]
    pub hot_keys: bool,
}

/// Stage 4: write Stage4_BenchmarkAnalysis.md for the latest run, with the architect's reading.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteAnalysis {
    /// What the measurements show, each grounded in a figure from the run.
    pub observations: Vec<String>,
    /// Recommendations with their trade-offs; only those the evidence supports.
    #[serde(default)]
    pub recommendations: Vec<String>,
}

/// Stage 3 or 5: write the standalone Python kit (setup_tables.py, lambda_function.py,
/// deploy.py, run_benchmark.py, cleanup.py) for this design into the workspace.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportScripts {}

/// Stage 5: delete every resource the session created and check that it is gone.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CleanUp {}

/// Stage 5: save lessons learned and next steps.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FinishSession {
    /// What this session taught about the design, each grounded in the evidence.
    pub lessons: Vec<String>,
    /// What the developer should do next.
    pub next_steps: Vec<String>,
}

/// What a call may do, which decides whether a person is asked first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Reads, or writes only local files: runs without asking.
    ReadOnly,
    /// Creates resources or spends money: shows the estimated cost and asks.
    Billable,
    /// Deletes: shows what goes and asks.
    Destructive,
}

/// A tool's fixed description.
pub struct ToolDef {
    /// Name the model calls.
    pub name: &'static str,
    /// What it does, for the model.
    pub description: &'static str,
    /// Stages where it may run.
    pub stages: &'static [Stage],
    /// What it may do.
    pub effect: Effect,
    schema: fn() -> Value,
}

fn schema_of<T: JsonSchema>() -> Value {
    let mut v = serde_json::to_value(schemars::schema_for!(T)).unwrap_or(Value::Null);
    // The title and $schema are noise to a model and change nothing.
    if let Some(o) = v.as_object_mut() {
        o.remove("$schema");
        o.remove("title");
    }
    v
}

use Stage::*;

/// Every tool, in the order the model sees them.
pub const TOOLS: &[ToolDef] = &[
    ToolDef {
        name: "check_environment",
        description: "Check the environment: python3 and boto3, AWS credentials, account and \
                      Region (or, in local mode, the embedded emulator). Read-only.",
        stages: &[
            Environment,
            Requirements,
            DataModel,
            Benchmark,
            Analysis,
            Cleanup,
        ],
        effect: Effect::ReadOnly,
        schema: schema_of::<CheckEnvironment>,
    },
    ToolDef {
        name: "record_requirements",
        description: "Record the application, SLA targets, entities, relationships and access \
                      patterns (Stage 1), check them against the rules and write \
                      Stage1_DomainAndPatterns.md. Calling it again replaces them and clears \
                      the data model.",
        stages: &[Requirements, DataModel],
        effect: Effect::ReadOnly,
        schema: schema_of::<RecordRequirements>,
    },
    ToolDef {
        name: "propose_data_model",
        description: "Propose the tables, indexes and the target of every access pattern \
                      (Stage 2). The design is checked against DynamoDB's limits and the design \
                      principles; errors come back with their fix. When clean, writes \
                      Stage2_DataModel.md.",
        stages: &[DataModel],
        effect: Effect::ReadOnly,
        schema: schema_of::<ProposeDataModel>,
    },
    ToolDef {
        name: "estimate_cost",
        description: "Estimate the design's monthly on-demand cost per access pattern, table \
                      and index, and the cost of one benchmark run. Read-only.",
        stages: &[DataModel, Benchmark, Analysis],
        effect: Effect::ReadOnly,
        schema: schema_of::<EstimateCost>,
    },
    ToolDef {
        name: "create_tables",
        description: "Create the benchmark tables (ddb-benchmark-<app>-<table>, on-demand, \
                      waiting until ACTIVE). The developer approves first.",
        stages: &[Benchmark],
        effect: Effect::Billable,
        schema: schema_of::<CreateTables>,
    },
    ToolDef {
        name: "deploy_function",
        description: "Create the benchmark's IAM role (Lambda trust, least privilege) and the \
                      Lambda function that runs lambda_function.py. Not needed in local mode. \
                      The developer approves first.",
        stages: &[Benchmark],
        effect: Effect::Billable,
        schema: schema_of::<DeployFunction>,
    },
    ToolDef {
        name: "run_benchmark",
        description: "Load synthetic items, then run the write and read access patterns \
                      open-loop at their target rates; writes results, charts and a first \
                      analysis. The developer approves the estimated cost first.",
        stages: &[Benchmark],
        effect: Effect::Billable,
        schema: schema_of::<RunBenchmark>,
    },
    ToolDef {
        name: "write_analysis",
        description: "Write Stage4_BenchmarkAnalysis.md for the latest run: the measured SLA \
                      table, cost by table and index, charts, and your observations and \
                      recommendations (with trade-offs).",
        stages: &[Analysis],
        effect: Effect::ReadOnly,
        schema: schema_of::<WriteAnalysis>,
    },
    ToolDef {
        name: "export_scripts",
        description: "Write the standalone Python kit for this design (setup_tables.py, \
                      lambda_function.py, deploy.py, run_benchmark.py, cleanup.py) into the \
                      workspace's scripts/ folder, for review or runs outside the tool.",
        stages: &[Benchmark, Cleanup],
        effect: Effect::ReadOnly,
        schema: schema_of::<ExportScripts>,
    },
    ToolDef {
        name: "clean_up",
        description: "Delete every resource this session created (tables, role, function, log \
                      group) and verify each is gone. The developer approves first.",
        stages: &[Cleanup],
        effect: Effect::Destructive,
        schema: schema_of::<CleanUp>,
    },
    ToolDef {
        name: "finish_session",
        description: "Save the lessons learned and next steps (Stage5_LessonsLearned.md). Needs \
                      a verified cleanup first.",
        stages: &[Cleanup],
        effect: Effect::ReadOnly,
        schema: schema_of::<FinishSession>,
    },
];

/// The tool called `name`.
pub fn find(name: &str) -> Option<&'static ToolDef> {
    TOOLS.iter().find(|t| t.name == name)
}

impl ToolDef {
    /// Its JSON Schema.
    pub fn schema(&self) -> Value {
        (self.schema)()
    }

    /// As the model sees it.
    pub fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: self.name.to_string(),
            description: self.description.to_string(),
            parameters: self.schema(),
        }
    }
}

/// Every tool as the model sees it.
pub fn specs() -> Vec<ToolSpec> {
    TOOLS.iter().map(ToolDef::spec).collect()
}

/// A parsed call.
#[derive(Debug, Clone)]
pub enum Call {
    /// check_environment
    CheckEnvironment(CheckEnvironment),
    /// record_requirements
    RecordRequirements(Box<RecordRequirements>),
    /// propose_data_model
    ProposeDataModel(Box<ProposeDataModel>),
    /// estimate_cost
    EstimateCost(EstimateCost),
    /// create_tables
    CreateTables(CreateTables),
    /// deploy_function
    DeployFunction(DeployFunction),
    /// run_benchmark
    RunBenchmark(RunBenchmark),
    /// write_analysis
    WriteAnalysis(WriteAnalysis),
    /// export_scripts
    ExportScripts(ExportScripts),
    /// clean_up
    CleanUp(CleanUp),
    /// finish_session
    FinishSession(FinishSession),
}

fn typed<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, String> {
    serde_path_to_error::deserialize::<_, T>(v).map_err(|e| {
        let at = crate::design::json_pointer(e.path());
        let at = if at.is_empty() { "/".to_string() } else { at };
        format!("at {at}: {}", e.into_inner())
    })
}

/// Parse arguments already known to be JSON into the tool's type.
pub fn parse(name: &str, args: Value) -> Result<Call, String> {
    Ok(match name {
        "check_environment" => Call::CheckEnvironment(typed(args)?),
        "record_requirements" => Call::RecordRequirements(Box::new(typed(args)?)),
        "propose_data_model" => Call::ProposeDataModel(Box::new(typed(args)?)),
        "estimate_cost" => Call::EstimateCost(typed(args)?),
        "create_tables" => Call::CreateTables(typed(args)?),
        "deploy_function" => Call::DeployFunction(typed(args)?),
        "run_benchmark" => Call::RunBenchmark(typed(args)?),
        "write_analysis" => Call::WriteAnalysis(typed(args)?),
        "export_scripts" => Call::ExportScripts(typed(args)?),
        "clean_up" => Call::CleanUp(typed(args)?),
        "finish_session" => Call::FinishSession(typed(args)?),
        other => return Err(format!("no tool is called `{other}`")),
    })
}
