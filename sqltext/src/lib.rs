//! Text that both halves of Ferrobase write and must write the same way: codegen when it
//! emits migrations and reports spec mistakes, the runtime when it builds a request's SQL
//! and answers a typo. Kept in a crate of its own so the runtime need not depend on codegen.

/// Quotes an SQL identifier, doubling any `"` inside it.
pub fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Quotes an SQL string literal (standard-conforming strings, the Postgres default).
pub fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The candidate closest to `name` by edit distance, when it is close enough to be a typo
/// of it (at most a third of the longer name's characters differ, and at least one may).
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (strsim::levenshtein(name, c), c))
        .filter(|(d, c)| *d <= (c.len().max(name.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_doubles_the_quote_character() {
        assert_eq!(quote_ident("agents"), "\"agents\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
    }

    #[test]
    fn only_near_names_are_suggested() {
        let names = ["agents", "agent_runs", "tools"];
        assert_eq!(closest("agnets", names.into_iter()), Some("agents"));
        assert_eq!(closest("tool", names.into_iter()), Some("tools"));
        assert_eq!(closest("workflows", names.into_iter()), None);
    }
}
