//! STIX.
use crate::document::Document;
pub fn render(_doc: &Document) -> Result<String, crate::ReportError> { Ok(String::new()) }
