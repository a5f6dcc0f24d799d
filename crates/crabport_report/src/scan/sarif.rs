//! SARIF 2.1.0 for GitHub code scanning and other SARIF consumers, built on
//! serde-sarif's types (generated from the official schema).

use std::collections::BTreeMap;

use serde_sarif::sarif::{
    ArtifactContent, ArtifactLocation, Location, Message, MultiformatMessageString,
    PhysicalLocation, Region, ReportingConfiguration, ReportingDescriptor, Result as SarifResult,
    ResultLevel, Run, Sarif, Tool, ToolComponent,
};

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use crabport_core::CodeDoc;
use crabport_core::finding::{Finding, Severity};
use crabport_scan::ScanReport;
use crabport_scan::rule::Rule;

/// What a path segment of a URI reference may not carry raw (RFC 3986):
/// controls, space, delimiters, `%` itself, and `:` (a first segment with one
/// would read as a scheme). Non-ASCII is always encoded, as UTF-8.
const PATH_SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}')
    .add(b':');

/// A `/`-separated relative path as a URI reference relative to `%SRCROOT%`.
fn uri_reference(path: &str) -> String {
    path.split('/')
        .map(|segment| utf8_percent_encode(segment, PATH_SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "note",
        Severity::Warning => "warning",
        Severity::Error => "error",
    }
}

fn result_level(severity: Severity) -> ResultLevel {
    match severity {
        Severity::Info => ResultLevel::Note,
        Severity::Warning => ResultLevel::Warning,
        Severity::Error => ResultLevel::Error,
    }
}

/// 64-bit FNV-1a: stable across Rust versions and platforms, unlike `DefaultHasher`.
fn fnv1a(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

fn descriptor(rule: &dyn Rule) -> ReportingDescriptor {
    let doc = rule.doc();
    let mut markdown = format!(
        "{}\n\n**Why it hurts in Rust.** {}\n\n",
        doc.summary, doc.why
    );
    markdown.push_str(&format!("```ts\n{}\n```\n\n", doc.js_example));
    if let Some(naive) = doc.naive_rust {
        markdown.push_str(&format!(
            "The naive port fails with `error[{}]`:\n\n```rust\n{}```\n\n",
            naive.error, naive.code
        ));
    }
    markdown.push_str(&format!(
        "Idiomatic Rust:\n\n```rust\n{}```\n",
        doc.idiomatic_rust
    ));
    let help = MultiformatMessageString::builder()
        .text(format!(
            "{} Run `crabport explain {}` for the Rust that replaces it.",
            doc.why, doc.code
        ))
        .markdown(markdown)
        .build();
    reporting_descriptor(
        doc.code,
        doc.summary,
        doc.why,
        help,
        rule.default_severity(),
    )
}

/// A code that is not a rule (parse-error, too-deep, invalid-suppression).
fn code_descriptor(doc: &CodeDoc) -> ReportingDescriptor {
    let help = MultiformatMessageString::builder().text(doc.body).build();
    reporting_descriptor(
        doc.code,
        doc.summary,
        doc.body,
        help,
        crabport_scan::codes::default_severity(doc.code),
    )
}

fn reporting_descriptor(
    code: &str,
    summary: &str,
    full: &str,
    help: MultiformatMessageString,
    severity: Severity,
) -> ReportingDescriptor {
    ReportingDescriptor::builder()
        .id(code)
        .name(code)
        .short_description(MultiformatMessageString::builder().text(summary).build())
        .full_description(MultiformatMessageString::builder().text(full).build())
        .help(help)
        .default_configuration(
            ReportingConfiguration::builder()
                .level(level(severity))
                .build(),
        )
        .build()
}

fn result(f: &Finding, rule_index: Option<usize>, occurrence: usize) -> SarifResult {
    let region = Region::builder()
        .start_line(f.line as i64)
        .start_column(f.column as i64)
        .end_line(f.end_line as i64)
        .end_column(f.end_column as i64)
        .snippet(ArtifactContent::builder().text(f.snippet.clone()).build())
        .build();
    let location = Location::builder()
        .physical_location(
            PhysicalLocation::builder()
                .artifact_location(
                    ArtifactLocation::builder()
                        .uri(uri_reference(&f.file))
                        .uri_base_id("%SRCROOT%")
                        .build(),
                )
                .region(region)
                .build(),
        )
        .build();
    // Stable when unrelated lines move: rule, file, the line's text, and which
    // occurrence of that text it is.
    let fingerprint = fnv1a(&[f.rule, &f.file, f.snippet.trim(), &occurrence.to_string()]);
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert("crabport/v1".to_owned(), format!("{fingerprint:016x}"));
    let builder = SarifResult::builder()
        .rule_id(f.rule)
        .level(result_level(f.severity))
        .message(
            Message::builder()
                .text(format!("{} Help: {}", f.message, f.help))
                .build(),
        )
        .locations(vec![location])
        .partial_fingerprints(fingerprints);
    match rule_index {
        Some(index) => builder.rule_index(index as i64).build(),
        None => builder.build(),
    }
}

/// The SARIF log for a scan.
///
/// # Errors
/// Only if serialisation fails, which plain data does not.
pub fn sarif(report: &ScanReport) -> serde_json::Result<String> {
    let rules: Vec<&dyn Rule> = crabport_scan::rules::all().collect();
    let mut seen: BTreeMap<(&str, &str, &str), usize> = BTreeMap::new();
    let results: Vec<SarifResult> = report
        .findings
        .iter()
        .map(|f| {
            let occurrence = seen
                .entry((f.rule, f.file.as_str(), f.snippet.trim()))
                .or_default();
            *occurrence += 1;
            let index = rules
                .iter()
                .map(|r| r.code())
                .chain(crabport_scan::codes::CODES.iter().map(|c| c.code))
                .position(|code| code == f.rule);
            result(f, index, *occurrence)
        })
        .collect();
    let driver = ToolComponent::builder()
        .name("crabport")
        .version(env!("CARGO_PKG_VERSION"))
        .information_uri("https://github.com/crabport/crabport")
        .rules(
            rules
                .iter()
                .map(|r| descriptor(*r))
                .chain(crabport_scan::codes::CODES.iter().map(code_descriptor))
                .collect::<Vec<_>>(),
        )
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(results)
        .build();
    let log = Sarif::builder()
        .schema(SCHEMA)
        .version(serde_json::Value::from("2.1.0"))
        .runs(vec![run])
        .build();
    let mut text = serde_json::to_string_pretty(&log)?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_stable_values() {
        assert_eq!(fnv1a(&["a"]), fnv1a(&["a"]));
        assert_ne!(fnv1a(&["ab", "c"]), fnv1a(&["a", "bc"]));
        // FNV-1a of "a\0" (checked independently): fingerprints never change between builds.
        assert_eq!(fnv1a(&["a"]), 0x089b_e207_b544_f1e4);
    }

    #[test]
    fn sarif_uri_is_percent_encoded() {
        assert_eq!(uri_reference("src/app.ts"), "src/app.ts");
        assert_eq!(
            uri_reference("src/my file <x>`#?%.ts"),
            "src/my%20file%20%3Cx%3E%60%23%3F%25.ts"
        );
        assert_eq!(uri_reference("a:b/\n\u{7f}é.js"), "a%3Ab/%0A%7F%C3%A9.js");
    }
}
