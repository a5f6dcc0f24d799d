//! One file's facts, from one oxc parse and one semantic model.
//!
//! A tiny abstract interpreter: [`Val`] is what an expression is known to be
//! (a constant string, an express router created at a given call, the
//! second parameter of a function, an import not yet followed, …). Calls on
//! framework objects become [`Op`]s on that object; cross-file values stay
//! [`Val::Import`] until [`crate::compose`] follows them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use oxc_allocator::Allocator;
use oxc_ast::AstKind;
use oxc_ast::ast::{
    Argument, ArrayExpressionElement, ArrowFunctionBody, BindingPattern, CallExpression, Class,
    ClassElement, Declaration, ExportDefaultDeclarationKind, Expression, Function,
    ImportDeclarationSpecifier, MemberExpression, ModuleExportName, NewExpression,
    ObjectPropertyKind, Program, Statement, TSModuleReference,
};
use oxc_parser::Parser;
use oxc_semantic::{NodeId, Semantic, SemanticBuilder, SymbolId};
use oxc_span::{GetSpan, SourceType, Span};
use rayon::prelude::*;

use crabport_core::LineIndex;
use crabport_scan::depth;

use crate::RoutesError;

/// 1-based line and column within the file the facts belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

/// A framework object: created at a call in this file, or received as a
/// parameter of a function (`Param(function start, index)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjKey {
    Local(u32),
    Param(u32, u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjKind {
    ExpressApp,
    ExpressRouter,
    KoaApp,
    KoaRouter,
    FastifyApp,
    HapiServer,
    HttpServer,
    NestApp,
}

impl ObjKind {
    pub fn is_app(self) -> bool {
        !matches!(self, Self::ExpressRouter | Self::KoaRouter)
    }

    pub fn framework(self) -> crate::Framework {
        use crate::Framework;
        match self {
            Self::ExpressApp | Self::ExpressRouter => Framework::Express,
            Self::KoaApp | Self::KoaRouter => Framework::Koa,
            Self::FastifyApp => Framework::Fastify,
            Self::HapiServer => Framework::Hapi,
            Self::HttpServer => Framework::NodeHttp,
            Self::NestApp => Framework::Nestjs,
        }
    }
}

/// The packages whose exports make framework objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Factory {
    Express,
    ExpressRouter,
    Koa,
    KoaRouter,
    KoaMount,
    Fastify,
    FastifyPlugin,
    HapiModule,
    HapiServer,
    HttpModule,
    HttpCreateServer,
    NestFactory,
    NestCreate,
}

/// A path as written: the string, or why it is not a constant.
pub type PathVal = Result<String, String>;

/// A path argument as written, followed across files by [`crate::compose`]:
/// its value (a string, an array, an imported constant, a template of them)
/// and its source text.
#[derive(Debug, Clone, PartialEq)]
pub struct PathExpr {
    pub val: Val,
    pub text: String,
}

/// What an expression is known to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Str(String),
    Regex(String),
    Array(Vec<Val>),
    Object(Vec<(String, Val)>),
    Spread(Box<Val>),
    Obj(ObjKey),
    /// `router.routes()` / `router.middleware()` (koa-router).
    KoaRoutes(ObjKey),
    /// `app.route('/x')` (express).
    RouteChain(ObjKey, Box<PathExpr>),
    /// `mount('/x', app)` (koa-mount).
    Mounted(Box<PathExpr>, Box<Val>),
    /// A string built from parts some of which live in other files.
    Concat(Vec<Val>),
    Func {
        node: u32,
        at: Pos,
        name: Option<String>,
    },
    /// `fp(plugin)` (fastify-plugin): registered without its own context.
    SkipOverride(Box<Val>),
    Class {
        node: u32,
        at: Pos,
        name: Option<String>,
    },
    Instance(Box<Val>),
    /// A definition with no routes of its own (an object method).
    Def {
        at: Pos,
        name: Option<String>,
    },
    /// An import not followed yet: `path[0]` is the export (`*` for the
    /// namespace / `module.exports`, `default`), then members.
    Import {
        spec: String,
        path: Vec<String>,
    },
    Member(Box<Val>, String),
    /// What a call to the function returns.
    Returned(Box<Val>),
    Factory(Factory),
    /// Middleware that is not a route even at an explicit path.
    Ignored(&'static str),
    /// Something that may hold routes but is only known at run time
    /// (a dynamic `require`); the reason says what.
    Dynamic(String),
    Unknown(String),
}

/// A handler as passed: its value, where it is passed and how it reads.
#[derive(Debug, Clone, PartialEq)]
pub struct HandlerRef {
    pub val: Val,
    pub at: Pos,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Route {
        methods: Vec<String>,
        paths: PathExpr,
        handler: Option<HandlerRef>,
        at: Pos,
    },
    Use {
        /// `None`: no path argument.
        paths: Option<PathExpr>,
        /// The first argument when it may be a path or a middleware (an
        /// import): a path if it resolves to a string.
        first: Option<HandlerRef>,
        targets: Vec<HandlerRef>,
        at: Pos,
    },
    Register {
        plugin: HandlerRef,
        opts: Val,
        at: Pos,
    },
    /// `fastify.route({...})`, `server.route([...])`.
    RouteConfig {
        config: Val,
        at: Pos,
    },
    /// The object is passed as argument `param` of a call to `func`.
    Apply {
        func: Val,
        param: u32,
        at: Pos,
    },
    Prefix(PathExpr),
    /// A node:http request handler.
    RequestHandler {
        handler: HandlerRef,
        at: Pos,
    },
    Unresolved {
        reason: String,
        at: Pos,
    },
}

#[derive(Debug, Clone)]
pub struct ObjFacts {
    pub kind: ObjKind,
    pub at: Pos,
    pub prefix: Option<PathExpr>,
    pub notes: Vec<String>,
    pub ops: Vec<Op>,
}

#[derive(Debug, Clone, Default)]
pub struct FnFacts {
    pub at: Pos,
    pub name: Option<String>,
    /// Ops on each parameter that receives a framework object.
    pub params: BTreeMap<u32, Vec<Op>>,
    /// How the parameters are typed when annotated (`FastifyInstance`).
    pub param_types: BTreeMap<u32, String>,
    pub param_names: BTreeMap<u32, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Import,
    ReExport,
    Require,
    DynamicImport,
}

/// One module specifier a file names.
#[derive(Debug, Clone)]
pub struct ImportRecord {
    pub specifier: String,
    pub kind: ImportKind,
    pub at: Pos,
    /// `import type …` / `export type … from`: erased at run time.
    pub type_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NestVersion {
    Neutral,
    V(String),
}

#[derive(Debug, Clone)]
pub struct NestMethod {
    pub method: String,
    pub paths: Vec<PathVal>,
    pub versions: Option<Vec<NestVersion>>,
    pub at: Pos,
    pub name: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NestController {
    pub name: Option<String>,
    pub at: Pos,
    pub paths: Vec<PathVal>,
    pub versions: Option<Vec<NestVersion>>,
    pub methods: Vec<NestMethod>,
}

#[derive(Debug, Clone)]
pub struct NestVersioning {
    /// `URI`, `HEADER`, `MEDIA_TYPE`, `CUSTOM`, or what was written.
    pub kind: String,
    pub prefix: Option<String>,
    pub default_version: Option<Vec<NestVersion>>,
    pub at: Pos,
}

/// Everything the inventory needs from one file.
#[derive(Debug, Clone, Default)]
pub struct FileFacts {
    pub path: PathBuf,
    /// Relative to the root, `/`-separated.
    pub display: String,
    pub error: Option<(Pos, String)>,
    pub imports: Vec<ImportRecord>,
    /// `require(x)` / `import(x)` whose argument is not a literal.
    pub dynamic_imports: Vec<(Pos, String)>,
    pub objects: BTreeMap<u32, ObjFacts>,
    pub functions: BTreeMap<u32, FnFacts>,
    /// Class start → method/property name → definition.
    pub classes: BTreeMap<u32, BTreeMap<String, Pos>>,
    pub exports: BTreeMap<String, Val>,
    /// `module.exports = …` / `export = …`.
    pub cjs: Option<Val>,
    pub star_exports: Vec<String>,
    /// What exported functions return (factories of apps, `createRouter()`).
    pub returns: BTreeMap<u32, Val>,
    pub nest_controllers: Vec<NestController>,
    pub nest_prefixes: Vec<(PathVal, Pos)>,
    pub nest_versioning: Vec<NestVersioning>,
    /// Imports a framework package (types included): a hint that a function
    /// taking a router-like parameter is a route module.
    pub imports_framework: bool,
    pub fastify_autoload: Vec<Pos>,
    /// Lines of the source, as the scan counts them.
    pub lines: usize,
    /// [`crabport_core::fingerprint`] of the source.
    pub fingerprint: String,
}

impl FileFacts {
    pub fn ops(&self, key: ObjKey) -> &[Op] {
        match key {
            ObjKey::Local(n) => self.objects.get(&n).map_or(&[], |o| &o.ops),
            ObjKey::Param(f, i) => self
                .functions
                .get(&f)
                .and_then(|f| f.params.get(&i))
                .map_or(&[], Vec::as_slice),
        }
    }
}

const FRAMEWORK_PACKAGES: &[&str] = &[
    "express",
    "koa",
    "@koa/router",
    "koa-router",
    "fastify",
    "fastify-plugin",
    "@hapi/hapi",
    "hapi",
    "@nestjs/common",
    "@nestjs/core",
];

pub const HTTP_VERBS: &[&str] = &[
    "get", "post", "put", "delete", "del", "patch", "options", "head", "all", "search",
];

fn factory(spec: &str, path: &[String]) -> Option<Factory> {
    let spec = spec.strip_prefix("node:").unwrap_or(spec);
    let rest: &[String] = match path.first().map(String::as_str) {
        Some("*" | "default") => &path[1..],
        _ => path,
    };
    let rest: Vec<&str> = rest
        .iter()
        .map(String::as_str)
        .filter(|p| *p != "default")
        .collect();
    let f = match (spec, rest.as_slice()) {
        ("express", []) => Factory::Express,
        ("express", ["Router"]) => Factory::ExpressRouter,
        ("koa", [] | ["Koa"]) => Factory::Koa,
        ("@koa/router" | "koa-router", [] | ["Router"]) => Factory::KoaRouter,
        ("koa-mount", []) => Factory::KoaMount,
        ("fastify", [] | ["fastify" | "Fastify"]) => Factory::Fastify,
        ("fastify-plugin", [] | ["fastifyPlugin"]) => Factory::FastifyPlugin,
        ("@hapi/hapi" | "hapi", []) => Factory::HapiModule,
        ("@hapi/hapi" | "hapi", ["server" | "Server"]) => Factory::HapiServer,
        ("http" | "https" | "http2", []) => Factory::HttpModule,
        ("http" | "https" | "http2", ["createServer" | "createSecureServer"]) => {
            Factory::HttpCreateServer
        }
        ("@nestjs/core", ["NestFactory"]) => Factory::NestFactory,
        _ => return None,
    };
    Some(f)
}

fn import_val(spec: &str, path: Vec<String>) -> Val {
    match factory(spec, &path) {
        Some(f) => Val::Factory(f),
        None => Val::Import {
            spec: spec.to_owned(),
            path,
        },
    }
}

/// The member `name` of `base`, as far as one file knows it.
pub fn member(base: Val, name: &str) -> Val {
    match base {
        Val::Import { spec, mut path } => {
            path.push(name.to_owned());
            import_val(&spec, path)
        }
        Val::Factory(f) => match (f, name) {
            (Factory::Express, "Router") => Val::Factory(Factory::ExpressRouter),
            (Factory::HapiModule, "server" | "Server") => Val::Factory(Factory::HapiServer),
            (Factory::HttpModule, "createServer" | "createSecureServer") => {
                Val::Factory(Factory::HttpCreateServer)
            }
            (Factory::NestFactory, "create") => Val::Factory(Factory::NestCreate),
            (Factory::Fastify, "fastify" | "default")
            | (Factory::KoaRouter, "default" | "Router")
            | (Factory::Koa, "default")
            | (Factory::FastifyPlugin, "default") => Val::Factory(f),
            _ => Val::Unknown(format!("`{name}` of a framework module")),
        },
        Val::Object(props) => props
            .into_iter()
            .rev()
            .find(|(k, _)| k == name)
            .map_or_else(|| Val::Unknown(format!("no property `{name}`")), |(_, v)| v),
        v @ (Val::Class { .. }
        | Val::Instance(_)
        | Val::Member(..)
        | Val::Returned(_)
        | Val::Func { .. }) => Val::Member(Box::new(v), name.to_owned()),
        Val::Obj(k) => match name {
            "routes" | "middleware" => Val::KoaRoutes(k),
            "callback" => Val::Obj(k),
            "allowedMethods" => Val::Ignored("koa-router allowedMethods()"),
            _ => Val::Unknown(format!("`.{name}` of a framework object")),
        },
        Val::Dynamic(r) => Val::Dynamic(r),
        _ => Val::Unknown(format!("`.{name}` of a value not known statically")),
    }
}

/// Parses every file (in parallel, on big-stack workers) into its facts.
///
/// # Errors
/// The worker threads cannot start.
pub fn extract_all(root: &Path, files: &[PathBuf]) -> Result<Vec<FileFacts>, RoutesError> {
    let pool = pool()?;
    Ok(pool.install(|| files.par_iter().map(|f| extract_file(root, f)).collect()))
}

fn pool() -> Result<&'static rayon::ThreadPool, RoutesError> {
    static POOL: OnceLock<Result<rayon::ThreadPool, String>> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("crabport-routes-{i}"))
            .stack_size(depth::WORKER_STACK)
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| RoutesError::Threads(e.clone()))
}

/// The facts of one file; a file that cannot be read or parsed has only
/// `error`.
pub fn extract_file(root: &Path, path: &Path) -> FileFacts {
    let mut facts = FileFacts {
        path: crate::resolve::lexical(path),
        display: crate::display_path(root, path),
        ..FileFacts::default()
    };
    let source = match std::fs::read_to_string(path) {
        Ok(s) => s,
        Err(e) => {
            facts.error = Some((
                Pos { line: 1, column: 1 },
                format!("cannot read the file: {e}"),
            ));
            return facts;
        }
    };
    extract_source(&mut facts, &source);
    facts
}

/// The facts of `source`, read as `facts.path`.
pub fn extract_source(facts: &mut FileFacts, source: &str) {
    facts.fingerprint = crabport_core::fingerprint(source.as_bytes());
    if crabport_scan::walk::looks_minified(source) {
        return;
    }
    let lines = LineIndex::new(source);
    facts.lines = lines.line_count();
    if let Some(at) = depth::too_deep(source, depth::MAX_NESTING) {
        let p = lines.position(at);
        facts.error = Some((
            pos_of(p),
            format!(
                "nesting deeper than {} levels: not analysed",
                depth::MAX_NESTING
            ),
        ));
        return;
    }
    if depth::stack_needed(source.len()) > depth::WORKER_STACK {
        facts.error = Some((
            Pos { line: 1, column: 1 },
            format!("{} KiB: too large to analyse safely", source.len() >> 10),
        ));
        return;
    }
    let source_type = SourceType::from_path(&facts.path).unwrap_or_default();
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, source, source_type).parse();
    if parsed.panicked || parsed.diagnostics.has_errors() {
        let (at, message) = parsed.diagnostics.errors().next().map_or_else(
            || {
                (
                    Pos { line: 1, column: 1 },
                    "the file does not parse".to_owned(),
                )
            },
            |e| {
                let offset = e.labels.first().map_or(0, |l| l.offset());
                (
                    pos_of(lines.position(offset as usize)),
                    e.message.to_string(),
                )
            },
        );
        facts.error = Some((at, message));
        return;
    }
    let semantic = SemanticBuilder::new()
        .with_build_nodes(true)
        .build(&parsed.program)
        .semantic;
    extract_program(facts, source, lines, &parsed.program, &semantic);
}

/// The facts of a file another pass already parsed (the scan's, so plan
/// parses each file once). The parse must be free of errors and its
/// semantic model built with nodes, as [`extract_source`] builds them.
pub fn extract_parsed(
    root: &Path,
    path: &Path,
    source: &str,
    program: &Program<'_>,
    semantic: &Semantic<'_>,
) -> FileFacts {
    let mut facts = FileFacts {
        path: crate::resolve::lexical(path),
        display: crate::display_path(root, path),
        fingerprint: crabport_core::fingerprint(source.as_bytes()),
        ..FileFacts::default()
    };
    let lines = LineIndex::new(source);
    facts.lines = lines.line_count();
    extract_program(&mut facts, source, lines, program, semantic);
    facts
}

fn extract_program<'s>(
    facts: &mut FileFacts,
    source: &'s str,
    lines: LineIndex<'s>,
    program: &Program<'_>,
    semantic: &Semantic<'_>,
) {
    let mut x = Extractor {
        semantic,
        source,
        lines,
        facts: std::mem::take(facts),
        memo: HashMap::new(),
        visiting: HashSet::new(),
        this_props: HashMap::new(),
        functions: HashMap::new(),
        depth: 0,
    };
    x.prepass();
    x.scan();
    x.exports(program);
    *facts = x.facts;
}

fn pos_of(p: crabport_core::Position) -> Pos {
    Pos {
        line: u32::try_from(p.line).unwrap_or(u32::MAX),
        column: u32::try_from(p.column).unwrap_or(u32::MAX),
    }
}

#[derive(Clone, Copy)]
enum FnRef<'a> {
    Function(&'a Function<'a>),
    Arrow(&'a oxc_ast::ast::ArrowFunctionExpression<'a>),
}

impl<'a> FnRef<'a> {
    fn params(self) -> &'a oxc_ast::ast::FormalParameters<'a> {
        match self {
            Self::Function(f) => &f.params,
            Self::Arrow(f) => &f.params,
        }
    }
}

struct Extractor<'s, 'a> {
    semantic: &'s Semantic<'a>,
    source: &'a str,
    lines: LineIndex<'a>,
    facts: FileFacts,
    memo: HashMap<SymbolId, Val>,
    visiting: HashSet<SymbolId>,
    /// (class start, property) → its value: `x = …` in the body or
    /// `this.x = …` in a method.
    this_props: HashMap<(u32, String), &'a Expression<'a>>,
    functions: HashMap<u32, FnRef<'a>>,
    depth: u32,
}

impl<'s, 'a> Extractor<'s, 'a> {
    fn pos(&self, offset: u32) -> Pos {
        pos_of(self.lines.position(offset as usize))
    }

    fn text(&self, span: Span) -> String {
        let text = &self.source[span.start as usize..span.end as usize];
        let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if one_line.chars().count() > 80 {
            let cut: String = one_line.chars().take(77).collect();
            format!("{cut}…")
        } else {
            one_line
        }
    }

    /// Imports, `this.x` assignments, functions by start.
    fn prepass(&mut self) {
        let nodes = self.semantic.nodes();
        for node in nodes.iter() {
            match node.kind() {
                AstKind::ImportDeclaration(d) => {
                    let type_only = d.import_kind.is_type()
                        || d.specifiers.as_ref().is_some_and(|s| {
                            !s.is_empty()
                                && s.iter().all(|s| {
                                    matches!(s, ImportDeclarationSpecifier::ImportSpecifier(s) if s.import_kind.is_type())
                                })
                        });
                    self.import(
                        d.source.value.as_str(),
                        ImportKind::Import,
                        d.span,
                        type_only,
                    );
                }
                AstKind::ExportAllDeclaration(d) => {
                    self.import(
                        d.source.value.as_str(),
                        ImportKind::ReExport,
                        d.span,
                        d.export_kind.is_type(),
                    );
                }
                AstKind::ExportFromDeclaration(d) => {
                    self.import(
                        d.source.value.as_str(),
                        ImportKind::ReExport,
                        d.span,
                        d.export_kind.is_type(),
                    );
                }
                AstKind::TSImportEqualsDeclaration(d) => {
                    if let TSModuleReference::ExternalModuleReference(r) = &d.module_reference {
                        self.import(
                            r.expression.value.as_str(),
                            ImportKind::Require,
                            d.span,
                            d.import_kind.is_type(),
                        );
                    }
                }
                AstKind::ImportExpression(e) => match e.source.get_inner_expression() {
                    Expression::StringLiteral(s) => {
                        self.import(s.value.as_str(), ImportKind::DynamicImport, e.span, false);
                    }
                    other => {
                        let at = self.pos(e.span.start);
                        let text = self.text(other.span());
                        self.facts
                            .dynamic_imports
                            .push((at, format!("import({text})")));
                    }
                },
                AstKind::CallExpression(call) if self.is_require(call) => {
                    match call
                        .arguments
                        .first()
                        .and_then(Argument::as_expression)
                        .map(Expression::get_inner_expression)
                    {
                        Some(Expression::StringLiteral(s)) => {
                            self.import(s.value.as_str(), ImportKind::Require, call.span, false);
                        }
                        Some(other) => {
                            let at = self.pos(call.span.start);
                            let text = self.text(other.span());
                            self.facts
                                .dynamic_imports
                                .push((at, format!("require({text})")));
                        }
                        None => {}
                    }
                }
                AstKind::AssignmentExpression(a) => {
                    if let Some(MemberExpression::StaticMemberExpression(m)) =
                        a.left.as_member_expression()
                        && matches!(m.object, Expression::ThisExpression(_))
                        && let Some(class) = self.enclosing_class(node.id())
                    {
                        self.this_props
                            .entry((class, m.property.name.to_string()))
                            .or_insert(&a.right);
                    }
                }
                AstKind::PropertyDefinition(p) => {
                    if let (Some(value), Some(name)) = (&p.value, p.key.static_name())
                        && let Some(class) = self.enclosing_class(node.id())
                    {
                        self.this_props.insert((class, name.to_string()), value);
                    }
                }
                AstKind::Function(f) => {
                    self.functions.insert(f.span.start, FnRef::Function(f));
                }
                AstKind::ArrowFunctionExpression(f) => {
                    self.functions.insert(f.span.start, FnRef::Arrow(f));
                }
                AstKind::Class(class) => {
                    let mut methods = BTreeMap::new();
                    for element in &class.body.body {
                        match element {
                            ClassElement::MethodDefinition(m) => {
                                if let Some(name) = m.key.static_name() {
                                    methods.insert(name.to_string(), self.pos(m.span.start));
                                }
                            }
                            ClassElement::PropertyDefinition(p) => {
                                if let Some(name) = p.key.static_name() {
                                    methods.insert(name.to_string(), self.pos(p.span.start));
                                }
                            }
                            _ => {}
                        }
                    }
                    self.facts.classes.insert(class.span.start, methods);
                }
                _ => {}
            }
        }
    }

    fn import(&mut self, specifier: &str, kind: ImportKind, span: Span, type_only: bool) {
        if crate::resolve::package_name(specifier).is_some_and(|p| FRAMEWORK_PACKAGES.contains(&p))
        {
            self.facts.imports_framework = true;
        }
        let at = self.pos(span.start);
        self.facts.imports.push(ImportRecord {
            specifier: specifier.to_owned(),
            kind,
            at,
            type_only,
        });
    }

    fn is_require(&self, call: &CallExpression<'a>) -> bool {
        matches!(&call.callee, Expression::Identifier(id)
            if id.name == "require" && self.symbol_of(id).is_none())
    }

    fn symbol_of(&self, id: &oxc_ast::ast::IdentifierReference<'a>) -> Option<SymbolId> {
        self.semantic
            .scoping()
            .get_reference(id.reference_id())
            .symbol_id()
    }

    fn enclosing_class(&self, node: NodeId) -> Option<u32> {
        self.semantic
            .nodes()
            .ancestors(node)
            .find_map(|n| match n.kind() {
                AstKind::Class(c) => Some(c.span.start),
                _ => None,
            })
    }

    // ---- evaluation -------------------------------------------------------

    fn eval(&mut self, expr: &'a Expression<'a>) -> Val {
        if self.depth > 48 {
            return Val::Unknown("expression nests too deep to follow".to_owned());
        }
        self.depth += 1;
        let v = self.eval_inner(expr);
        self.depth -= 1;
        v
    }

    fn eval_arg(&mut self, arg: &'a Argument<'a>) -> Val {
        match arg {
            Argument::SpreadElement(s) => Val::Spread(Box::new(self.eval(&s.argument))),
            _ => arg
                .as_expression()
                .map_or(Val::Unknown(String::new()), |e| self.eval(e)),
        }
    }

    fn eval_inner(&mut self, expr: &'a Expression<'a>) -> Val {
        let expr = expr.get_inner_expression();
        match expr {
            Expression::StringLiteral(s) => Val::Str(s.value.to_string()),
            Expression::NumericLiteral(n) => Val::Str(n.value.to_string()),
            Expression::RegExpLiteral(r) => Val::Regex(self.text(r.span)),
            Expression::TemplateLiteral(t) => {
                let mut parts = Vec::new();
                for (i, quasi) in t.quasis.iter().enumerate() {
                    parts.push(Val::Str(
                        quasi
                            .value
                            .cooked
                            .as_ref()
                            .map_or(quasi.value.raw.as_str(), |c| c.as_str())
                            .to_owned(),
                    ));
                    if let Some(e) = t.expressions.get(i) {
                        let v = self.eval(e);
                        if !symbolic_string(&v) {
                            return Val::Unknown(format!(
                                "`${{{}}}` is not a constant",
                                self.text(e.span())
                            ));
                        }
                        parts.push(v);
                    }
                }
                concat(parts)
            }
            Expression::BinaryExpression(b)
                if b.operator == oxc_syntax::operator::BinaryOperator::Addition =>
            {
                let (l, r) = (self.eval(&b.left), self.eval(&b.right));
                if symbolic_string(&l) && symbolic_string(&r) {
                    concat(vec![l, r])
                } else {
                    Val::Unknown(format!("`{}` is not a constant", self.text(b.span)))
                }
            }
            Expression::Identifier(id) => self.eval_ident(id),
            Expression::ArrayExpression(a) => Val::Array(
                a.elements
                    .iter()
                    .filter_map(|e| match e {
                        ArrayExpressionElement::SpreadElement(s) => {
                            Some(Val::Spread(Box::new(self.eval(&s.argument))))
                        }
                        ArrayExpressionElement::Elision(_) => None,
                        _ => e.as_expression().map(|e| self.eval(e)),
                    })
                    .collect(),
            ),
            Expression::ObjectExpression(o) => {
                let mut props = Vec::new();
                for p in &o.properties {
                    match p {
                        ObjectPropertyKind::ObjectProperty(p) => {
                            let Some(name) = p.key.static_name() else {
                                continue;
                            };
                            let v = if p.method {
                                Val::Def {
                                    at: self.pos(p.span.start),
                                    name: Some(name.to_string()),
                                }
                            } else {
                                match self.eval(&p.value) {
                                    Val::Func { node, at, .. } => Val::Func {
                                        node,
                                        at,
                                        name: Some(name.to_string()),
                                    },
                                    v => v,
                                }
                            };
                            let v = match (p.method, &p.value) {
                                (true, Expression::FunctionExpression(f)) => Val::Func {
                                    node: f.span.start,
                                    at: self.pos(p.span.start),
                                    name: Some(name.to_string()),
                                },
                                _ => v,
                            };
                            props.push((name.to_string(), v));
                        }
                        ObjectPropertyKind::SpreadProperty(s) => {
                            props.push((
                                "...".to_owned(),
                                Val::Spread(Box::new(self.eval(&s.argument))),
                            ));
                        }
                    }
                }
                Val::Object(props)
            }
            Expression::FunctionExpression(f) => Val::Func {
                node: f.span.start,
                at: self.pos(f.span.start),
                name: f.id.as_ref().map(|i| i.name.to_string()),
            },
            Expression::ArrowFunctionExpression(f) => Val::Func {
                node: f.span.start,
                at: self.pos(f.span.start),
                name: None,
            },
            Expression::ClassExpression(c) => Val::Class {
                node: c.span.start,
                at: self.pos(c.span.start),
                name: c.id.as_ref().map(|i| i.name.to_string()),
            },
            Expression::AwaitExpression(a) => self.eval(&a.argument),
            Expression::AssignmentExpression(a) => self.eval(&a.right),
            Expression::SequenceExpression(s) => s
                .expressions
                .last()
                .map_or(Val::Unknown(String::new()), |e| self.eval(e)),
            Expression::ImportExpression(i) => match i.source.get_inner_expression() {
                Expression::StringLiteral(s) => import_val(s.value.as_str(), vec!["*".to_owned()]),
                other => Val::Dynamic(format!("dynamic `import({})`", self.text(other.span()))),
            },
            Expression::CallExpression(c) => self.eval_call(c),
            Expression::NewExpression(n) => self.eval_new(n),
            Expression::StaticMemberExpression(m) => {
                if matches!(m.object, Expression::ThisExpression(_)) {
                    return self.eval_this(m.node_id.get(), m.property.name.as_str());
                }
                let base = self.eval(&m.object);
                let name = m.property.name.as_str();
                if let Val::Instance(class) = &base
                    && let Val::Class { node, .. } = class.as_ref()
                    && let Some(e) = self.this_props.get(&(*node, name.to_owned())).copied()
                {
                    return self.eval(e);
                }
                member(base, name)
            }
            Expression::ComputedMemberExpression(m) => match self.eval(&m.expression) {
                Val::Str(name) => {
                    let base = self.eval(&m.object);
                    member(base, &name)
                }
                _ => Val::Unknown(format!("`{}` is not a constant member", self.text(m.span))),
            },
            Expression::ConditionalExpression(c) => {
                Val::Unknown(format!("`{}` depends on a condition", self.text(c.span)))
            }
            other => Val::Unknown(format!(
                "`{}` is not known statically",
                self.text(other.span())
            )),
        }
    }

    fn eval_this(&mut self, node: NodeId, name: &str) -> Val {
        let Some(class) = self.enclosing_class(node) else {
            return Val::Unknown(format!("`this.{name}` outside a class"));
        };
        match self.this_props.get(&(class, name.to_owned())).copied() {
            Some(e) => self.eval(e),
            None => Val::Member(
                Box::new(Val::Class {
                    node: class,
                    at: self.pos(class),
                    name: None,
                }),
                name.to_owned(),
            ),
        }
    }

    fn eval_ident(&mut self, id: &oxc_ast::ast::IdentifierReference<'a>) -> Val {
        let Some(symbol) = self.symbol_of(id) else {
            return Val::Unknown(format!("global `{}`", id.name));
        };
        if let Some(v) = self.memo.get(&symbol) {
            return v.clone();
        }
        if !self.visiting.insert(symbol) {
            return Val::Unknown(format!("`{}` refers to itself", id.name));
        }
        let v = self.eval_symbol(symbol);
        self.visiting.remove(&symbol);
        self.memo.insert(symbol, v.clone());
        v
    }

    fn eval_symbol(&mut self, symbol: SymbolId) -> Val {
        let scoping = self.semantic.scoping();
        let name = scoping.symbol_name(symbol).to_owned();
        let decl = scoping.symbol_declaration(symbol);
        let nodes = self.semantic.nodes();
        match nodes.kind(decl) {
            AstKind::VariableDeclarator(d) => {
                let mutated = scoping.symbol_is_mutated(symbol);
                if mutated {
                    return Val::Unknown(format!("`{name}` is reassigned"));
                }
                let Some(init) = &d.init else {
                    return Val::Unknown(format!("`{name}` has no initial value"));
                };
                match &d.id {
                    BindingPattern::BindingIdentifier(_) => self.eval(init),
                    BindingPattern::ObjectPattern(p) => {
                        let key = p.properties.iter().find_map(|prop| match &prop.value {
                            BindingPattern::BindingIdentifier(b)
                                if b.symbol_id.get() == Some(symbol) =>
                            {
                                prop.key.static_name().map(|k| k.to_string())
                            }
                            BindingPattern::AssignmentPattern(a) => match &a.left {
                                BindingPattern::BindingIdentifier(b)
                                    if b.symbol_id.get() == Some(symbol) =>
                                {
                                    prop.key.static_name().map(|k| k.to_string())
                                }
                                _ => None,
                            },
                            _ => None,
                        });
                        match key {
                            Some(key) => {
                                let base = self.eval(init);
                                member(base, &key)
                            }
                            None => Val::Unknown(format!("`{name}` is destructured")),
                        }
                    }
                    _ => Val::Unknown(format!("`{name}` is destructured")),
                }
            }
            AstKind::Function(f) => Val::Func {
                node: f.span.start,
                at: self.pos(f.span.start),
                name: Some(name),
            },
            AstKind::Class(c) => Val::Class {
                node: c.span.start,
                at: self.pos(c.span.start),
                name: Some(name),
            },
            AstKind::ImportSpecifier(s) => {
                let imported = s.imported.name().to_string();
                match self.import_source(decl) {
                    Some(spec) => import_val(&spec, vec![imported]),
                    None => Val::Unknown(name),
                }
            }
            AstKind::ImportDefaultSpecifier(_) => match self.import_source(decl) {
                Some(spec) => import_val(&spec, vec!["default".to_owned()]),
                None => Val::Unknown(name),
            },
            AstKind::ImportNamespaceSpecifier(_) => match self.import_source(decl) {
                Some(spec) => import_val(&spec, vec!["*".to_owned()]),
                None => Val::Unknown(name),
            },
            AstKind::TSImportEqualsDeclaration(d) => match &d.module_reference {
                TSModuleReference::ExternalModuleReference(r) => {
                    import_val(r.expression.value.as_str(), vec!["*".to_owned()])
                }
                _ => Val::Unknown(name),
            },
            AstKind::FormalParameter(p) => self.param_val(decl, p, &name),
            _ => Val::Unknown(format!("`{name}` is not a constant")),
        }
    }

    fn import_source(&self, decl: NodeId) -> Option<String> {
        self.semantic
            .nodes()
            .ancestors(decl)
            .find_map(|n| match n.kind() {
                AstKind::ImportDeclaration(d) => Some(d.source.value.to_string()),
                _ => None,
            })
    }

    fn param_val(
        &mut self,
        decl: NodeId,
        p: &'a oxc_ast::ast::FormalParameter<'a>,
        name: &str,
    ) -> Val {
        if !matches!(p.pattern, BindingPattern::BindingIdentifier(_)) {
            return Val::Unknown(format!("`{name}` is destructured"));
        }
        // `function init(app = new Koa())`: the default is the app.
        if let Some(default) = &p.initializer
            && let v @ Val::Obj(ObjKey::Local(_)) = self.eval(default)
        {
            return v;
        }
        let function = self
            .semantic
            .nodes()
            .ancestors(decl)
            .find_map(|n| match n.kind() {
                AstKind::Function(f) => Some((f.span.start, FnRef::Function(f))),
                AstKind::ArrowFunctionExpression(f) => Some((f.span.start, FnRef::Arrow(f))),
                _ => None,
            });
        let Some((start, f)) = function else {
            return Val::Unknown(name.to_owned());
        };
        let Some(index) = f.params().items.iter().position(|q| q.span == p.span) else {
            return Val::Unknown(name.to_owned());
        };
        let index = u32::try_from(index).unwrap_or(u32::MAX);
        self.fn_facts(start)
            .param_names
            .insert(index, name.to_owned());
        if let Some(annotation) = &p.type_annotation {
            let ty = self.text(annotation.type_annotation.span());
            self.fn_facts(start).param_types.insert(index, ty);
        }
        Val::Obj(ObjKey::Param(start, index))
    }

    fn fn_facts(&mut self, start: u32) -> &mut FnFacts {
        let at = self.pos(start);
        let name = match self.functions.get(&start) {
            Some(FnRef::Function(f)) => f.id.as_ref().map(|i| i.name.to_string()),
            _ => None,
        };
        self.facts
            .functions
            .entry(start)
            .or_insert_with(|| FnFacts {
                at,
                name,
                ..FnFacts::default()
            })
    }

    fn create(&mut self, kind: ObjKind, start: u32, options: Option<&'a Argument<'a>>) -> Val {
        if !self.facts.objects.contains_key(&start) {
            let mut prefix = None;
            let mut notes = Vec::new();
            if let Some(Val::Object(props)) = options.map(|a| self.eval_arg(a)) {
                {
                    for (k, v) in &props {
                        match (kind, k.as_str(), v) {
                            (ObjKind::KoaRouter, "prefix", v) => {
                                prefix = Some(PathExpr {
                                    val: v.clone(),
                                    text: "prefix".to_owned(),
                                });
                            }
                            (ObjKind::ExpressRouter, "mergeParams", _) => {
                                notes.push(
                                    "router created with mergeParams: sees its mount's params"
                                        .to_owned(),
                                );
                            }
                            _ => {}
                        }
                    }
                }
            }
            let at = self.pos(start);
            self.facts.objects.insert(
                start,
                ObjFacts {
                    kind,
                    at,
                    prefix,
                    notes,
                    ops: Vec::new(),
                },
            );
        }
        Val::Obj(ObjKey::Local(start))
    }

    fn eval_call(&mut self, call: &'a CallExpression<'a>) -> Val {
        if self.is_require(call) {
            return match call.arguments.first().and_then(Argument::as_expression) {
                Some(e) => match self.eval(e) {
                    Val::Str(s) => import_val(&s, vec!["*".to_owned()]),
                    _ => Val::Dynamic(format!("dynamic `require({})`", self.text(e.span()))),
                },
                None => Val::Unknown("require()".to_owned()),
            };
        }
        let callee = call.callee.get_inner_expression();
        if let Some(m) = callee.as_member_expression()
            && let Some(name) = m.static_property_name()
        {
            if matches!(m.object(), Expression::ThisExpression(_)) {
                // `this.method(…)`: not followed.
                return Val::Unknown(format!("`{}` is a call", self.text(call.span)));
            }
            let recv = self.eval(m.object());
            match (&recv, name) {
                (Val::Obj(k), "route") => {
                    if let Some(arg) = call.arguments.first()
                        && matches!(self.eval_arg(arg), Val::Str(_) | Val::Array(_))
                    {
                        let paths = self.path_expr(arg);
                        return Val::RouteChain(*k, Box::new(paths));
                    }
                    return Val::Obj(*k);
                }
                (Val::Obj(k), "routes" | "middleware") => return Val::KoaRoutes(*k),
                (Val::Obj(k), n)
                    if HTTP_VERBS.contains(&n)
                        || matches!(
                            n,
                            "use" | "param" | "prefix" | "callback" | "register" | "decorate"
                        ) =>
                {
                    return Val::Obj(*k);
                }
                (Val::RouteChain(..), n) if HTTP_VERBS.contains(&n) => return recv,
                (Val::Obj(_), "allowedMethods") => {
                    return Val::Ignored("koa-router allowedMethods()");
                }
                (_, "bind") => return recv,
                _ => {}
            }
            let callee_val = member(recv, name);
            return self.call_value(callee_val, call);
        }
        let callee_val = self.eval(callee);
        self.call_value(callee_val, call)
    }

    fn call_value(&mut self, callee: Val, call: &'a CallExpression<'a>) -> Val {
        let start = call.span.start;
        let first = call.arguments.first();
        match callee {
            Val::Factory(Factory::Express) => self.create(ObjKind::ExpressApp, start, None),
            Val::Factory(Factory::ExpressRouter) => {
                self.create(ObjKind::ExpressRouter, start, first)
            }
            Val::Factory(Factory::KoaRouter) => self.create(ObjKind::KoaRouter, start, first),
            Val::Factory(Factory::Koa) => self.create(ObjKind::KoaApp, start, None),
            Val::Factory(Factory::Fastify) => self.create(ObjKind::FastifyApp, start, None),
            Val::Factory(Factory::HapiServer) => self.create(ObjKind::HapiServer, start, None),
            Val::Factory(Factory::NestCreate) => self.create(ObjKind::NestApp, start, None),
            Val::Factory(Factory::HttpCreateServer) => {
                let handler = call.arguments.iter().rev().find(|a| {
                    !matches!(
                        a.as_expression().map(Expression::get_inner_expression),
                        Some(Expression::ObjectExpression(_))
                    )
                });
                let server = self.create(ObjKind::HttpServer, start, None);
                if let Some(arg) = handler {
                    let handler = self.handler(arg);
                    let at = self.pos(start);
                    self.push_op(ObjKey::Local(start), Op::RequestHandler { handler, at });
                }
                server
            }
            Val::Factory(Factory::FastifyPlugin) => match first {
                Some(arg) => Val::SkipOverride(Box::new(self.eval_arg(arg))),
                None => Val::Unknown("fp()".to_owned()),
            },
            Val::Factory(Factory::KoaMount) => {
                let (paths, inner) = match call.arguments.as_slice() {
                    [path, inner, ..] => (self.path_expr(path), self.eval_arg(inner)),
                    [inner] => (
                        PathExpr {
                            val: Val::Str("/".to_owned()),
                            text: "/".to_owned(),
                        },
                        self.eval_arg(inner),
                    ),
                    [] => return Val::Unknown("mount()".to_owned()),
                };
                Val::Mounted(Box::new(paths), Box::new(inner))
            }
            Val::Func { node, .. } => match self.local_return(node) {
                Some(v) => v,
                None => Val::Unknown(format!("`{}` is a call", self.text(call.span))),
            },
            v @ (Val::Import { .. } | Val::Member(..)) => Val::Returned(Box::new(v)),
            Val::Dynamic(r) => Val::Dynamic(r),
            _ => Val::Unknown(format!("`{}` is a call", self.text(call.span))),
        }
    }

    /// What a function of this file returns, when it returns one thing.
    fn local_return(&mut self, node: u32) -> Option<Val> {
        let f = *self.functions.get(&node)?;
        let expr: &'a Expression<'a> = match f {
            FnRef::Arrow(a) => match &a.body {
                ArrowFunctionBody::FunctionBody(b) => last_return(&b.statements)?,
                body => body.as_expression()?,
            },
            FnRef::Function(f) => last_return(&f.body.as_ref()?.statements)?,
        };
        Some(self.eval(expr))
    }

    fn eval_new(&mut self, new: &'a NewExpression<'a>) -> Val {
        let callee = self.eval(&new.callee);
        let start = new.span.start;
        match callee {
            Val::Factory(Factory::Koa) => self.create(ObjKind::KoaApp, start, None),
            Val::Factory(Factory::KoaRouter) => {
                self.create(ObjKind::KoaRouter, start, new.arguments.first())
            }
            Val::Factory(Factory::HapiServer) => self.create(ObjKind::HapiServer, start, None),
            Val::Factory(Factory::ExpressRouter) => {
                self.create(ObjKind::ExpressRouter, start, new.arguments.first())
            }
            v @ (Val::Class { .. } | Val::Import { .. }) => Val::Instance(Box::new(v)),
            _ => Val::Unknown(format!(
                "`{}` is constructed at run time",
                self.text(new.span)
            )),
        }
    }

    /// The paths an argument names.
    fn path_expr(&mut self, arg: &'a Argument<'a>) -> PathExpr {
        PathExpr {
            val: self.eval_arg(arg),
            text: self.text(arg.span()),
        }
    }

    fn paths(&mut self, arg: &'a Argument<'a>) -> Vec<PathVal> {
        let text = self.text(arg.span());
        path_vals(self.eval_arg(arg), &text)
    }

    fn handler(&mut self, arg: &'a Argument<'a>) -> HandlerRef {
        let at = self.pos(arg.span().start);
        let text = self.text(arg.span());
        let mut val = self.eval_arg(arg);
        // `asyncHandler(fn)`, `wrap(controller.list)`: the wrapped function.
        if let Some(Expression::CallExpression(call)) =
            arg.as_expression().map(Expression::get_inner_expression)
            && matches!(val, Val::Unknown(_) | Val::Returned(_))
        {
            for inner in &call.arguments {
                let v = self.eval_arg(inner);
                if matches!(
                    v,
                    Val::Func { .. } | Val::Def { .. } | Val::Member(..) | Val::Import { .. }
                ) {
                    val = v;
                    break;
                }
            }
        }
        HandlerRef { val, at, text }
    }

    fn push_op(&mut self, key: ObjKey, op: Op) {
        match key {
            ObjKey::Local(n) => {
                if let Some(o) = self.facts.objects.get_mut(&n) {
                    o.ops.push(op);
                }
            }
            ObjKey::Param(f, i) => self.fn_facts(f).params.entry(i).or_default().push(op),
        }
    }

    // ---- the pass over calls and classes ----------------------------------

    fn scan(&mut self) {
        let nodes = self.semantic.nodes();
        for node in nodes.iter() {
            match node.kind() {
                AstKind::CallExpression(call) => self.scan_call(call),
                AstKind::Class(class) => self.scan_class(class),
                _ => {}
            }
        }
    }

    fn scan_call(&mut self, call: &'a CallExpression<'a>) {
        let callee = call.callee.get_inner_expression();
        let at = self.pos(call.span.start);
        if let Some(m) = callee.as_member_expression() {
            if matches!(m.object(), Expression::ThisExpression(_))
                && !matches!(m, MemberExpression::StaticMemberExpression(_))
            {
                return;
            }
            let name = match m {
                MemberExpression::ComputedMemberExpression(c) => match self.eval(&c.expression) {
                    Val::Str(s) => Some(s),
                    _ => None,
                },
                _ => m.static_property_name().map(str::to_owned),
            };
            // Only receivers that can be framework objects are evaluated.
            if !plausible_receiver(m.object()) {
                return;
            }
            let recv = self.eval(m.object());
            let Some(name) = name else {
                if let Val::Obj(k) | Val::RouteChain(k, _) = recv {
                    let reason =
                        format!("method chosen at run time: `{}`", self.text(callee.span()));
                    self.push_op(k, Op::Unresolved { reason, at });
                }
                return;
            };
            match recv {
                Val::Obj(k) => return self.op_on(k, &name, call, at),
                Val::RouteChain(k, paths) if HTTP_VERBS.contains(&name.as_str()) => {
                    let handler = call.arguments.last().map(|a| self.handler(a));
                    self.push_op(
                        k,
                        Op::Route {
                            methods: vec![verb(&name)],
                            paths: *paths,
                            handler,
                            at,
                        },
                    );
                    return;
                }
                Val::Import { .. } | Val::Func { .. } | Val::Member(..) => {
                    let func = member(recv, &name);
                    self.apply(call, func, at);
                }
                _ => {}
            }
            return;
        }
        if call.arguments.is_empty() || self.is_require(call) {
            return;
        }
        let func = self.eval(callee);
        self.apply(call, func, at);
    }

    /// `routes(app)`: the object is handed to a function.
    fn apply(&mut self, call: &'a CallExpression<'a>, func: Val, at: Pos) {
        if !matches!(
            func,
            Val::Func { .. }
                | Val::Import { .. }
                | Val::Member(..)
                | Val::Returned(_)
                | Val::SkipOverride(_)
        ) {
            return;
        }
        if call.arguments.is_empty() || self.is_require(call) {
            return;
        }
        let mut applied = Vec::new();
        for (i, arg) in call.arguments.iter().enumerate() {
            let plausible = arg.as_expression().is_some_and(|e| {
                matches!(
                    e.get_inner_expression(),
                    Expression::Identifier(_) | Expression::StaticMemberExpression(_)
                )
            });
            if plausible && let Val::Obj(k) = self.eval_arg(arg) {
                applied.push((k, u32::try_from(i).unwrap_or(u32::MAX)));
            }
        }
        if applied.is_empty() {
            return;
        }
        for (k, param) in applied {
            self.push_op(
                k,
                Op::Apply {
                    func: func.clone(),
                    param,
                    at,
                },
            );
        }
    }

    fn op_on(&mut self, k: ObjKey, name: &str, call: &'a CallExpression<'a>, at: Pos) {
        let args = &call.arguments;
        match name {
            n if HTTP_VERBS.contains(&n) => {
                // `app.get('setting')` reads a setting.
                if args.len() < 2 {
                    return;
                }
                let named = args.len() >= 3
                    && matches!(self.eval_arg(&args[0]), Val::Str(_))
                    && matches!(self.eval_arg(&args[1]), Val::Str(_) | Val::Array(_));
                let path_arg = if named { &args[1] } else { &args[0] };
                let paths = self.path_expr(path_arg);
                let handler = args.last().map(|last| {
                    if let Some(Expression::ObjectExpression(_)) =
                        last.as_expression().map(Expression::get_inner_expression)
                        && let Val::Object(props) = self.eval_arg(last)
                        && let Some((_, h)) = props.into_iter().find(|(k, _)| k == "handler")
                    {
                        return HandlerRef {
                            val: h,
                            at: self.pos(last.span().start),
                            text: self.text(last.span()),
                        };
                    }
                    self.handler(last)
                });
                self.push_op(
                    k,
                    Op::Route {
                        methods: vec![verb(n)],
                        paths,
                        handler,
                        at,
                    },
                );
            }
            "use" => {
                let Some(first) = args.first() else { return };
                let first_val = self.eval_arg(first);
                let first_expr = first.as_expression().map(Expression::get_inner_expression);
                let maybe = args.len() >= 2
                    && matches!(
                        first_val,
                        Val::Import { .. } | Val::Concat(_) | Val::Member(..)
                    );
                let is_path = match &first_val {
                    Val::Str(_) | Val::Regex(_) | Val::Concat(_) => true,
                    Val::Array(items) => items.iter().all(|i| matches!(i, Val::Str(_))),
                    Val::Unknown(_) => {
                        args.len() >= 2
                            && matches!(
                                first_expr,
                                Some(
                                    Expression::TemplateLiteral(_)
                                        | Expression::BinaryExpression(_)
                                        | Expression::Identifier(_)
                                        | Expression::StaticMemberExpression(_)
                                )
                            )
                    }
                    _ => false,
                };
                let (paths, rest) = if is_path || maybe {
                    (Some(self.path_expr(first)), &args[1..])
                } else {
                    (None, &args[..])
                };
                let first = maybe.then(|| self.handler(first));
                let targets = rest.iter().map(|a| self.handler(a)).collect();
                self.push_op(
                    k,
                    Op::Use {
                        paths,
                        first,
                        targets,
                        at,
                    },
                );
            }
            "route" => {
                if let Some(first) = args.first() {
                    let config = self.eval_arg(first);
                    if !matches!(config, Val::Str(_)) {
                        self.push_op(k, Op::RouteConfig { config, at });
                    }
                }
            }
            "register" => {
                let Some(first) = args.first() else { return };
                let plugin = self.handler(first);
                let opts = args
                    .get(1)
                    .map_or(Val::Object(Vec::new()), |a| self.eval_arg(a));
                self.push_op(k, Op::Register { plugin, opts, at });
            }
            "prefix" => {
                if let [arg] = args.as_slice() {
                    let path = self.path_expr(arg);
                    self.push_op(k, Op::Prefix(path));
                }
            }
            "setGlobalPrefix" => {
                if let Some(arg) = args.first() {
                    let path = self
                        .paths(arg)
                        .into_iter()
                        .next()
                        .unwrap_or(Err(String::new()));
                    self.facts.nest_prefixes.push((path, at));
                }
            }
            "enableVersioning" => {
                let opts = args
                    .first()
                    .map_or(Val::Object(Vec::new()), |a| self.eval_arg(a));
                let (mut kind, mut prefix, mut default_version) = ("URI".to_owned(), None, None);
                if let Val::Object(props) = opts {
                    for (key, v) in props {
                        match key.as_str() {
                            "type" => {
                                kind = match v {
                                    Val::Import { path, .. } => {
                                        path.last().cloned().unwrap_or_default()
                                    }
                                    Val::Str(s) => s,
                                    _ => "unknown".to_owned(),
                                };
                                // `VersioningType.URI` is an enum member: 0 in the compiled enum.
                                if kind == "0" {
                                    kind = "URI".to_owned();
                                }
                            }
                            "prefix" => {
                                prefix = Some(match v {
                                    Val::Str(s) => s,
                                    _ => String::new(),
                                })
                            }
                            "defaultVersion" => default_version = Some(nest_versions(&v)),
                            _ => {}
                        }
                    }
                }
                self.facts.nest_versioning.push(NestVersioning {
                    kind,
                    prefix,
                    default_version,
                    at,
                });
            }
            "on" => {
                if let [event, handler, ..] = args.as_slice()
                    && self.eval_arg(event) == Val::Str("request".to_owned())
                {
                    let handler = self.handler(handler);
                    self.push_op(k, Op::RequestHandler { handler, at });
                }
            }
            _ => {}
        }
    }

    fn scan_class(&mut self, class: &'a Class<'a>) {
        let mut controller = None;
        for d in &class.decorators {
            if let Some((name, args)) = self.nest_decorator(&d.expression)
                && name == "Controller"
            {
                let mut paths = vec![Ok(String::new())];
                let mut versions = None;
                if let Some(arg) = args.and_then(|a| a.first()) {
                    match self.eval_arg(arg) {
                        Val::Object(props) => {
                            for (k, v) in props {
                                match k.as_str() {
                                    "path" => paths = path_vals(v, "path"),
                                    "version" => versions = Some(nest_versions(&v)),
                                    _ => {}
                                }
                            }
                        }
                        v => paths = path_vals(v, &self.text(arg.span())),
                    }
                }
                controller = Some((paths, versions));
            }
        }
        let Some((paths, mut versions)) = controller else {
            return;
        };
        for d in &class.decorators {
            if let Some(("Version", Some(args))) = self.nest_decorator(&d.expression)
                && let Some(arg) = args.first()
            {
                versions = Some(nest_versions(&self.eval_arg(arg)));
            }
        }
        let mut methods = Vec::new();
        for element in &class.body.body {
            let ClassElement::MethodDefinition(m) = element else {
                continue;
            };
            let mut http = Vec::new();
            let mut version = None;
            for d in &m.decorators {
                match self.nest_decorator(&d.expression) {
                    Some(("Version", Some(args))) => {
                        if let Some(arg) = args.first() {
                            version = Some(nest_versions(&self.eval_arg(arg)));
                        }
                    }
                    Some((
                        n @ ("Get" | "Post" | "Put" | "Delete" | "Patch" | "Options" | "Head"
                        | "All" | "Search"),
                        args,
                    )) => {
                        let paths = match args.and_then(|a| a.first()) {
                            Some(arg) => self.paths(arg),
                            None => vec![Ok(String::new())],
                        };
                        http.push((n.to_ascii_uppercase(), paths));
                    }
                    _ => {}
                }
            }
            for (method, paths) in http {
                methods.push(NestMethod {
                    method,
                    paths,
                    versions: version.clone(),
                    at: self.pos(m.span.start),
                    name: m.key.static_name().map(|n| n.to_string()),
                });
            }
        }
        self.facts.nest_controllers.push(NestController {
            name: class.id.as_ref().map(|i| i.name.to_string()),
            at: self.pos(class.span.start),
            paths,
            versions,
            methods,
        });
    }

    /// `@Get(':id')` → ("Get", args) when `Get` comes from `@nestjs/common`.
    fn nest_decorator(
        &mut self,
        expr: &'a Expression<'a>,
    ) -> Option<(
        &'static str,
        Option<&'a oxc_allocator::Vec<'a, Argument<'a>>>,
    )> {
        let (callee, args) = match expr.get_inner_expression() {
            Expression::CallExpression(c) => (&c.callee, Some(&c.arguments)),
            e => (e, None),
        };
        let Val::Import { spec, path } = self.eval(callee) else {
            return None;
        };
        if spec != "@nestjs/common" {
            return None;
        }
        let name = path.last()?;
        const NAMES: &[&str] = &[
            "Controller",
            "Version",
            "Get",
            "Post",
            "Put",
            "Delete",
            "Patch",
            "Options",
            "Head",
            "All",
            "Search",
        ];
        NAMES.iter().find(|n| **n == name).map(|n| (*n, args))
    }

    // ---- exports ------------------------------------------------------------

    fn exports(&mut self, program: &'a Program<'a>) {
        for statement in &program.body {
            match statement {
                Statement::ExportDeclaration(e) => self.export_declaration(&e.declaration),
                Statement::ExportNamedDeclaration(e) => {
                    for s in &e.specifiers {
                        if let ModuleExportName::IdentifierReference(id) = &s.local {
                            let v = self.eval_ident(id);
                            self.export(s.exported.name().to_string(), v);
                        }
                    }
                }
                Statement::ExportFromDeclaration(e) => {
                    for s in &e.specifiers {
                        let v =
                            import_val(e.source.value.as_str(), vec![s.local.name().to_string()]);
                        self.export(s.exported.name().to_string(), v);
                    }
                }
                Statement::ExportAllDeclaration(e) => match &e.exported {
                    Some(name) => {
                        let v = import_val(e.source.value.as_str(), vec!["*".to_owned()]);
                        self.export(name.name().to_string(), v);
                    }
                    None => self.facts.star_exports.push(e.source.value.to_string()),
                },
                Statement::ExportDefaultDeclaration(e) => {
                    let v = match &e.declaration {
                        ExportDefaultDeclarationKind::FunctionDeclaration(f) => Val::Func {
                            node: f.span.start,
                            at: self.pos(f.span.start),
                            name: f.id.as_ref().map(|i| i.name.to_string()),
                        },
                        ExportDefaultDeclarationKind::ClassDeclaration(c) => Val::Class {
                            node: c.span.start,
                            at: self.pos(c.span.start),
                            name: c.id.as_ref().map(|i| i.name.to_string()),
                        },
                        ExportDefaultDeclarationKind::TSInterfaceDeclaration(_) => continue,
                        other => match other.as_expression() {
                            Some(expr) => self.eval(expr),
                            None => continue,
                        },
                    };
                    self.export("default".to_owned(), v);
                }
                Statement::TSExportAssignment(e) => {
                    let v = self.eval(&e.expression);
                    self.record_return(&v);
                    self.facts.cjs = Some(v);
                }
                Statement::ExpressionStatement(s) => {
                    let Expression::AssignmentExpression(a) = s.expression.get_inner_expression()
                    else {
                        continue;
                    };
                    let Some(target) = a.left.as_member_expression() else {
                        continue;
                    };
                    let Some(name) = target.static_property_name() else {
                        continue;
                    };
                    let object = target.object().get_inner_expression();
                    if name == "exports"
                        && matches!(object, Expression::Identifier(id) if id.name == "module")
                    {
                        let v = self.eval(&a.right);
                        self.record_return(&v);
                        if let Val::Object(props) = &v {
                            for (k, pv) in props {
                                self.facts
                                    .exports
                                    .entry(k.clone())
                                    .or_insert_with(|| pv.clone());
                            }
                        }
                        self.facts.cjs = Some(v);
                    } else if object.is_specific_member_access("module", "exports")
                        || matches!(object, Expression::Identifier(id) if id.name == "exports")
                    {
                        let v = self.eval(&a.right);
                        self.export(name.to_owned(), v);
                    }
                }
                _ => {}
            }
        }
    }

    fn export_declaration(&mut self, declaration: &'a Declaration<'a>) {
        match declaration {
            Declaration::VariableDeclaration(v) => {
                for d in &v.declarations {
                    if let (BindingPattern::BindingIdentifier(b), Some(init)) = (&d.id, &d.init) {
                        let value = match b.symbol_id.get() {
                            Some(symbol) => {
                                if let Some(v) = self.memo.get(&symbol) {
                                    v.clone()
                                } else {
                                    let v = self.eval(init);
                                    self.memo.insert(symbol, v.clone());
                                    v
                                }
                            }
                            None => self.eval(init),
                        };
                        self.export(b.name.to_string(), value);
                    }
                }
            }
            Declaration::FunctionDeclaration(f) => {
                if let Some(id) = &f.id {
                    let v = Val::Func {
                        node: f.span.start,
                        at: self.pos(f.span.start),
                        name: Some(id.name.to_string()),
                    };
                    self.export(id.name.to_string(), v);
                }
            }
            Declaration::ClassDeclaration(c) => {
                if let Some(id) = &c.id {
                    let v = Val::Class {
                        node: c.span.start,
                        at: self.pos(c.span.start),
                        name: Some(id.name.to_string()),
                    };
                    self.export(id.name.to_string(), v);
                }
            }
            _ => {}
        }
    }

    fn export(&mut self, name: String, v: Val) {
        self.record_return(&v);
        self.facts.exports.insert(name, v);
    }

    /// For an exported function, what it returns when that is a framework
    /// object (a `createApp()` factory).
    fn record_return(&mut self, v: &Val) {
        let node = match v {
            Val::Func { node, .. } => *node,
            Val::SkipOverride(inner) => match inner.as_ref() {
                Val::Func { node, .. } => *node,
                _ => return,
            },
            _ => return,
        };
        if self.facts.returns.contains_key(&node) {
            return;
        }
        if let Some(r) = self.local_return(node)
            && matches!(
                r,
                Val::Obj(_)
                    | Val::Import { .. }
                    | Val::Returned(_)
                    | Val::Array(_)
                    | Val::Object(_)
            )
        {
            self.facts.returns.insert(node, r);
        }
    }
}

/// The argument of the last top-level `return` of a body.
fn last_return<'a>(statements: &'a [Statement<'a>]) -> Option<&'a Expression<'a>> {
    statements.iter().rev().find_map(|s| match s {
        Statement::ReturnStatement(r) => r.argument.as_ref(),
        _ => None,
    })
}

/// Receivers worth evaluating: identifiers, `this.x`, members and calls
/// (chains such as `app.route('/x').get(…)`, `require('x').Router()`).
fn plausible_receiver(e: &Expression<'_>) -> bool {
    matches!(
        e.get_inner_expression(),
        Expression::Identifier(_)
            | Expression::StaticMemberExpression(_)
            | Expression::CallExpression(_)
            | Expression::ComputedMemberExpression(_)
            | Expression::AwaitExpression(_)
    )
}

fn verb(name: &str) -> String {
    match name {
        "del" => "DELETE".to_owned(),
        n => n.to_ascii_uppercase(),
    }
}

/// Whether `v` can be part of a string once imports are followed.
fn symbolic_string(v: &Val) -> bool {
    matches!(
        v,
        Val::Str(_) | Val::Import { .. } | Val::Member(..) | Val::Concat(_)
    )
}

/// `parts` joined: a string when all are known here.
fn concat(parts: Vec<Val>) -> Val {
    let mut flat = Vec::new();
    for p in parts {
        match p {
            Val::Concat(inner) => flat.extend(inner),
            p => flat.push(p),
        }
    }
    if flat.iter().all(|p| matches!(p, Val::Str(_))) {
        Val::Str(
            flat.into_iter()
                .map(|p| match p {
                    Val::Str(s) => s,
                    _ => String::new(),
                })
                .collect(),
        )
    } else {
        Val::Concat(flat)
    }
}

/// The paths a value names; `text` is how it reads in the source.
pub fn path_vals(v: Val, text: &str) -> Vec<PathVal> {
    match v {
        Val::Str(s) => vec![Ok(s)],
        Val::Array(items) => items.into_iter().flat_map(|i| path_vals(i, text)).collect(),
        Val::Regex(r) => vec![Err(format!("path is a regular expression {r}"))],
        Val::Unknown(reason) | Val::Dynamic(reason)
            if !reason.is_empty() && !reason.contains(text) =>
        {
            vec![Err(format!(
                "path {} is not a constant ({reason})",
                quoted(text)
            ))]
        }
        _ => vec![Err(format!("path {} is not a constant", quoted(text)))],
    }
}

fn quoted(text: &str) -> String {
    if text.starts_with('`') {
        text.to_owned()
    } else {
        format!("`{text}`")
    }
}

fn nest_versions(v: &Val) -> Vec<NestVersion> {
    match v {
        Val::Str(s) => vec![NestVersion::V(s.clone())],
        Val::Array(items) => items.iter().flat_map(nest_versions).collect(),
        Val::Import { path, .. } if path.last().is_some_and(|p| p == "VERSION_NEUTRAL") => {
            vec![NestVersion::Neutral]
        }
        _ => Vec::new(),
    }
}
