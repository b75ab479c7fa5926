//! The engine's layout (ARCHITECTURE.md): `detect/`'s files import one way, in the order the
//! pass uses them, and nothing in `detect/` imports `investigate/` or `eval/`. Read from the
//! source itself, so a new import against the order fails here rather than in a review.

use std::collections::BTreeMap;
use std::path::Path;

/// Each file of `detect/` with its layer: a file may import only files of lower layers.
const LAYERS: &[(&str, u32)] = &[
    ("prefetch", 0),
    ("pairs", 1),
    ("history", 2),
    ("chain", 3),
    ("arrival", 3),
    ("switch", 4),
    ("outgoing", 4),
    ("score", 4),
    ("attack", 5),
    ("alert", 6),
    ("explain", 7),
    ("lead", 7),
    ("budget", 7),
    ("stream", 7),
    ("detector", 8),
    ("rule", 9),
    ("probe", 5),
    ("mod", 10),
];

/// The `detect` modules a source names in code (comments and doc links left out).
fn imports(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in source.lines() {
        let code = line.split("//").next().unwrap_or("");
        for prefix in ["crate::detect::", "super::"] {
            let mut rest = code;
            while let Some(at) = rest.find(prefix) {
                rest = &rest[at + prefix.len()..];
                let name: String =
                    rest.chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect();
                // `super::*` in a test module, `super::super` never used
                if !name.is_empty() && rest[name.len()..].starts_with("::") {
                    found.push(name);
                }
            }
        }
    }
    found
}

#[test]
fn detection_files_import_one_way_and_never_investigation_or_evaluation() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/detect");
    let layer: BTreeMap<&str, u32> = LAYERS.iter().copied().collect();
    let mut seen = 0;
    let mut wrong = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("src/detect") {
        let path = entry.expect("entry").path();
        let file = path.file_stem().and_then(|s| s.to_str()).expect("name").to_owned();
        let Some(&own) = layer.get(file.as_str()) else {
            panic!("detect/{file}.rs has no layer in LAYERS: give it one (and ARCHITECTURE.md)");
        };
        seen += 1;
        let source = std::fs::read_to_string(&path).expect("read");
        assert!(
            !source.contains("crate::investigate") && !source.contains("crate::eval"),
            "detect/{file}.rs imports investigation or evaluation"
        );
        for name in imports(&source) {
            match layer.get(name.as_str()) {
                Some(&theirs) if theirs < own => {}
                Some(_) => wrong.push(format!("detect/{file}.rs imports {name}")),
                None => {} // a module outside detect/ reached as super:: (none today)
            }
        }
    }
    assert_eq!(seen, LAYERS.len(), "every file of LAYERS exists in src/detect");
    assert!(wrong.is_empty(), "imports against the layer order: {wrong:#?}");
}

#[test]
fn the_import_reader_sees_code_and_skips_comments() {
    let src = "use crate::detect::alert::Alert;\n// crate::detect::rule::x\n\
               let x = super::chain::Trail::x(); /// [`crate::detect::lead`]\n    use super::*;";
    assert_eq!(imports(src), vec!["alert".to_owned(), "chain".to_owned()]);
}
