//! Files too deep to analyse, found before oxc sees them.
//!
//! oxc parses by recursive descent, and semantic analysis and the rules walk
//! the tree recursively, so a file nested thousands of levels deep (generated
//! code, or a hostile file) would overflow the stack, and a stack overflow
//! aborts the whole process: no report for any file. Two guards keep a scan
//! alive:
//!
//! - [`too_deep`], a linear pre-scan: brackets `( [ {`, template
//!   substitutions `${` and chained arrows `=>` nested deeper than
//!   [`MAX_NESTING`] make the file a `too-deep` finding at the place the limit
//!   is crossed. Strings, comments, template text and regular expressions are
//!   skipped. Node itself stops compiling nested parentheses at about 1,600.
//! - [`stack_needed`], the stack budget: recursion that the pre-scan does not
//!   count (`!!!!…`, `else if` chains, long `.then()` chains) costs at most
//!   [`STACK_PER_BYTE`] per byte of source, so a file is analysed on a stack
//!   sized to its length and can never overflow it.

/// Deepest nesting analysed.
pub const MAX_NESTING: usize = 1000;

/// Stack of each scan worker: only reserved, the OS maps pages as recursion
/// touches them, so ordinary files cost what they did on a small stack.
pub const WORKER_STACK: usize = 256 << 20;

/// The most stack the parser, semantic analysis and every rule take per
/// byte of source, with room to spare. Measured (release and debug builds,
/// 8 MiB stack): `((((` 1.5 KiB a byte, `A<A<` 0.8 KiB, `a=a=` 0.3 KiB,
/// `!!!!` 0.1 KiB; every level of nesting consumes at least one byte.
pub const STACK_PER_BYTE: usize = 2 << 10;

/// Stack for a file's analysis outside its recursion.
const STACK_BASE: usize = 16 << 20;

/// The stack that analysing a file of `len` bytes can need at most.
pub fn stack_needed(len: usize) -> usize {
    STACK_BASE.saturating_add(len.saturating_mul(STACK_PER_BYTE))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Root,
    Paren,
    Bracket,
    Brace,
    /// `${` of a template literal: its `}` returns to template text.
    Substitution,
}

#[derive(Debug)]
struct Frame {
    open: Open,
    /// `=>` whose bodies have not ended yet inside this bracket.
    arrows: usize,
}

/// What came before a `/` or a line break, which decides what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prev {
    /// Start, an operator, an opener or a keyword like `return`: an operand
    /// follows, so `/` starts a regular expression.
    Operand,
    /// An identifier, literal or `)`/`]`: `/` divides.
    Value,
    /// `}`: a block's end (a regular expression may follow) or an object's.
    Brace,
}

/// Keywords after which an expression starts (`return /re/`).
const OPERAND_KEYWORDS: &[&[u8]] = &[
    b"return",
    b"typeof",
    b"instanceof",
    b"in",
    b"of",
    b"new",
    b"delete",
    b"void",
    b"throw",
    b"case",
    b"do",
    b"else",
    b"yield",
    b"await",
    b"extends",
];

/// The bytes the scan stops at; everything else is skipped in a tight loop.
const INTERESTING: [bool; 256] = {
    let mut table = [false; 256];
    let bytes = b"()[]{}'\"`/=;,\n";
    let mut i = 0;
    while i < bytes.len() {
        table[bytes[i] as usize] = true;
        i += 1;
    }
    table
};

struct Scanner<'s> {
    bytes: &'s [u8],
    pos: usize,
    stack: Vec<Frame>,
    /// Brackets open plus pending arrows.
    depth: usize,
    max: usize,
}

/// The byte offset where `source` first nests deeper than `max`, if it does.
pub fn too_deep(source: &str, max: usize) -> Option<usize> {
    // Every level opens with `(`, `[`, `{`, `${` or `=>`: a file with fewer
    // of those bytes cannot be that deep, and counting them (SIMD) is far
    // cheaper than the scan below. Most files stop here.
    let bytes = source.as_bytes();
    let openers = memchr::memchr3_iter(b'(', b'[', b'{', bytes).count()
        + memchr::memchr2_iter(b'$', b'>', bytes).count();
    if openers <= max {
        return None;
    }
    let mut scanner = Scanner {
        bytes,
        pos: 0,
        stack: vec![Frame {
            open: Open::Root,
            arrows: 0,
        }],
        depth: 0,
        max,
    };
    if scanner.bytes.starts_with(b"#!") {
        scanner.skip_line();
    }
    scanner.run().err()
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$' | b'#' | b'\\') || b >= 0x80
}

impl Scanner<'_> {
    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    fn run(&mut self) -> Result<(), usize> {
        loop {
            while self
                .bytes
                .get(self.pos)
                .is_some_and(|&b| !INTERESTING[b as usize])
            {
                self.pos += 1;
            }
            let Some(b) = self.peek(0) else {
                return Ok(());
            };
            let start = self.pos;
            self.pos += 1;
            match b {
                b'\n' => self.line_break(start),
                b'/' => match self.peek(0) {
                    Some(b'/') => self.skip_line(),
                    Some(b'*') => self.block_comment(),
                    _ => {
                        if self.prev(start) != Prev::Value {
                            self.regex();
                        }
                    }
                },
                b'\'' | b'"' => self.string(b),
                b'`' => self.template_text()?,
                b'(' => self.open(Open::Paren, start)?,
                b'[' => self.open(Open::Bracket, start)?,
                b'{' => self.open(Open::Brace, start)?,
                b')' => self.close(Open::Paren),
                b']' => self.close(Open::Bracket),
                b'}' => {
                    if self.top().open == Open::Substitution {
                        self.pop();
                        self.template_text()?;
                    } else {
                        self.close(Open::Brace);
                    }
                }
                b'=' => {
                    if self.peek(0) == Some(b'>') {
                        self.pos += 1;
                        self.top_mut().arrows += 1;
                        self.deeper(start)?;
                    }
                }
                // `;` and `,`
                _ => self.end_arrows(),
            }
        }
    }

    /// The kind of token that ends before `at`, looking back over spaces.
    /// Only asked at a `/` or at a line break inside an arrow's body.
    fn prev(&self, at: usize) -> Prev {
        let before = &self.bytes[..at];
        let Some(end) = before.iter().rposition(|b| !b.is_ascii_whitespace()) else {
            return Prev::Operand;
        };
        match before[end] {
            b')' | b']' | b'\'' | b'"' | b'`' => Prev::Value,
            b'}' => Prev::Brace,
            b if is_word_byte(b) => {
                let start = before[..end]
                    .iter()
                    .rposition(|&b| !is_word_byte(b))
                    .map_or(0, |i| i + 1);
                if OPERAND_KEYWORDS.contains(&&before[start..=end]) {
                    Prev::Operand
                } else {
                    Prev::Value
                }
            }
            _ => Prev::Operand,
        }
    }

    fn top(&self) -> &Frame {
        // The root frame is never popped.
        &self.stack[self.stack.len() - 1]
    }

    fn top_mut(&mut self) -> &mut Frame {
        let last = self.stack.len() - 1;
        &mut self.stack[last]
    }

    /// One level deeper; `Err(at)` past the limit.
    fn deeper(&mut self, at: usize) -> Result<(), usize> {
        self.depth += 1;
        if self.depth > self.max {
            Err(at)
        } else {
            Ok(())
        }
    }

    fn open(&mut self, open: Open, at: usize) -> Result<(), usize> {
        self.stack.push(Frame { open, arrows: 0 });
        self.deeper(at)
    }

    fn pop(&mut self) {
        if self.stack.len() > 1
            && let Some(frame) = self.stack.pop()
        {
            self.depth -= 1 + frame.arrows;
        }
    }

    /// A closer that does not match the innermost opener is ignored: the
    /// depth may come out higher than the parser's, never lower.
    fn close(&mut self, open: Open) {
        if self.top().open == open {
            self.pop();
        }
    }

    /// An arrow's body ends at `,`, `;` or a line break after a value.
    fn end_arrows(&mut self) {
        let frame = self.top_mut();
        let arrows = std::mem::take(&mut frame.arrows);
        self.depth -= arrows;
    }

    fn line_break(&mut self, at: usize) {
        if self.top().arrows > 0 && self.prev(at) != Prev::Operand {
            self.end_arrows();
        }
    }

    fn skip_line(&mut self) {
        self.pos = memchr::memchr(b'\n', &self.bytes[self.pos..])
            .map_or(self.bytes.len(), |i| self.pos + i);
    }

    /// From after the `/` of `/*` to after `*/`.
    fn block_comment(&mut self) {
        let from = self.pos + 1;
        let rest = self.bytes.get(from..).unwrap_or_default();
        let len = memchr::memmem::find(rest, b"*/").map_or(rest.len(), |i| i + 2);
        self.pos = from + len;
        if let Some(newline) = memchr::memchr(b'\n', &rest[..len]) {
            self.line_break(from + newline);
        }
    }

    /// From after the opening quote; an unterminated string ends at the line break.
    fn string(&mut self, quote: u8) {
        while let Some(i) = memchr::memchr3(quote, b'\\', b'\n', &self.bytes[self.pos..]) {
            let b = self.bytes[self.pos + i];
            self.pos += i;
            match b {
                b'\\' => self.pos += 2,
                b'\n' => return,
                _ => {
                    self.pos += 1;
                    return;
                }
            }
            if self.pos >= self.bytes.len() {
                break;
            }
        }
        self.pos = self.bytes.len();
    }

    /// Template text up to the closing backtick or a `${`, which opens a
    /// substitution the matching `}` returns from.
    fn template_text(&mut self) -> Result<(), usize> {
        while let Some(i) = memchr::memchr3(b'`', b'\\', b'$', &self.bytes[self.pos..]) {
            let at = self.pos + i;
            self.pos = at + 1;
            match self.bytes[at] {
                b'\\' => self.pos += 1,
                b'`' => return Ok(()),
                _ if self.peek(0) == Some(b'{') => {
                    self.pos += 1;
                    return self.open(Open::Substitution, at);
                }
                _ => {}
            }
            if self.pos >= self.bytes.len() {
                break;
            }
        }
        self.pos = self.bytes.len();
        Ok(())
    }

    /// A regular expression literal from after its `/`; nothing consumed
    /// when none ends on this line, so the `/` divided after all.
    fn regex(&mut self) {
        let mut i = self.pos;
        let mut class = false;
        while let Some(&b) = self.bytes.get(i) {
            match b {
                b'\n' | b'\r' => return,
                b'\\' => i += 1,
                b'[' => class = true,
                b']' => class = false,
                b'/' if !class => {
                    self.pos = i + 1;
                    return;
                }
                _ => {}
            }
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_exceeds(source: &str, max: usize) -> Option<&str> {
        too_deep(source, max).map(|at| &source[at..])
    }

    #[test]
    fn counts_brackets_substitutions_and_arrow_chains() {
        assert_eq!(depth_exceeds("f((1))", 2), None);
        assert_eq!(depth_exceeds("f(((1)))", 2), Some("(1)))"));
        assert_eq!(depth_exceeds("x = [{a: [1]}]", 2), Some("[1]}]"));
        assert_eq!(depth_exceeds("`${`${`${1}`}`}`", 2), Some("${1}`}`}`"));
        assert_eq!(depth_exceeds("x = a => b => c => d", 2), Some("=> d"));
        // Arrow bodies end at `,`, `;`, a closing bracket or a line break.
        assert_eq!(
            depth_exceeds("f(a => a, b => b); g = c => c;\nh = d => d\nk()", 2),
            None
        );
        assert_eq!(
            depth_exceeds("x = a =>\n b =>\n c =>\n d", 2),
            Some("=>\n d")
        );
    }

    #[test]
    fn skips_strings_comments_template_text_and_regular_expressions() {
        let source = r#"
// ((((((
/* [[[[[[ */
const s = "((((((" + '[[[[[[' + `{{{{{{ ${ "(((" } }}}}`;
const re = /((((((\/[(]/g, n = a / b / c;
if (ok) { return /{{{{{{/.test(s); }
"#;
        assert_eq!(depth_exceeds(source, 2), None);
        // A `/` with no regular expression ending on its line divides.
        assert_eq!(depth_exceeds("x = {} / (\n(\n(1)))", 2), Some("(1)))"));
    }

    #[test]
    fn stray_closers_never_lower_the_depth() {
        assert_eq!(depth_exceeds("f(]]]]]]}}}}((1)))", 2), Some("(1)))"));
    }

    #[test]
    fn the_stack_budget_grows_with_the_file() {
        assert!(stack_needed(1 << 10) < WORKER_STACK);
        assert!(stack_needed(1 << 20) > WORKER_STACK);
        assert_eq!(stack_needed(usize::MAX), usize::MAX);
    }
}
