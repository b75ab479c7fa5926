//! `report.json`: the document, pretty-printed, with a final newline.

use crate::document::Document;
use crate::ReportError;

pub fn render(doc: &Document) -> Result<String, ReportError> {
    let mut s = serde_json::to_string_pretty(doc)?;
    s.push('\n');
    Ok(s)
}

/// A `report.json` read back (its `schema` and `version` checked).
pub fn parse(text: &str) -> Result<Document, ReportError> {
    let doc: Document = serde_json::from_str(text)?;
    if doc.schema != crate::document::SCHEMA || doc.version != crate::document::VERSION {
        return Err(ReportError::Invalid(format!(
            "not a {} version {} document (schema {:?}, version {})",
            crate::document::SCHEMA,
            crate::document::VERSION,
            doc.schema,
            doc.version
        )));
    }
    Ok(doc)
}
