//! From a TypeScript function's declared types to the Rust signature of
//! its napi-rs binding. Only what converts without guessing is mapped;
//! everything else is reported at its position with what to do, and the
//! caller refuses to generate.

use std::collections::BTreeMap;
use std::path::Path;

use crabport_core::{InputError, LineIndex, Position};
use oxc_allocator::Allocator;
use oxc_ast::ast::{
    BindingPattern, Declaration, Expression, FormalParameters, Function, PropertyKey, Statement,
    TSSignature, TSType, TSTypeName,
};
use oxc_parser::Parser;
use oxc_span::{GetSpan as _, SourceType, Span};
use serde::Serialize;

/// A Rust type napi-rs converts to and from a JS value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "of", rename_all = "kebab-case")]
pub enum RustType {
    F64,
    I32,
    I64,
    U32,
    String,
    Bool,
    Buffer,
    Unit,
    Vec(Box<RustType>),
    Option(Box<RustType>),
    /// A `#[napi(object)]` struct of this name.
    Struct(String),
}

impl RustType {
    pub fn rust(&self) -> String {
        match self {
            Self::F64 => "f64".into(),
            Self::I32 => "i32".into(),
            Self::I64 => "i64".into(),
            Self::U32 => "u32".into(),
            Self::String => "String".into(),
            Self::Bool => "bool".into(),
            Self::Buffer => "Buffer".into(),
            Self::Unit => "()".into(),
            Self::Vec(t) => format!("Vec<{}>", t.rust()),
            Self::Option(t) => format!("Option<{}>", t.rust()),
            Self::Struct(name) => name.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Param {
    /// As the TypeScript names it.
    pub name: String,
    pub rust_name: String,
    pub ty: RustType,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    pub name: String,
    pub rust_name: String,
    pub ty: RustType,
}

/// An interface or type alias of a plain object, as a `#[napi(object)]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Struct {
    pub name: String,
    pub fields: Vec<Field>,
}

/// A construct the binding cannot convert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unsupported {
    pub line: usize,
    pub column: usize,
    /// The construct, as written.
    pub construct: String,
    /// What to do instead.
    pub advice: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signature {
    pub function: String,
    pub rust_name: String,
    pub params: Vec<Param>,
    pub returns: RustType,
    pub is_async: bool,
    /// Every struct the signature reaches, nested ones included, in order
    /// of first use.
    pub structs: Vec<Struct>,
    /// 1-based lines of the function in its file.
    pub lines: (usize, usize),
    /// The function's source text.
    pub source: String,
}

impl Signature {
    /// `items: Vec<LineItem>, tax: u32`; with a `prefix`, each name after it
    /// (and without `r#`).
    pub fn rust_params(&self, prefix: &str) -> String {
        self.params
            .iter()
            .map(|p| {
                let name = if prefix.is_empty() {
                    p.rust_name.clone()
                } else {
                    format!("{prefix}{}", p.rust_name.trim_start_matches("r#"))
                };
                format!("{name}: {}", p.ty.rust())
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `fn compute_total(items: Vec<LineItem>) -> i64`: what the binding
    /// takes and gives, before napi's `Result`.
    pub fn rust_signature(&self) -> String {
        format!(
            "{}fn {}({}) -> {}",
            if self.is_async { "async " } else { "" },
            self.rust_name,
            self.rust_params(""),
            self.returns.rust()
        )
    }
}

/// What [`derive`] found: a signature, and what it could not map (empty
/// when the binding can be generated).
#[derive(Debug, Clone)]
pub struct Derived {
    pub signature: Signature,
    pub unsupported: Vec<Unsupported>,
}

/// Finds `function` (a function declaration, or a `const` bound to an arrow
/// or function expression, exported or not) in `source` and maps its types.
///
/// # Errors
/// The file does not parse, or has no such function.
pub fn derive(path: &Path, source: &str, function: &str) -> Result<Derived, InputError> {
    let lines = LineIndex::new(source);
    let source_type = SourceType::from_path(path).unwrap_or_default();
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, source, source_type).parse();
    if parsed.panicked || parsed.diagnostics.has_errors() {
        let (offset, message) = parsed.diagnostics.errors().next().map_or_else(
            || (0, "the file does not parse".to_owned()),
            |e| {
                (
                    e.labels.first().map_or(0, |l| l.offset() as usize),
                    e.message.to_string(),
                )
            },
        );
        return Err(InputError::at(path, lines.position(offset), message));
    }
    let program = &parsed.program;
    let mut types: BTreeMap<&str, &TSType<'_>> = BTreeMap::new();
    let mut interfaces = BTreeMap::new();
    let mut found: Option<(Span, &FormalParameters<'_>, Option<&TSType<'_>>, bool)> = None;
    let mut declarations: Vec<&Declaration<'_>> = Vec::new();
    for statement in &program.body {
        match statement {
            Statement::ExportDeclaration(e) => declarations.push(&e.declaration),
            other => {
                if let Some(d) = other.as_declaration() {
                    declarations.push(d);
                }
            }
        }
    }
    for d in declarations {
        match d {
            Declaration::FunctionDeclaration(f)
                if f.id.as_ref().is_some_and(|id| id.name == function) =>
            {
                found = Some(function_parts(f, f.span));
            }
            Declaration::VariableDeclaration(v) => {
                for declarator in &v.declarations {
                    let BindingPattern::BindingIdentifier(id) = &declarator.id else {
                        continue;
                    };
                    if id.name != function {
                        continue;
                    }
                    match &declarator.init {
                        Some(Expression::ArrowFunctionExpression(a)) => {
                            found = Some((
                                v.span,
                                &a.params,
                                a.return_type.as_ref().map(|t| &t.type_annotation),
                                a.r#async,
                            ));
                        }
                        Some(Expression::FunctionExpression(f)) => {
                            found = Some(function_parts(f, v.span));
                        }
                        _ => {}
                    }
                }
            }
            Declaration::TSTypeAliasDeclaration(t) => {
                types.insert(t.id.name.as_str(), &t.type_annotation);
            }
            Declaration::TSInterfaceDeclaration(i) => {
                interfaces.insert(i.id.name.as_str(), &**i);
            }
            _ => {}
        }
    }
    let Some((span, params, returns, is_async)) = found else {
        return Err(InputError::new(
            path,
            format!(
                "no function `{function}` at the top level of this file (a function declaration or a const bound to a function)"
            ),
        ));
    };
    let start = lines.position(span.start as usize);
    let end = lines.position(span.end as usize);
    let doc = jsdoc_before(source, span.start as usize);
    let mut mapper = Mapper {
        lines: &lines,
        source,
        types,
        interfaces,
        structs: Vec::new(),
        in_progress: Vec::new(),
        unsupported: Vec::new(),
    };
    let mut mapped = Vec::new();
    for p in &params.items {
        let BindingPattern::BindingIdentifier(id) = &p.pattern else {
            mapper.refuse(
                p.span,
                "pass the object as one parameter with an interface type and destructure it in Rust",
            );
            continue;
        };
        let name = id.name.to_string();
        let ty = match &p.type_annotation {
            Some(t) => mapper.map(&t.type_annotation, jsdoc_param(&doc, &name)),
            None => {
                mapper.refuse(
                    p.span,
                    "give the parameter a type (TypeScript, or JSDoc in a .ts file)",
                );
                RustType::Unit
            }
        };
        let ty = if p.optional || p.initializer.is_some() {
            optional(ty)
        } else {
            ty
        };
        mapped.push(Param {
            rust_name: snake_case(&name),
            name,
            ty,
        });
    }
    if let Some(rest) = &params.rest {
        mapper.refuse(
            rest.span,
            "take an array parameter instead of a rest parameter",
        );
    }
    let returns = match returns {
        None => {
            mapper.refuse(
                Span::new(span.start, params.span.end),
                "declare the return type: the binding is derived from declared types only",
            );
            RustType::Unit
        }
        Some(t) => {
            let (inner, promised) = promised(t);
            if promised && !is_async {
                mapper.refuse(
                    t.span(),
                    "mark the function async: a Promise from a non-async function is not bound",
                );
            }
            mapper.map(
                inner,
                jsdoc_tag(&doc, "returns").or_else(|| jsdoc_tag(&doc, "return")),
            )
        }
    };
    let start_offset = source[..span.start as usize]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    Ok(Derived {
        signature: Signature {
            function: function.to_owned(),
            rust_name: snake_case(function),
            params: mapped,
            returns,
            is_async,
            structs: mapper.structs,
            lines: (start.line, end.line),
            source: source[start_offset..span.end as usize].to_owned(),
        },
        unsupported: mapper.unsupported,
    })
}

fn function_parts<'a, 'b>(
    f: &'b Function<'a>,
    span: Span,
) -> (Span, &'b FormalParameters<'a>, Option<&'b TSType<'a>>, bool) {
    (
        span,
        &f.params,
        f.return_type.as_ref().map(|t| &t.type_annotation),
        f.r#async,
    )
}

/// `Promise<T>` → (`T`, true).
fn promised<'a, 'b>(t: &'b TSType<'a>) -> (&'b TSType<'a>, bool) {
    if let TSType::TSTypeReference(r) = t
        && let TSTypeName::IdentifierReference(id) = &r.type_name
        && id.name == "Promise"
        && let Some(args) = &r.type_arguments
        && args.params.len() == 1
    {
        return (&args.params[0], true);
    }
    (t, false)
}

fn optional(ty: RustType) -> RustType {
    match ty {
        RustType::Option(_) => ty,
        other => RustType::Option(Box::new(other)),
    }
}

struct Mapper<'s, 'a> {
    lines: &'s LineIndex<'s>,
    source: &'s str,
    types: BTreeMap<&'s str, &'s TSType<'a>>,
    interfaces: BTreeMap<&'s str, &'s oxc_ast::ast::TSInterfaceDeclaration<'a>>,
    structs: Vec<Struct>,
    in_progress: Vec<String>,
    unsupported: Vec<Unsupported>,
}

impl<'a> Mapper<'_, 'a> {
    fn refuse(&mut self, span: Span, advice: &str) {
        let Position { line, column } = self.lines.position(span.start as usize);
        let text = &self.source[span.start as usize..span.end as usize];
        let construct = if text.len() > 80 {
            let mut cut = 80;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            format!("{}…", &text[..cut])
        } else {
            text.to_owned()
        };
        self.unsupported.push(Unsupported {
            line,
            column,
            construct,
            advice: advice.to_owned(),
        });
    }

    /// `hint`: a JSDoc type (`i32`, `u32`, `i64`) that narrows `number`.
    fn map(&mut self, t: &TSType<'a>, hint: Option<String>) -> RustType {
        match t {
            TSType::TSNumberKeyword(_) => match hint.as_deref() {
                Some("i32") => RustType::I32,
                Some("u32") => RustType::U32,
                Some("i64") => RustType::I64,
                _ => RustType::F64,
            },
            TSType::TSStringKeyword(_) => RustType::String,
            TSType::TSBooleanKeyword(_) => RustType::Bool,
            TSType::TSVoidKeyword(_) | TSType::TSUndefinedKeyword(_) => RustType::Unit,
            TSType::TSParenthesizedType(p) => self.map(&p.type_annotation, hint),
            TSType::TSArrayType(a) => RustType::Vec(Box::new(self.map(&a.element_type, hint))),
            TSType::TSUnionType(u) => {
                let present: Vec<&TSType<'a>> = u
                    .types
                    .iter()
                    .filter(|t| {
                        !matches!(t, TSType::TSUndefinedKeyword(_) | TSType::TSNullKeyword(_))
                    })
                    .collect();
                if present.len() == 1 && present.len() < u.types.len() {
                    optional(self.map(present[0], hint))
                } else {
                    self.refuse(
                        t.span(),
                        "a union is not one Rust type: split the function per case, or use an interface with optional fields (a Rust enum needs a hand-written conversion)",
                    );
                    RustType::Unit
                }
            }
            TSType::TSTypeReference(r) => {
                let name = match &r.type_name {
                    TSTypeName::IdentifierReference(id) => id.name.as_str(),
                    _ => {
                        self.refuse(
                            t.span(),
                            "import the type by name or declare it in this file",
                        );
                        return RustType::Unit;
                    }
                };
                let args = r.type_arguments.as_ref().map(|a| &a.params);
                match (name, args) {
                    ("Array" | "ReadonlyArray", Some(args)) if args.len() == 1 => {
                        RustType::Vec(Box::new(self.map(&args[0], hint)))
                    }
                    ("Buffer" | "Uint8Array", None) => RustType::Buffer,
                    ("i32", None) => RustType::I32,
                    ("u32", None) => RustType::U32,
                    ("i64", None) => RustType::I64,
                    ("Promise", _) => {
                        self.refuse(t.span(), "only the return type may be a Promise");
                        RustType::Unit
                    }
                    (_, None) => self.named(name, t.span(), hint),
                    _ => {
                        self.refuse(
                            t.span(),
                            "generic types are not bound: use a concrete interface",
                        );
                        RustType::Unit
                    }
                }
            }
            TSType::TSTypeLiteral(_) => {
                self.refuse(
                    t.span(),
                    "name the object type (an interface or a type alias) so it becomes a #[napi(object)] struct",
                );
                RustType::Unit
            }
            TSType::TSAnyKeyword(_) | TSType::TSUnknownKeyword(_) => {
                self.refuse(
                    t.span(),
                    "`any`/`unknown` has no Rust type: declare what the function really takes (or pass JSON text and parse it with serde)",
                );
                RustType::Unit
            }
            TSType::TSFunctionType(_) => {
                self.refuse(
                    t.span(),
                    "a callback crosses the boundary on every call: keep the loop that calls it in JS, or pass the data the callback needs",
                );
                RustType::Unit
            }
            _ => {
                self.refuse(t.span(), "no napi-rs conversion is derived for this type: use number, string, boolean, arrays, Buffer or a named plain-object type");
                RustType::Unit
            }
        }
    }

    /// A type alias or interface of this file.
    fn named(&mut self, name: &str, span: Span, hint: Option<String>) -> RustType {
        if self.in_progress.iter().any(|n| n == name) {
            self.refuse(
                span,
                "a recursive type needs a hand-written conversion (Box it in Rust)",
            );
            return RustType::Struct(name.to_owned());
        }
        if self.structs.iter().any(|s| s.name == name) {
            return RustType::Struct(name.to_owned());
        }
        if let Some(alias) = self.types.get(name).copied() {
            if let TSType::TSTypeLiteral(lit) = alias {
                let members: Vec<&TSSignature<'a>> = lit.members.iter().collect();
                return self.object(name, &members);
            }
            // `type Cents = number` and the like: the aliased type.
            return self.map(alias, hint.or_else(|| int_alias(name)));
        }
        if let Some(interface) = self.interfaces.get(name).copied() {
            if !interface.extends.is_empty() {
                self.refuse(
                    interface.span,
                    "copy the inherited fields in: `extends` is not followed",
                );
            }
            let members: Vec<&TSSignature<'a>> = interface.body.body.iter().collect();
            return self.object(name, &members);
        }
        self.refuse(
            span,
            "the type is not declared in this file: classes and imported types are not followed (declare a plain-object interface here)",
        );
        RustType::Unit
    }

    fn object(&mut self, name: &str, members: &[&TSSignature<'a>]) -> RustType {
        self.in_progress.push(name.to_owned());
        let mut fields = Vec::new();
        for m in members {
            let TSSignature::TSPropertySignature(p) = m else {
                self.refuse(
                    m.span(),
                    "only data fields cross as a #[napi(object)]; methods stay in JS",
                );
                continue;
            };
            let key = match &p.key {
                PropertyKey::StaticIdentifier(id) => id.name.to_string(),
                PropertyKey::StringLiteral(s) => s.value.to_string(),
                _ => {
                    self.refuse(p.span, "use a plain field name");
                    continue;
                }
            };
            let ty = match &p.type_annotation {
                Some(t) => self.map(&t.type_annotation, None),
                None => {
                    self.refuse(p.span, "give the field a type");
                    continue;
                }
            };
            fields.push(Field {
                rust_name: snake_case(&key),
                name: key,
                ty: if p.optional { optional(ty) } else { ty },
            });
        }
        self.in_progress.pop();
        self.structs.push(Struct {
            name: name.to_owned(),
            fields,
        });
        RustType::Struct(name.to_owned())
    }
}

fn int_alias(name: &str) -> Option<String> {
    matches!(name, "i32" | "u32" | "i64").then(|| name.to_owned())
}

/// The `/** … */` right before `at` (only whitespace and `export` between).
fn jsdoc_before(source: &str, at: usize) -> String {
    let before = source[..at].trim_end();
    let before = before.strip_suffix("export").unwrap_or(before).trim_end();
    match before.strip_suffix("*/") {
        Some(rest) => rest
            .rfind("/**")
            .map_or_else(String::new, |i| rest[i + 3..].to_owned()),
        None => String::new(),
    }
}

/// `@param {i32} count` → `i32`.
fn jsdoc_param(doc: &str, name: &str) -> Option<String> {
    doc.lines().find_map(|l| {
        let rest = l
            .trim()
            .trim_start_matches('*')
            .trim()
            .strip_prefix("@param")?;
        let (ty, after) = braced(rest)?;
        let param = after.split_whitespace().next()?;
        (param.trim_matches(['[', ']']) == name).then_some(ty)
    })
}

/// `@returns {u32}` → `u32`.
fn jsdoc_tag(doc: &str, tag: &str) -> Option<String> {
    doc.lines().find_map(|l| {
        let rest = l
            .trim()
            .trim_start_matches('*')
            .trim()
            .strip_prefix('@')?
            .strip_prefix(tag)?;
        braced(rest).map(|(ty, _)| ty)
    })
}

fn braced(text: &str) -> Option<(String, &str)> {
    let text = text.trim_start().strip_prefix('{')?;
    let (ty, after) = text.split_once('}')?;
    Some((ty.trim().to_owned(), after))
}

/// `computeTotal` → `compute_total`, `parseHTTPLine` → `parse_http_line`.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if i > 0
                && (prev_lower || (next_lower && chars[i - 1].is_uppercase()))
                && !out.ends_with('_')
            {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else if c == '$' || c == '-' {
            out.push('_');
        } else {
            out.push(c);
        }
    }
    if matches!(
        out.as_str(),
        "type"
            | "fn"
            | "impl"
            | "ref"
            | "mod"
            | "move"
            | "match"
            | "loop"
            | "use"
            | "self"
            | "crate"
            | "where"
            | "box"
            | "struct"
            | "enum"
            | "trait"
            | "mut"
            | "pub"
            | "in"
            | "as"
            | "dyn"
            | "async"
            | "await"
            | "static"
            | "const"
            | "extern"
            | "unsafe"
            | "super"
            | "let"
            | "return"
            | "for"
            | "while"
            | "if"
            | "else"
            | "break"
            | "continue"
            | "true"
            | "false"
    ) {
        out = format!("r#{out}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = r#"
export interface LineItem {
  sku: string;
  unitPriceCents: number;
  quantity: i32;
  discount?: Discount;
  tags: string[];
}
type Discount = { percent: number; code: string | undefined };
type i32 = number;

/**
 * Totals an invoice.
 * @param {u32} taxBasisPoints
 * @returns {i64}
 */
export function computeTotal(items: LineItem[], taxBasisPoints: number, raw: Buffer, currency?: string): number {
  return 0;
}

export const checksum = async (data: Uint8Array, strict: boolean | null): Promise<Array<number>> => [];

export function bad(cb: (x: number) => void, v: any, u: string | number, { a }: { a: number }) {
  return 1;
}
"#;

    fn derived(function: &str) -> Derived {
        derive(Path::new("pricing.ts"), SOURCE, function).unwrap()
    }

    #[test]
    fn every_supported_mapping() {
        let d = derived("computeTotal");
        assert!(d.unsupported.is_empty(), "{:?}", d.unsupported);
        let s = d.signature;
        let params: Vec<(String, String)> = s
            .params
            .iter()
            .map(|p| (p.rust_name.clone(), p.ty.rust()))
            .collect();
        assert_eq!(
            params,
            [
                ("items".to_owned(), "Vec<LineItem>".to_owned()),
                ("tax_basis_points".to_owned(), "u32".to_owned()),
                ("raw".to_owned(), "Buffer".to_owned()),
                ("currency".to_owned(), "Option<String>".to_owned()),
            ]
        );
        assert_eq!(s.returns, RustType::I64);
        assert!(!s.is_async);
        let structs: Vec<(&str, Vec<(String, String)>)> = s
            .structs
            .iter()
            .map(|st| {
                (
                    st.name.as_str(),
                    st.fields
                        .iter()
                        .map(|f| (f.rust_name.clone(), f.ty.rust()))
                        .collect(),
                )
            })
            .collect();
        assert_eq!(structs[0].0, "Discount", "nested structs come first");
        assert_eq!(
            structs[0].1,
            [
                ("percent".to_owned(), "f64".to_owned()),
                ("code".to_owned(), "Option<String>".to_owned())
            ]
        );
        assert_eq!(structs[1].0, "LineItem");
        assert_eq!(
            structs[1].1,
            [
                ("sku".to_owned(), "String".to_owned()),
                ("unit_price_cents".to_owned(), "f64".to_owned()),
                ("quantity".to_owned(), "i32".to_owned()),
                ("discount".to_owned(), "Option<Discount>".to_owned()),
                ("tags".to_owned(), "Vec<String>".to_owned()),
            ]
        );
        assert_eq!(s.lines, (17, 19));
        assert!(
            s.source.starts_with("export function computeTotal("),
            "{}",
            s.source
        );

        let a = derived("checksum").signature;
        assert!(a.is_async);
        assert_eq!(a.returns.rust(), "Vec<f64>");
        assert_eq!(a.params[0].ty, RustType::Buffer);
        assert_eq!(a.params[1].ty.rust(), "Option<bool>");
    }

    #[test]
    fn unsupported_constructs_are_named_at_their_position() {
        let d = derived("bad");
        let found: Vec<(usize, usize, &str)> = d
            .unsupported
            .iter()
            .map(|u| (u.line, u.column, u.construct.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                (23, 25, "(x: number) => void"),
                (23, 49, "any"),
                (23, 57, "string | number"),
                (23, 74, "{ a }: { a: number }"),
                (
                    23,
                    8,
                    "function bad(cb: (x: number) => void, v: any, u: string | number, { a }: { a: nu…"
                ),
            ]
        );
        assert!(d.unsupported[0].advice.contains("callback"));
        assert!(d.unsupported[4].advice.contains("declare the return type"));
    }

    #[test]
    fn bad_input_is_an_error_with_a_position() {
        let e = derive(Path::new("x.ts"), "function f( {", "f").unwrap_err();
        assert!(e.to_string().contains("x.ts:1:"), "{e}");
        let e = derive(Path::new("x.ts"), SOURCE, "nowhere").unwrap_err();
        assert!(e.to_string().contains("no function `nowhere`"), "{e}");
    }

    #[test]
    fn names_become_snake_case() {
        assert_eq!(snake_case("computeTotal"), "compute_total");
        assert_eq!(snake_case("parseHTTPLine"), "parse_http_line");
        assert_eq!(snake_case("type"), "r#type");
        assert_eq!(snake_case("sha256Sum"), "sha256_sum");
    }
}
