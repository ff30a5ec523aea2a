//! `deploy_function` (Stage 3, AWS only): the benchmark's IAM role (Lambda trust, least
//! privilege), its log group and the Lambda function that runs lambda_function.py.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::context::{block_on, provision_error};
use super::{Context, Effect, Tool, ToolError, need_tables};
use crate::agent::session::{Stage, State};
use crate::ops;
use crate::provision::{self, Yes, deploy};

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

impl DeployFunction {
    fn memory_mb(&self) -> i32 {
        self.memory_mb.unwrap_or(provision::DEFAULT_MEMORY_MB)
    }

    fn timeout_s(&self) -> i32 {
        self.timeout_s.unwrap_or(provision::DEFAULT_TIMEOUT_S)
    }

    /// The deploy these arguments ask for: the role and function, with the default names.
    fn options(&self) -> deploy::Options {
        let mut o = deploy::Options::new(&crate::ops::new_run_id());
        o.parts = deploy::Parts::Function;
        o.memory_mb = self.memory_mb();
        o.timeout_s = self.timeout_s();
        o
    }
}

impl Tool for DeployFunction {
    type Args = Self;
    const NAME: &'static str = "deploy_function";
    const DESCRIPTION: &'static str = "Create the benchmark's IAM role (Lambda trust, least \
        privilege) and the Lambda function that runs lambda_function.py. Not needed in local \
        mode. The developer approves first.";
    const STAGES: &'static [Stage] = &[Stage::Benchmark];
    const EFFECT: Effect = Effect::Billable;

    fn check(state: &State, a: &Self) -> Result<(), ToolError> {
        need_tables(state)?;
        if !(1024..=10240).contains(&a.memory_mb()) {
            return Err(ToolError::argument("memory_mb must be 1024 to 10240"));
        }
        if !(300..=900).contains(&a.timeout_s()) {
            return Err(ToolError::argument("timeout_s must be 300 to 900"));
        }
        Ok(())
    }

    fn approval(cx: &mut Context<'_>, a: &Self) -> Result<Option<String>, ToolError> {
        if cx.state.local {
            return Ok(None);
        }
        let target = cx.target_line()?;
        let d = need_tables(cx.state)?;
        let estimate = ops::estimate_text(d, &d.app.region, false);
        Ok(Some(format!(
            "{target}{}Estimated cost of one benchmark run: {estimate}\n",
            deploy::will_create(d, &a.options(), false)
        )))
    }

    fn call(cx: &mut Context<'_>, a: Self) -> Result<Value, ToolError> {
        if cx.state.local {
            return Ok(
                json!({"created": [], "note": "local mode: lambda_function.py runs as a \
                local process against the emulator; no role or function is needed"}),
            );
        }
        let design = need_tables(cx.state)?.clone();
        let mut plan = ops::deploy::Plan::new(design, cx.target());
        plan.options = a.options();
        let known = cx.state.identity.clone();
        let done = block_on(ops::deploy::run(&plan, known, &mut Yes, &mut cx.progress()))?
            .map_err(provision_error)?;
        Ok(
            json!({"role": done.role_arn, "function": done.function_arn, "log_group": done.log_group}),
        )
    }
}
