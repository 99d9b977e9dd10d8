//! List filters whose values may carry a `+` (keep these) or `-` (leave these out) prefix, as
//! Clerk documents for `user_id`, `external_id`, `organization_id` and a few others.

/// The values of one prefixed filter, split into those to keep and those to leave out.
#[derive(Debug, Default)]
pub(crate) struct Prefixed {
    include: Vec<String>,
    exclude: Vec<String>,
}

impl Prefixed {
    /// Reads the values of a filter; `None` when it was not given. Values are compared
    /// case-insensitively when `fold_case` is set.
    ///
    /// A leading space counts as `+`: an unencoded `+` in a query string decodes to a space.
    pub fn new(values: &[&str], fold_case: bool) -> Option<Prefixed> {
        if values.is_empty() {
            return None;
        }
        let mut filter = Prefixed::default();
        for value in values {
            let fold = |v: &str| {
                if fold_case {
                    v.to_lowercase()
                } else {
                    v.to_string()
                }
            };
            match value.strip_prefix('-') {
                Some(rest) => filter.exclude.push(fold(rest)),
                None => filter.include.push(fold(
                    value
                        .strip_prefix('+')
                        .or_else(|| value.strip_prefix(' '))
                        .unwrap_or(value),
                )),
            }
        }
        Some(filter)
    }

    /// Whether a row whose filtered field has `value` stays in the result.
    pub fn accepts(&self, value: Option<&str>) -> bool {
        self.accepts_any(value.into_iter())
    }

    /// Whether a row with several values of the field (an organization's members, say) stays:
    /// one of them is kept (when any are to be kept) and none is left out.
    pub fn accepts_any<'v>(&self, values: impl Iterator<Item = &'v str> + Clone) -> bool {
        (self.include.is_empty() || values.clone().any(|v| self.include.iter().any(|i| i == v)))
            && !values
                .into_iter()
                .any(|v| self.exclude.iter().any(|e| e == v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_keep_and_leave_out() {
        let only = Prefixed::new(&["+a", "b"], false).expect("given");
        assert!(only.accepts(Some("a")) && only.accepts(Some("b")));
        assert!(!only.accepts(Some("c")) && !only.accepts(None));
        let not = Prefixed::new(&["-a"], false).expect("given");
        assert!(!not.accepts(Some("a")) && not.accepts(Some("c")) && not.accepts(None));
        let both = Prefixed::new(&["a", "-b", " c"], false).expect("given");
        assert!(both.accepts_any(["a", "x"].into_iter()));
        assert!(both.accepts_any(["c"].into_iter()));
        assert!(!both.accepts_any(["a", "b"].into_iter()));
        assert!(Prefixed::new(&[], false).is_none());
        let folded = Prefixed::new(&["-ABC"], true).expect("given");
        assert!(!folded.accepts(Some("abc")));
    }
}
