//! Reading a JSON object field by field, collecting every error at once.

use serde_json::{Map, Value};

use super::FieldError;

/// PostgreSQL text cannot hold U+0000, so no string field may contain it,
/// whichever engine stores it: the same write must succeed or fail on both.
pub(super) const NUL_MESSAGE: &str = "must not contain NUL (U+0000) characters";

pub(super) struct FieldReader<'a> {
    object: &'a Map<String, Value>,
    prefix: &'static str,
    pub errors: Vec<FieldError>,
}

impl<'a> FieldReader<'a> {
    /// Reads `value` as an object; `None` (with the error pushed) if it is not one.
    pub fn new(
        value: &'a Value,
        prefix: &'static str,
        errors: &mut Vec<FieldError>,
    ) -> Option<Self> {
        match value {
            Value::Object(object) => Some(Self {
                object,
                prefix,
                errors: Vec::new(),
            }),
            _ => {
                errors.push(FieldError::new(prefix, "must be a JSON object"));
                None
            }
        }
    }

    fn name(&self, field: &str) -> String {
        if self.prefix.is_empty() {
            field.to_owned()
        } else {
            format!("{}.{field}", self.prefix)
        }
    }

    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        let name = self.name(field);
        self.errors.push(FieldError::new(name, message));
    }

    /// The raw value, `None` when absent or `null`.
    pub fn value(&self, field: &str) -> Option<&'a Value> {
        self.object.get(field).filter(|v| !v.is_null())
    }

    /// A string field; `None` when absent or null. Blank strings count as absent.
    pub fn optional_str(&mut self, field: &str) -> Option<&'a str> {
        match self.value(field) {
            None => None,
            Some(Value::String(s)) if s.contains('\0') => {
                self.fail(field, NUL_MESSAGE);
                None
            }
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) => Some(s.as_str()),
            Some(_) => {
                self.fail(field, "must be a string");
                None
            }
        }
    }

    /// A string field that must be present (it may still be blank).
    pub fn required_str(&mut self, field: &str) -> Option<&'a str> {
        match self.value(field) {
            None => {
                self.fail(field, "is required");
                None
            }
            Some(Value::String(s)) if s.contains('\0') => {
                self.fail(field, NUL_MESSAGE);
                None
            }
            Some(Value::String(s)) => Some(s.as_str()),
            Some(_) => {
                self.fail(field, "must be a string");
                None
            }
        }
    }

    /// Parses an optional string with `parse`, reporting its error under `field`.
    pub fn optional_parsed<T>(
        &mut self,
        field: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let raw = self.optional_str(field)?;
        parse(raw).map_err(|message| self.fail(field, message)).ok()
    }

    /// Parses a required string with `parse`.
    pub fn required_parsed<T>(
        &mut self,
        field: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let raw = self.required_str(field)?;
        parse(raw).map_err(|message| self.fail(field, message)).ok()
    }

    /// An array field; empty when absent or null.
    pub fn array(&mut self, field: &str) -> &'a [Value] {
        match self.value(field) {
            None => &[],
            Some(Value::Array(items)) => items,
            Some(_) => {
                self.fail(field, "must be an array");
                &[]
            }
        }
    }

    /// Moves this reader's errors into `errors`.
    pub fn finish(self, errors: &mut Vec<FieldError>) {
        errors.extend(self.errors);
    }
}
