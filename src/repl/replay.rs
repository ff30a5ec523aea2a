//! Replaying a transcript through the real executor: the person's lines, the model's answers and
//! the approvals come from the recording; every tool runs for real.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError};

use super::RecordedUi;
use crate::agent::engine::{self, Engine, EngineError, TurnEnd};
use crate::agent::scripted::ScriptedModel;
use crate::agent::transcript::{self, Script};

/// What a replay found.
#[derive(Debug, Clone)]
pub struct Report {
    /// Where the replay diverged from its recording; empty when it did not.
    pub drift: Vec<String>,
    /// How the last turn ended.
    pub end: Option<TurnEnd>,
    /// The new transcript the replay wrote.
    pub transcript: PathBuf,
    /// The session's stage at the end.
    pub stage: crate::agent::session::Stage,
    /// The session completed (Stage 5's question answered).
    pub complete: bool,
    /// The person stopped the replay with Ctrl-C (or SIGTERM).
    pub interrupted: bool,
    /// Every request the session sent to the model, in order.
    pub requests: Vec<crate::agent::message::ChatRequest>,
}

/// Load the script of a transcript file (or of transcript text, `name` naming it in errors).
pub fn load_script(name: &Path, text: &str) -> Result<Script, transcript::TranscriptError> {
    let envelopes = transcript::parse(name, text)?;
    transcript::script(name, &envelopes)
}

/// Whether a recording was made in local mode (its first session record says so).
pub fn recorded_local(text: &str) -> bool {
    transcript::parse(Path::new("-"), text)
        .ok()
        .and_then(|e| {
            e.into_iter()
                .find(|e| e.kind == "session")
                .and_then(|e| e.payload["local"].as_bool())
        })
        .unwrap_or(false)
}

/// Replay `script` in a new session described by `o`, printing to `out`.
pub fn replay<W: Write + Send>(
    script: Script,
    model_name: &str,
    o: engine::Options,
    out: W,
) -> Result<(Report, W), EngineError> {
    replay_until(script, model_name, o, out, None)
}

/// [`replay`], stopping (without drift) once the session reaches stage `stop`.
pub fn replay_until<W: Write + Send>(
    script: Script,
    model_name: &str,
    o: engine::Options,
    out: W,
    stop: Option<crate::agent::session::Stage>,
) -> Result<(Report, W), EngineError> {
    let model = Arc::new(ScriptedModel::new(model_name, script.replies));
    let drift_log = model.drift();
    let mut engine = Engine::start(model.clone(), o)?;
    engine.set_design_tools(script.design_tools)?;
    let mut ui = RecordedUi::recorded(out, script.approvals);
    let mut end = None;
    let mut drift = Vec::new();
    let signals = crate::os::interrupt::count();
    let mut interrupted = false;
    let (stop_at, mut stopped_early) = (stop, false);
    for input in &script.inputs {
        ui.line(&format!("\nyou> {input}"));
        let e = engine.handle(input, &mut ui)?;
        interrupted = crate::os::interrupt::count() != signals;
        let stop = interrupted || matches!(e, TurnEnd::Complete | TurnEnd::ModelFailed(_));
        if let TurnEnd::ModelFailed(m) = &e {
            drift.push(format!("the replay stopped: {m}"));
        }
        end = Some(e);
        if stop {
            break;
        }
        if Some(engine.state.stage) == stop_at {
            stopped_early = true;
            break;
        }
    }
    if interrupted {
        // The person stopped the replay: what was not replayed is not drift.
        drift.clear();
    } else {
        drift.extend(
            drift_log
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .cloned(),
        );
        drift.extend(ui.answers.drift.iter().cloned());
        if model.remaining() > 0 && !stopped_early {
            drift.push(format!(
                "{} recorded model answer(s) were never asked for",
                model.remaining()
            ));
        }
    }
    let report = Report {
        drift,
        end,
        transcript: engine.transcript_path().to_path_buf(),
        stage: engine.state.stage,
        complete: engine.state.complete,
        interrupted,
        requests: model.requests(),
    };
    Ok((report, ui.printer.into_inner()))
}
