//! Checking the environment: python3 and boto3, the model server, AWS credentials, account and
//! Region (or the embedded emulator).

use crate::provision::doctor::{self, Check, Status};

use super::Target;

/// The checks, in the order people fix them.
#[derive(Debug)]
pub struct Checked {
    /// Each check with its verdict and fix.
    pub checks: Vec<Check>,
}

impl Checked {
    /// No check failed.
    pub fn ready(&self) -> bool {
        !self.checks.iter().any(|c| c.status == Status::Fail)
    }
}

/// Run every check for the target.
pub async fn run(target: &Target) -> Checked {
    Checked {
        checks: doctor::run(&target.settings(), target.local).await,
    }
}
