//! What writers send (API bodies, import lines, merge-patched documents) as
//! serde structs, and the checks that turn them into domain values with
//! every field error collected at once.
//!
//! Each field is a [`Field`]: serde takes the value when it has the right
//! JSON type and keeps it as it came otherwise, so one wrong type does not
//! hide the other errors of the same body.

use serde::Deserialize;
use serde_json::Value;

use super::FieldError;

/// PostgreSQL text cannot hold U+0000, so no string field may contain it,
/// whichever engine stores it: the same write must succeed or fail on both.
pub(super) const NUL_MESSAGE: &str = "must not contain NUL (U+0000) characters";

/// A field as sent: of the expected JSON type, or not.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Field<T> {
    Given(T),
    Wrong(Value),
}

/// A field absent, `null`, or given.
pub type Optional<T> = Option<Field<T>>;

/// Why a value was refused, for a person; reported under its field's name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl From<&str> for Invalid {
    fn from(message: &str) -> Self {
        Self(message.to_owned())
    }
}

impl From<String> for Invalid {
    fn from(message: String) -> Self {
        Self(message)
    }
}

impl From<Invalid> for String {
    fn from(invalid: Invalid) -> Self {
        invalid.0
    }
}

/// `value` as `T`, or the one error of a body that is not even a JSON
/// object of the right shape.
pub(super) fn from_value<T: for<'de> Deserialize<'de>>(
    value: &Value,
) -> Result<T, Vec<FieldError>> {
    if !value.is_object() {
        return Err(vec![FieldError::new("", "must be a JSON object")]);
    }
    T::deserialize(value).map_err(|error| vec![FieldError::new("", error.to_string())])
}

/// Collects the errors of one JSON object's fields, named under `prefix`.
pub(super) struct Checks {
    prefix: String,
    pub errors: Vec<FieldError>,
}

impl Checks {
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
            errors: Vec::new(),
        }
    }

    fn name(&self, field: &str) -> String {
        match (self.prefix.as_str(), field) {
            ("", field) => field.to_owned(),
            (prefix, "") => prefix.to_owned(),
            (prefix, field) if field.starts_with('[') => format!("{prefix}{field}"),
            (prefix, field) => format!("{prefix}.{field}"),
        }
    }

    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        let name = self.name(field);
        self.errors.push(FieldError::new(name, message));
    }

    /// A string field as given (it may be blank); `None` when absent.
    fn string(&mut self, field: &str, value: Optional<String>) -> Option<String> {
        match value? {
            Field::Given(text) if text.contains('\0') => {
                self.fail(field, NUL_MESSAGE);
                None
            }
            Field::Given(text) => Some(text),
            Field::Wrong(_) => {
                self.fail(field, "must be a string");
                None
            }
        }
    }

    /// An optional string parsed by `parse`; blank counts as absent.
    pub fn optional<T>(
        &mut self,
        field: &str,
        value: Optional<String>,
        parse: impl FnOnce(&str) -> Result<T, Invalid>,
    ) -> Option<T> {
        let text = self.string(field, value).filter(|t| !t.trim().is_empty())?;
        parse(&text).map_err(|error| self.fail(field, error.0)).ok()
    }

    /// An optional plain-text string, kept as written.
    pub fn optional_text(&mut self, field: &str, value: Optional<String>) -> Option<String> {
        self.optional(field, value, |text| Ok(text.to_owned()))
    }

    /// A string that must be there, parsed by `parse` (blank goes to `parse`).
    pub fn required<T>(
        &mut self,
        field: &str,
        value: Optional<String>,
        parse: impl FnOnce(&str) -> Result<T, Invalid>,
    ) -> Option<T> {
        if value.is_none() {
            self.fail(field, "is required");
            return None;
        }
        let text = self.string(field, value)?;
        parse(&text).map_err(|error| self.fail(field, error.0)).ok()
    }

    /// A list field; empty when absent.
    pub fn list<T>(&mut self, field: &str, value: Optional<Vec<T>>) -> Vec<T> {
        match value {
            None => Vec::new(),
            Some(Field::Given(items)) => items,
            Some(Field::Wrong(_)) => {
                self.fail(field, "must be an array");
                Vec::new()
            }
        }
    }

    /// A nested object field, checked by `check` under `field`'s name.
    pub fn object<I, T>(
        &mut self,
        field: &str,
        value: Optional<I>,
        check: impl FnOnce(I, &mut Checks) -> Option<T>,
    ) -> Option<T> {
        match value? {
            Field::Given(inner) => {
                let mut nested = Checks::new(self.name(field));
                let checked = check(inner, &mut nested);
                self.errors.append(&mut nested.errors);
                checked
            }
            Field::Wrong(_) => {
                self.fail(field, "must be a JSON object");
                None
            }
        }
    }

    /// The collected errors, or `value` when there were none.
    pub fn finish<T>(self, value: Option<T>) -> Result<T, Vec<FieldError>> {
        match value {
            Some(value) if self.errors.is_empty() => Ok(value),
            _ => Err(self.errors),
        }
    }
}
