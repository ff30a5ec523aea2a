//! A model that replays recorded answers in order, checking each request against the one that
//! was recorded, so a replay says so when it has drifted from its recording.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use super::message::{ChatRequest, Reply};
use super::model::{BoxFuture, Event, Model, ModelError, Sink};
use super::transcript::Fingerprint;

/// Replays answers; see the module documentation.
pub struct ScriptedModel {
    name: String,
    replies: Mutex<VecDeque<(Option<Fingerprint>, Reply)>>,
    served: Mutex<usize>,
    drift: Arc<Mutex<Vec<String>>>,
    asked: Mutex<Vec<ChatRequest>>,
}

impl ScriptedModel {
    /// A model serving `replies` in order; `name` says where they came from.
    pub fn new(name: &str, replies: Vec<(Option<Fingerprint>, Reply)>) -> Self {
        Self {
            name: name.to_string(),
            replies: Mutex::new(replies.into()),
            served: Mutex::new(0),
            drift: Arc::new(Mutex::new(Vec::new())),
            asked: Mutex::new(Vec::new()),
        }
    }

    /// Every request made so far, in order (for measuring what a journey sends).
    pub fn requests(&self) -> Vec<ChatRequest> {
        self.asked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Drift found so far, one line per answer whose request did not match.
    pub fn drift(&self) -> Arc<Mutex<Vec<String>>> {
        Arc::clone(&self.drift)
    }

    /// Answers not yet served.
    pub fn remaining(&self) -> usize {
        self.replies
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl Model for ScriptedModel {
    fn describe(&self) -> String {
        self.name.clone()
    }

    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
        events: Sink<'a>,
    ) -> BoxFuture<'a, Result<Reply, ModelError>> {
        Box::pin(async move {
            self.asked
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(request.clone());
            let next = self
                .replies
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop_front();
            let number = {
                let mut n = self.served.lock().unwrap_or_else(PoisonError::into_inner);
                *n += 1;
                *n
            };
            let Some((recorded, reply)) = next else {
                return Err(ModelError::Script(format!(
                    "the recording has no answer {number}: the session asked the model more often \
                     than it did when recorded"
                )));
            };
            if let Some(recorded) = recorded
                && let Some(why) = recorded.drift(&Fingerprint::of(request))
            {
                self.drift
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(format!("answer {number}: {why}"));
            }
            if let Some(at) = crate::agent::message::repeated_user_turn(&request.messages) {
                self.drift
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(format!(
                        "answer {number}: messages {at} and {} are both the user's (chat \
                         templates that need alternating roles refuse that)",
                        at + 1
                    ));
            }
            // Hand the text over in pieces, as a server would stream it.
            for piece in reply.text.split_inclusive(' ') {
                events(Event::Text(piece));
            }
            Ok(reply)
        })
    }
}
