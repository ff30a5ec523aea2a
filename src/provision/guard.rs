//! Guardrails before anything is created.

/// Words that mark a production account when they appear as a word of its alias or ARN.
pub const PRODUCTION_WORDS: [&str; 4] = ["prod", "production", "prd", "live"];

/// The production word found in an account alias or caller ARN, if any. Words are runs of
/// letters and digits ("acme-prod", "Live2", "prd_eu"), so "product" or "delivery" do not match.
pub fn production_marker(alias: Option<&str>, arn: &str) -> Option<String> {
    let texts = alias.into_iter().chain(std::iter::once(arn));
    for t in texts {
        for word in t
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            let lower = word.to_ascii_lowercase();
            let stem = lower.trim_end_matches(|c: char| c.is_ascii_digit());
            if PRODUCTION_WORDS.contains(&stem) {
                return Some(word.to_string());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::production_marker;

    #[test]
    fn production_words_are_found_as_words() {
        assert_eq!(
            production_marker(Some("acme-prod"), "arn:aws:iam::1:user/x").as_deref(),
            Some("prod")
        );
        assert_eq!(
            production_marker(None, "arn:aws:sts::1:assumed-role/Live2Admin/me").as_deref(),
            None
        );
        assert_eq!(
            production_marker(None, "arn:aws:sts::1:assumed-role/live2/me").as_deref(),
            Some("live2")
        );
        assert_eq!(
            production_marker(Some("PRODUCTION"), "arn").as_deref(),
            Some("PRODUCTION")
        );
        assert_eq!(
            production_marker(Some("prd_eu"), "arn").as_deref(),
            Some("prd")
        );
        assert_eq!(
            production_marker(Some("product-team"), "arn:aws:iam::1:user/delivery"),
            None
        );
        assert_eq!(
            production_marker(Some("acme-dev"), "arn:aws:iam::1:user/dev"),
            None
        );
    }
}
