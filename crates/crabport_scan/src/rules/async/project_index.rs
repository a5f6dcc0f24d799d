//! The cross-file half of `floating-promise`: which functions does each file
//! export that return a promise?
//!
//! Each file is parsed once. While the rule runs on a file, a call of a
//! relative import such as `import { save } from "./store"` becomes a
//! [`DeferredFinding`]; the same parse records the file's [`module_exports`].
//! After the pass the engine builds the [`ProjectIndex`] and keeps the
//! deferred findings whose import [`ProjectIndex::is_async_export`] confirms.
//!
//! Also the shared vocabulary of the group: what counts as a function that
//! returns a promise ([`function_returns_promise`], [`expression_is_async_function`]).

use std::collections::{BTreeSet, HashMap};

use oxc_ast::ast::{
    AssignmentTarget, Declaration, ExportDefaultDeclarationKind, Expression, Function,
    ModuleExportName, ObjectPropertyKind, Program, Statement, TSType, TSTypeAnnotation, TSTypeName,
    VariableDeclarator,
};

/// A finding that holds only if `module`, imported by the finding's file,
/// exports `export` as an async function.
#[derive(Debug, Clone)]
pub struct DeferredFinding {
    pub finding: crabport_core::finding::Finding,
    pub module: String,
    pub export: String,
}

/// `Promise<…>`, also in a union or intersection (`Promise<T> | undefined`,
/// but not `Promise<T> | any`, which is `any`) and through parentheses:
/// written so, without resolving names. Not
/// `PromiseLike`: a thenable need not be a promise (typescript-eslint's
/// `no-floating-promises` leaves thenables alone by default, too).
pub fn is_promise_type(ty: &TSType<'_>) -> bool {
    match ty {
        TSType::TSTypeReference(r) => matches!(&r.type_name,
            TSTypeName::IdentifierReference(id) if id.name == "Promise"),
        TSType::TSUnionType(u) => {
            !u.types.iter().any(is_top_type) && u.types.iter().any(is_promise_type)
        }
        TSType::TSIntersectionType(i) => {
            !i.types.iter().any(is_top_type) && i.types.iter().any(is_promise_type)
        }
        TSType::TSParenthesizedType(p) => is_promise_type(&p.type_annotation),
        _ => false,
    }
}

/// `any` or `unknown`, which swallow a union they are part of.
pub fn is_top_type(ty: &TSType<'_>) -> bool {
    matches!(ty, TSType::TSAnyKeyword(_) | TSType::TSUnknownKeyword(_))
}

fn annotation_is_promise(annotation: Option<&TSTypeAnnotation<'_>>) -> bool {
    annotation.is_some_and(|a| is_promise_type(&a.type_annotation))
}

/// A function type whose return type is a promise: `(…) => Promise<T>`.
pub fn is_promise_function_type(ty: &TSType<'_>) -> bool {
    match ty {
        TSType::TSFunctionType(f) => is_promise_type(&f.return_type.type_annotation),
        TSType::TSParenthesizedType(p) => is_promise_function_type(&p.type_annotation),
        _ => false,
    }
}

/// How a function is known to produce a promise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromiseFunction {
    /// Declared `async` (and not a generator: `async function*` returns an iterator).
    Async,
    /// Its TypeScript return type is `Promise<…>`.
    ReturnsPromise,
}

/// Whether calling `function` produces a promise.
pub fn function_returns_promise(function: &Function<'_>) -> Option<PromiseFunction> {
    if function.r#async && !function.generator {
        Some(PromiseFunction::Async)
    } else if annotation_is_promise(function.return_type.as_deref()) {
        Some(PromiseFunction::ReturnsPromise)
    } else {
        None
    }
}

/// An async (or `Promise`-returning) arrow or function expression, looking
/// through parentheses and TypeScript wrappers.
pub fn expression_is_async_function(expr: &Expression<'_>) -> Option<PromiseFunction> {
    match expr.get_inner_expression() {
        Expression::ArrowFunctionExpression(a) if a.r#async => Some(PromiseFunction::Async),
        Expression::ArrowFunctionExpression(a) => annotation_is_promise(a.return_type.as_deref())
            .then_some(PromiseFunction::ReturnsPromise),
        Expression::FunctionExpression(f) => function_returns_promise(f),
        _ => None,
    }
}

/// `const f = async () => …`, `const f = async function () {}` or
/// `const f: (…) => Promise<T> = …`.
pub fn declarator_returns_promise(declarator: &VariableDeclarator<'_>) -> Option<PromiseFunction> {
    if declarator
        .type_annotation
        .as_ref()
        .is_some_and(|a| is_promise_function_type(&a.type_annotation))
    {
        return Some(PromiseFunction::ReturnsPromise);
    }
    declarator
        .init
        .as_ref()
        .and_then(expression_is_async_function)
}

/// A re-export: `export { a as b } from "./m"` (`imported: Some`) or
/// `export * from "./m"` (`imported: None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReExport {
    pub source: String,
    /// The name in `source`; `None` for `export *`.
    pub imported: Option<String>,
    /// The name this module exports it under; unused for `export *`.
    pub exported: String,
}

/// What the scan records per file for other files' imports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleExports {
    /// Exported names bound to async or `Promise`-returning functions
    /// (`default` for the default export).
    pub async_functions: BTreeSet<String>,
    /// Re-exports, followed at lookup time (barrel `index.ts` files).
    pub reexports: Vec<ReExport>,
}

/// Exported async functions and re-exports of `program`, from its top-level
/// statements only: ESM (`export async function`, `export const f = async () =>`,
/// `export { f as g }`, `export default …`) and CommonJS (`exports.f = async …`,
/// `module.exports = { f, g: async () => … }`).
pub fn module_exports(program: &Program<'_>) -> ModuleExports {
    // Top-level bindings that hold async functions, exported or not.
    let mut local: BTreeSet<String> = BTreeSet::new();
    for statement in &program.body {
        let declaration = match statement {
            Statement::ExportDeclaration(e) => &e.declaration,
            other => match other.as_declaration() {
                Some(d) => d,
                None => continue,
            },
        };
        local.extend(declared_async_names(declaration));
    }
    let mut out = ModuleExports::default();
    for statement in &program.body {
        match statement {
            Statement::ExportDeclaration(e) => {
                out.async_functions
                    .extend(declared_async_names(&e.declaration));
            }
            Statement::ExportNamedDeclaration(e) if !e.export_kind.is_type() => {
                for specifier in &e.specifiers {
                    if local.contains(export_name(&specifier.local).as_str()) {
                        out.async_functions.insert(export_name(&specifier.exported));
                    }
                }
            }
            Statement::ExportFromDeclaration(e) if !e.export_kind.is_type() => {
                for specifier in &e.specifiers {
                    out.reexports.push(ReExport {
                        source: e.source.value.to_string(),
                        imported: Some(export_name(&specifier.local)),
                        exported: export_name(&specifier.exported),
                    });
                }
            }
            Statement::ExportAllDeclaration(e)
                if e.exported.is_none() && !e.export_kind.is_type() =>
            {
                out.reexports.push(ReExport {
                    source: e.source.value.to_string(),
                    imported: None,
                    exported: String::new(),
                });
            }
            Statement::ExportDefaultDeclaration(e) => {
                let is_async = match &e.declaration {
                    ExportDefaultDeclarationKind::FunctionDeclaration(f) => {
                        function_returns_promise(f).is_some()
                    }
                    ExportDefaultDeclarationKind::ClassDeclaration(_)
                    | ExportDefaultDeclarationKind::TSInterfaceDeclaration(_) => false,
                    other => other.as_expression().is_some_and(|expr| {
                        expression_is_async_function(expr).is_some()
                            || matches!(expr.get_inner_expression(),
                                Expression::Identifier(id) if local.contains(id.name.as_str()))
                    }),
                };
                if is_async {
                    out.async_functions.insert("default".to_owned());
                }
            }
            Statement::ExpressionStatement(s) => commonjs_exports(&s.expression, &local, &mut out),
            _ => {}
        }
    }
    out
}

/// Names bound to async functions by one declaration.
fn declared_async_names(declaration: &Declaration<'_>) -> Vec<String> {
    match declaration {
        Declaration::FunctionDeclaration(f) => match (&f.id, function_returns_promise(f)) {
            (Some(id), Some(_)) => vec![id.name.to_string()],
            _ => Vec::new(),
        },
        Declaration::VariableDeclaration(v) => v
            .declarations
            .iter()
            .filter(|d| declarator_returns_promise(d).is_some())
            .filter_map(|d| d.id.get_identifier_name().map(|n| n.to_string()))
            .collect(),
        _ => Vec::new(),
    }
}

fn export_name(name: &ModuleExportName<'_>) -> String {
    name.name().to_string()
}

/// `exports.f = async …`, `module.exports.f = async …`,
/// `module.exports = { f, g: async () => … }`.
fn commonjs_exports(expr: &Expression<'_>, local: &BTreeSet<String>, out: &mut ModuleExports) {
    let Expression::AssignmentExpression(assign) = expr.get_inner_expression() else {
        return;
    };
    let value_is_async = |value: &Expression<'_>| {
        expression_is_async_function(value).is_some()
            || matches!(value.get_inner_expression(),
                Expression::Identifier(id) if local.contains(id.name.as_str()))
    };
    let AssignmentTarget::StaticMemberExpression(target) = &assign.left else {
        return;
    };
    let object = target.object.get_inner_expression();
    let is_exports =
        object.is_specific_id("exports") || object.is_specific_member_access("module", "exports");
    if is_exports {
        if value_is_async(&assign.right) {
            out.async_functions.insert(target.property.name.to_string());
        }
        return;
    }
    if !(object.is_specific_id("module") && target.property.name == "exports") {
        return;
    }
    let Expression::ObjectExpression(object) = assign.right.get_inner_expression() else {
        return;
    };
    for property in &object.properties {
        let ObjectPropertyKind::ObjectProperty(p) = property else {
            continue;
        };
        let Some(name) = p.key.static_name() else {
            continue;
        };
        let is_async = if p.method {
            expression_is_async_function(&p.value).is_some()
        } else {
            value_is_async(&p.value)
        };
        if is_async {
            out.async_functions.insert(name.to_string());
        }
    }
}

/// File extensions a relative import may leave out, in resolution order.
const EXTENSIONS: &[&str] = &["ts", "tsx", "mts", "cts", "js", "jsx", "mjs", "cjs"];

/// Re-export chains longer than this are not followed.
const MAX_REEXPORT_DEPTH: usize = 8;

/// Every file's [`ModuleExports`], keyed by the same `/`-separated display
/// path the engine gives [`crate::context::FileContext::display_path`].
#[derive(Debug, Default)]
pub struct ProjectIndex {
    files: HashMap<String, ModuleExports>,
}

impl ProjectIndex {
    pub fn insert(&mut self, display_path: impl Into<String>, exports: ModuleExports) {
        self.files.insert(display_path.into(), exports);
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Does `specifier` imported from the file `importer` export `name` (or
    /// `default`) as an async function? Only relative specifiers (`./`, `../`)
    /// resolve; package imports and tsconfig path aliases do not.
    pub fn is_async_export(&self, importer: &str, specifier: &str, name: &str) -> bool {
        self.lookup(importer, specifier, name, 0)
    }

    fn lookup(&self, importer: &str, specifier: &str, name: &str, depth: usize) -> bool {
        if depth > MAX_REEXPORT_DEPTH {
            return false;
        }
        let Some((path, exports)) = self.resolve(importer, specifier) else {
            return false;
        };
        if exports.async_functions.contains(name) {
            return true;
        }
        exports.reexports.iter().any(|r| match &r.imported {
            Some(imported) => {
                r.exported == name && self.lookup(path, &r.source, imported, depth + 1)
            }
            None => name != "default" && self.lookup(path, &r.source, name, depth + 1),
        })
    }

    /// The indexed file `specifier` names from `importer`, Node/TypeScript style:
    /// the exact path, with an extension added, `.js` written for a `.ts`
    /// source, or a directory's `index` file.
    fn resolve(&self, importer: &str, specifier: &str) -> Option<(&str, &ModuleExports)> {
        if !(specifier.starts_with("./") || specifier.starts_with("../")) {
            return None;
        }
        let dir = importer.rsplit_once('/').map_or("", |(d, _)| d);
        // A file at the scan root has no directory: no leading `/`.
        let joined = if dir.is_empty() {
            normalize(specifier)
        } else {
            normalize(&format!("{dir}/{specifier}"))
        };
        let mut candidates = vec![joined.clone()];
        if let Some((stem, ext)) = joined.rsplit_once('.') {
            let ts = match ext {
                "js" => &["ts", "tsx"][..],
                "jsx" => &["tsx"][..],
                "mjs" => &["mts"][..],
                "cjs" => &["cts"][..],
                _ => &[][..],
            };
            candidates.extend(ts.iter().map(|e| format!("{stem}.{e}")));
        }
        candidates.extend(EXTENSIONS.iter().map(|e| format!("{joined}.{e}")));
        candidates.extend(EXTENSIONS.iter().map(|e| format!("{joined}/index.{e}")));
        candidates
            .into_iter()
            .find_map(|c| self.files.get_key_value(&c))
            .map(|(k, v)| (k.as_str(), v))
    }
}

impl FromIterator<(String, ModuleExports)> for ProjectIndex {
    fn from_iter<I: IntoIterator<Item = (String, ModuleExports)>>(iter: I) -> Self {
        Self {
            files: iter.into_iter().collect(),
        }
    }
}

/// Collapses `.` and `..` segments of a `/`-separated path.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    if path.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    }
}

/// [`module_exports`] of one file's source text, for callers without a parsed
/// program at hand; `None` when it does not parse.
pub fn module_exports_of_source(path: &std::path::Path, source: &str) -> Option<ModuleExports> {
    let allocator = oxc_allocator::Allocator::default();
    let source_type = oxc_span::SourceType::from_path(path).unwrap_or_default();
    let parsed = oxc_parser::Parser::new(&allocator, source, source_type).parse();
    (!parsed.panicked && !parsed.diagnostics.has_errors()).then(|| module_exports(&parsed.program))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exports(source: &str) -> ModuleExports {
        module_exports_of_source(std::path::Path::new("m.ts"), source).unwrap_or_default()
    }

    fn names(source: &str) -> Vec<String> {
        exports(source).async_functions.into_iter().collect()
    }

    #[test]
    fn esm_declarations_and_specifiers() {
        let source = r#"
export async function save(): Promise<void> {}
export function load(): Promise<number> { return Promise.resolve(1); }
export function sync(): number { return 1; }
export async function* stream() {}
export const remove = async (id: string) => {};
export const typed: (id: string) => Promise<void> = (id) => fetch(id).then(() => {});
export const plain = (id: string) => id;
export function maybe(): Promise<void> | undefined { return undefined; }
export function anything(): Promise<void> | any { return 1; }
export function thenable(): PromiseLike<void> { return Promise.resolve(); }
async function hidden() {}
const alsoHidden = async function () {};
function notAsync() {}
export { hidden as visible, notAsync, alsoHidden };
export type { Foo } from "./types";
"#;
        assert_eq!(
            names(source),
            [
                "alsoHidden",
                "load",
                "maybe",
                "remove",
                "save",
                "typed",
                "visible"
            ]
        );
    }

    #[test]
    fn default_exports() {
        assert_eq!(
            names("export default async function main() {}"),
            ["default"]
        );
        assert_eq!(names("export default async () => {};"), ["default"]);
        assert_eq!(
            names("async function run() {}\nexport default run;"),
            ["default"]
        );
        assert!(names("export default function main() {}").is_empty());
        assert!(names("export default class Store {}").is_empty());
    }

    #[test]
    fn commonjs_exports() {
        let source = r#"
async function fetchAll() {}
exports.one = async () => {};
module.exports.two = async function () {};
exports.three = () => 3;
module.exports = { fetchAll, four: async () => {}, async five() {}, six() {} };
"#;
        assert_eq!(names(source), ["fetchAll", "five", "four", "one", "two"]);
    }

    #[test]
    fn reexports_are_recorded() {
        let e = exports("export { save as store } from './db';\nexport * from './more';");
        assert_eq!(
            e.reexports,
            [
                ReExport {
                    source: "./db".into(),
                    imported: Some("save".into()),
                    exported: "store".into()
                },
                ReExport {
                    source: "./more".into(),
                    imported: None,
                    exported: String::new()
                },
            ]
        );
    }

    fn index() -> ProjectIndex {
        let mut index = ProjectIndex::default();
        index.insert(
            "src/db/store.ts",
            exports("export async function save() {}\nexport function count() { return 1; }"),
        );
        index.insert(
            "src/db/index.ts",
            exports("export * from './store';\nexport { save as persist } from './store';"),
        );
        index.insert(
            "src/util.mts",
            exports("export default async function sleep() {}"),
        );
        index
    }

    #[test]
    fn resolves_relative_imports_like_node_and_typescript() {
        let index = index();
        assert!(index.is_async_export("src/app.ts", "./db/store", "save"));
        assert!(index.is_async_export("src/app.ts", "./db/store.js", "save"));
        assert!(index.is_async_export("src/app.ts", "./db/store.ts", "save"));
        assert!(index.is_async_export("src/app.ts", "./util.mjs", "default"));
        assert!(index.is_async_export("src/api/routes.ts", "../db/store", "save"));
        assert!(!index.is_async_export("src/app.ts", "./db/store", "count"));
        assert!(!index.is_async_export("src/app.ts", "./db/missing", "save"));
        assert!(!index.is_async_export("src/app.ts", "db/store", "save"));
        // An importer at the scan root.
        assert!(index.is_async_export("main.ts", "./src/db/store", "save"));
    }

    #[test]
    fn follows_barrel_reexports() {
        let index = index();
        assert!(index.is_async_export("src/app.ts", "./db", "save"));
        assert!(index.is_async_export("src/app.ts", "./db/index.js", "persist"));
        assert!(!index.is_async_export("src/app.ts", "./db", "count"));
    }

    #[test]
    fn collects_from_first_pass_results() {
        let index: ProjectIndex = [(
            "lib/a.ts".to_owned(),
            exports("export const run = async () => {};"),
        )]
        .into_iter()
        .collect();
        assert_eq!(index.len(), 1);
        assert!(index.is_async_export("lib/b.ts", "./a", "run"));
    }

    #[test]
    fn reexport_cycles_terminate() {
        let mut index = ProjectIndex::default();
        index.insert("a.ts", exports("export * from './b';"));
        index.insert("b.ts", exports("export * from './a';"));
        assert!(!index.is_async_export("main.ts", "./a", "anything"));
    }

    #[test]
    fn normalizes_paths() {
        assert_eq!(normalize("src/./db/../util"), "src/util");
        assert_eq!(normalize("../x"), "../x");
        assert_eq!(normalize("/abs/./p"), "/abs/p");
    }
}
