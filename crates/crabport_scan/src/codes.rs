//! Codes `crabport scan` prints besides its rules' (`crabport explain <code>`).

use crabport_core::CodeDoc;
use crabport_core::finding::Severity;

pub const CODES: &[CodeDoc] = &[
    CodeDoc {
        code: crate::PARSE_ERROR,
        kind: "scan-file",
        summary: "A file crabport could not read or parse.",
        body: "oxc could not parse the file (a syntax error, or syntax oxc does not support yet), or the file could not be read (permissions, not UTF-8). Its position is the parser's first error. No rule ran on it; the rest of the scan went on. Fix the syntax, or leave the file out with `--exclude` or `[scan] exclude`.",
    },
    CodeDoc {
        code: crate::TOO_DEEP,
        kind: "scan-file",
        summary: "A file nested too deep to analyse.",
        body: "Brackets `( [ {`, template substitutions `${` and chained arrows `=>` nest more than 1,000 levels deep from the position shown (Node itself stops compiling nested parentheses at about 1,600). Parsing and every rule recurse once per level, so crabport does not analyse the file rather than risk its stack; the rest of the scan goes on. Generated code reaches such depths: leave it out with `--exclude` or `[scan] exclude`. Also reported, at 1:1, when the system will not reserve the stack a very long file could need.",
    },
    CodeDoc {
        code: crate::INVALID_SUPPRESSION,
        kind: "scan-file",
        summary: "A `// crabport-ignore` comment that suppresses nothing as written.",
        body: "A suppression is a line comment on its own line, just before the finding's line: `// crabport-ignore <rule>[, <rule>…]: <reason>`. This one names no rule, names a rule that does not exist (the message suggests the closest one), gives no reason, is a block comment, or follows code on its line. Valid rule names in the same comment still suppress; the rest do nothing until the comment is fixed.",
    },
];

/// The severity a finding of one of [`CODES`] has unless `[scan] severity` says otherwise.
pub fn default_severity(code: &str) -> Severity {
    if code == crate::INVALID_SUPPRESSION {
        Severity::Warning
    } else {
        Severity::Error
    }
}
