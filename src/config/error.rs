//! A configuration problem, reported as one line an operator can act on:
//! `config/site.toml:12: proxy.timeouts.connect: unknown unit `x` in `5x``.

use std::fmt;
use std::ops::Range;

/// Where a problem is and what it is. `Display` gives the one-line form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    pub line: Option<usize>,
    pub field: Option<String>,
    pub message: String,
}

impl ConfigError {
    pub fn new(file: &str, field: impl Into<Option<String>>, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            line: None,
            field: field.into(),
            message: message.into(),
        }
    }

    /// Attaches the 1-based line of a byte span of `source`.
    pub fn at(mut self, source: &str, span: Option<Range<usize>>) -> Self {
        self.line = span.map(|span| line_of(source, span.start));
        self
    }
}

/// 1-based line number of a byte offset.
pub fn line_of(source: &str, offset: usize) -> usize {
    let end = offset.min(source.len());
    source.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": {field}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Every problem found in one file, so `consentry check` can list them all at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl From<ConfigError> for ConfigErrors {
    fn from(error: ConfigError) -> Self {
        Self(vec![error])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_file_line_field_and_message_on_one_line() {
        let source = "a = 1\n[proxy]\nlisten = 5\n";
        let error = ConfigError::new("site.toml", Some("proxy.listen".to_owned()), "not text")
            .at(source, Some(23..24));
        assert_eq!(error.to_string(), "site.toml:3: proxy.listen: not text");
    }

    #[test]
    fn omits_the_parts_it_does_not_know() {
        let error = ConfigError::new("site.toml", None, "cannot read: gone");
        assert_eq!(error.to_string(), "site.toml: cannot read: gone");
    }
}
