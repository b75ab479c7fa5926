//! STIX.
use crate::document::Document;
pub fn render(_doc: &Document) -> String { String::new() }
