//! From every file's facts to the project's routes: walk from each app
//! through its mounts, across files, joining prefixes.
//!
//! Roots are the apps a file creates (`express()`, `new Koa()`, `fastify()`,
//! `Hapi.server()`, `http.createServer(fn)`) that no other app mounts. A
//! router that no app mounts, or a function with routes on its parameter
//! that nothing calls, is reported as unresolved (it is mounted at run time,
//! e.g. by `@fastify/autoload` or a `readdirSync` loop), never dropped.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use crate::extract::{
    FileFacts, HandlerRef, NestVersion, ObjKey, ObjKind, Op, PathExpr, PathVal, Pos, Val, member,
    path_vals,
};
use crate::path::join;
use crate::resolve::Resolver;
use crate::{
    FileError, Framework, Handler, Location, ModuleGraph, Mount, Route, RouteInventory, Unresolved,
};

const MAX_DEPTH: usize = 48;

#[derive(Clone)]
struct Ctx {
    framework: Framework,
    prefix: PathVal,
    mounts: Vec<Mount>,
    notes: Vec<String>,
    stack: Vec<(usize, ObjKey)>,
}

impl Ctx {
    fn root(framework: Framework) -> Self {
        Self {
            framework,
            prefix: Ok(String::new()),
            mounts: Vec::new(),
            notes: Vec::new(),
            stack: Vec::new(),
        }
    }

    /// The context under a mount at `path`.
    fn mounted(&self, path: &PathVal, at: Location) -> Self {
        let mut next = self.clone();
        next.prefix = match (&self.prefix, path) {
            (Ok(a), Ok(b)) => Ok(join(a, b)),
            (Err(e), _) => Err(e.clone()),
            (_, Err(e)) => Err(format!("mounted under a path not known statically: {e}")),
        };
        next.mounts.push(Mount {
            path: match path {
                Ok(p) => crate::path::normalise(p),
                Err(_) => "?".to_owned(),
            },
            at,
        });
        next
    }
}

struct Composer<'f> {
    facts: &'f [FileFacts],
    by_path: HashMap<&'f Path, usize>,
    resolver: &'f Resolver,
    routes: Vec<Route>,
    unresolved: Vec<Unresolved>,
    notes: BTreeSet<String>,
    /// Objects expanded as someone's child (not as a root).
    reached: HashSet<(usize, ObjKey)>,
}

/// The routes of the project whose files are `facts`.
pub fn compose(
    _root: &Path,
    facts: &[FileFacts],
    resolver: &Resolver,
    _graph: &ModuleGraph,
) -> RouteInventory {
    let mut c = Composer {
        facts,
        by_path: facts
            .iter()
            .enumerate()
            .map(|(i, f)| (f.path.as_path(), i))
            .collect(),
        resolver,
        routes: Vec::new(),
        unresolved: Vec::new(),
        notes: BTreeSet::new(),
        reached: HashSet::new(),
    };
    // Every app, each into its own buffer: an app another app mounts is
    // dropped as a root afterwards.
    let mut per_root = Vec::new();
    for (i, f) in facts.iter().enumerate() {
        for (&n, obj) in &f.objects {
            if !obj.kind.is_app() || obj.kind == ObjKind::NestApp {
                continue;
            }
            let key = ObjKey::Local(n);
            c.expand(i, key, &Ctx::root(obj.kind.framework()));
            per_root.push((
                (i, key),
                std::mem::take(&mut c.routes),
                std::mem::take(&mut c.unresolved),
            ));
        }
    }
    // `expand` marks only what a parent mounts.
    let children = std::mem::take(&mut c.reached);
    for ((i, key), routes, unresolved) in per_root {
        if children.contains(&(i, key)) {
            continue;
        }
        c.routes.extend(routes);
        c.unresolved.extend(unresolved);
    }
    c.reached = children;
    c.nest();
    c.report_unmounted();
    let mut routes = std::mem::take(&mut c.routes);
    routes.sort_by(|a, b| {
        (&a.path, &a.method, &a.declared_at).cmp(&(&b.path, &b.method, &b.declared_at))
    });
    routes.dedup();
    let mut unresolved = std::mem::take(&mut c.unresolved);
    unresolved.sort();
    unresolved.dedup();
    let file_errors = facts
        .iter()
        .filter_map(|f| {
            f.error.as_ref().map(|(at, message)| FileError {
                location: Location {
                    file: f.display.clone(),
                    line: at.line,
                    column: at.column,
                },
                message: message.clone(),
            })
        })
        .collect();
    RouteInventory {
        routes,
        unresolved,
        files_parsed: facts.iter().filter(|f| f.error.is_none()).count(),
        file_errors,
        notes: c.notes.into_iter().collect(),
    }
}

impl<'f> Composer<'f> {
    fn loc(&self, file: usize, at: Pos) -> Location {
        Location {
            file: self.facts[file].display.clone(),
            line: at.line,
            column: at.column,
        }
    }

    fn unresolved(&mut self, file: usize, at: Pos, reason: impl Into<String>) {
        let location = self.loc(file, at);
        self.unresolved.push(Unresolved {
            location,
            reason: reason.into(),
        });
    }

    // ---- following values across files --------------------------------

    fn file_of(&self, from: usize, spec: &str) -> Option<usize> {
        let target = self.resolver.resolve(&self.facts[from].path, spec)?;
        self.by_path.get(target.as_path()).copied()
    }

    /// `val` (of file `file`) followed through imports, members and
    /// factory returns: the file it lives in and what it is.
    fn resolve(&self, file: usize, val: Val, depth: usize) -> (usize, Val) {
        if depth > MAX_DEPTH {
            return (file, Val::Unknown("import chain too long".to_owned()));
        }
        match val {
            Val::Import { spec, path } => match self.file_of(file, &spec) {
                Some(target) => self.export_of(target, &path, depth + 1),
                None => (file, Val::Import { spec, path }),
            },
            Val::Member(base, name) => {
                let (f, b) = self.resolve(file, *base, depth + 1);
                match b {
                    Val::Class {
                        node, name: class, ..
                    } => self.class_member(f, node, class.as_deref(), &name),
                    Val::Instance(inner) => match *inner {
                        Val::Class {
                            node, name: class, ..
                        } => self.class_member(f, node, class.as_deref(), &name),
                        other => (
                            f,
                            Val::Unknown(format!("`.{name}` of an instance of {other:?}")),
                        ),
                    },
                    Val::Member(..) => (f, Val::Unknown(format!("`.{name}` not followed"))),
                    b => {
                        let m = member(b, &name);
                        self.resolve(f, m, depth + 1)
                    }
                }
            }
            Val::Returned(inner) => {
                let (f, v) = self.resolve(file, *inner, depth + 1);
                let node = match &v {
                    Val::Func { node, .. } => Some(*node),
                    Val::SkipOverride(i) => match i.as_ref() {
                        Val::Func { node, .. } => Some(*node),
                        _ => None,
                    },
                    _ => None,
                };
                if matches!(v, Val::Obj(_) | Val::KoaRoutes(_) | Val::Ignored(_)) {
                    return (f, v);
                }
                match node.and_then(|n| self.facts[f].returns.get(&n)) {
                    Some(r) => self.resolve(f, r.clone(), depth + 1),
                    None => (f, Val::Unknown("the value a call returns".to_owned())),
                }
            }
            Val::Instance(inner) => {
                let (f, v) = self.resolve(file, *inner, depth + 1);
                (f, Val::Instance(Box::new(v)))
            }
            Val::SkipOverride(inner) => {
                let (f, v) = self.resolve(file, *inner, depth + 1);
                (f, Val::SkipOverride(Box::new(v)))
            }
            v => (file, v),
        }
    }

    fn class_member(
        &self,
        file: usize,
        node: u32,
        class: Option<&str>,
        name: &str,
    ) -> (usize, Val) {
        match self.facts[file]
            .classes
            .get(&node)
            .and_then(|m| m.get(name))
        {
            Some(at) => (
                file,
                Val::Def {
                    at: *at,
                    name: Some(match class {
                        Some(c) => format!("{c}.{name}"),
                        None => name.to_owned(),
                    }),
                },
            ),
            None => (file, Val::Unknown(format!("no method `{name}`"))),
        }
    }

    /// Export `path[0]` of file `file`, then members `path[1..]`.
    fn export_of(&self, file: usize, path: &[String], depth: usize) -> (usize, Val) {
        let facts = &self.facts[file];
        let Some((first, rest)) = path.split_first() else {
            return (file, Val::Unknown(String::new()));
        };
        let base = match first.as_str() {
            "*" => match &facts.cjs {
                Some(cjs) => Some(cjs.clone()),
                None if rest.is_empty() => Some(Val::Object(
                    facts
                        .exports
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                )),
                None => return self.export_of(file, rest, depth + 1),
            },
            "default" => facts
                .exports
                .get("default")
                .cloned()
                .or_else(|| facts.cjs.clone()),
            name => facts
                .exports
                .get(name)
                .cloned()
                .or_else(|| facts.cjs.clone().map(|c| member(c, name))),
        };
        let base = match base {
            Some(b) => b,
            None => {
                for star in &facts.star_exports {
                    if let Some(target) = self.file_of(file, star) {
                        let found = self.export_of(target, std::slice::from_ref(first), depth + 1);
                        if !matches!(found.1, Val::Unknown(_)) {
                            let mut v = found.1;
                            for r in rest {
                                v = member(v, r);
                            }
                            return self.resolve(found.0, v, depth + 1);
                        }
                    }
                }
                return (
                    file,
                    Val::Unknown(format!("`{}` does not export `{first}`", facts.display)),
                );
            }
        };
        let mut v = self.resolve(file, base, depth + 1);
        for r in rest {
            let m = member(v.1, r);
            v = self.resolve(v.0, m, depth + 1);
        }
        v
    }

    /// The paths a path argument names, imports and templates followed.
    fn path_list(&self, file: usize, p: &PathExpr) -> Vec<PathVal> {
        let (f, v) = self.resolve(file, p.val.clone(), 0);
        match v {
            Val::Array(items) => items
                .into_iter()
                .flat_map(|i| {
                    self.path_list(
                        f,
                        &PathExpr {
                            val: i,
                            text: p.text.clone(),
                        },
                    )
                })
                .collect(),
            Val::Concat(parts) => {
                let mut out = String::new();
                for part in parts {
                    let (g, part) = self.resolve(f, part, 0);
                    match part {
                        Val::Str(s) => out.push_str(&s),
                        Val::Concat(_) => match self
                            .path_list(
                                g,
                                &PathExpr {
                                    val: part,
                                    text: p.text.clone(),
                                },
                            )
                            .pop()
                        {
                            Some(Ok(s)) => out.push_str(&s),
                            _ => return path_vals(Val::Unknown(String::new()), &p.text),
                        },
                        other => return path_vals(other, &p.text),
                    }
                }
                vec![Ok(out)]
            }
            other => path_vals(other, &p.text),
        }
    }

    fn handler(&self, file: usize, h: &HandlerRef) -> Handler {
        let (f, v) = self.resolve(file, h.val.clone(), 0);
        let v = match v {
            Val::SkipOverride(inner) => *inner,
            v => v,
        };
        match v {
            Val::Func { at, name, .. } | Val::Def { at, name } => Handler {
                location: self.loc(f, at),
                name,
                resolved: true,
            },
            _ => Handler {
                location: self.loc(file, h.at),
                name: Some(h.text.clone()),
                resolved: false,
            },
        }
    }

    fn emit(
        &mut self,
        ctx: &Ctx,
        method: &str,
        path: &str,
        handler: Handler,
        file: usize,
        at: Pos,
    ) {
        let full = match &ctx.prefix {
            Ok(prefix) => join(prefix, path),
            Err(reason) => {
                self.unresolved(file, at, reason.clone());
                return;
            }
        };
        let declared_at = self.loc(file, at);
        self.routes.push(Route {
            method: method.to_owned(),
            path: full,
            framework: ctx.framework,
            handler,
            declared_at,
            mounted_at: ctx.mounts.clone(),
            notes: ctx.notes.clone(),
        });
    }

    // ---- walking the mounts --------------------------------------------

    fn expand(&mut self, file: usize, key: ObjKey, ctx: &Ctx) {
        if ctx.stack.contains(&(file, key)) {
            let at = match key {
                ObjKey::Local(n) => self.facts[file]
                    .objects
                    .get(&n)
                    .map(|o| o.at)
                    .unwrap_or_default(),
                ObjKey::Param(f, _) => self.facts[file]
                    .functions
                    .get(&f)
                    .map(|f| f.at)
                    .unwrap_or_default(),
            };
            self.unresolved(
                file,
                at,
                "a router mounts itself (directly or through others): not followed twice",
            );
            return;
        }
        if ctx.stack.len() > MAX_DEPTH {
            return;
        }
        if !ctx.stack.is_empty() {
            self.reached.insert((file, key));
        }
        let facts = self.facts;
        let mut ctx = ctx.clone();
        ctx.stack.push((file, key));
        if let ObjKey::Local(n) = key
            && let Some(obj) = facts[file].objects.get(&n)
        {
            if let Some(prefix) = &obj.prefix {
                for p in self.path_list(file, prefix).into_iter().take(1) {
                    ctx = with_prefix(ctx, &p);
                }
            }
            ctx.notes.extend(obj.notes.iter().cloned());
        }
        let ops = facts[file].ops(key);
        for op in ops {
            if let Op::Prefix(p) = op {
                for p in self.path_list(file, p).into_iter().take(1) {
                    ctx = with_prefix(ctx, &p);
                }
            }
        }
        for op in ops {
            self.apply_op(file, op, &ctx);
        }
    }

    fn apply_op(&mut self, file: usize, op: &Op, ctx: &Ctx) {
        match op {
            Op::Route {
                methods,
                paths,
                handler,
                at,
            } => {
                let handler = match handler {
                    Some(h) => self.handler(file, h),
                    None => Handler {
                        location: self.loc(file, *at),
                        name: None,
                        resolved: false,
                    },
                };
                for path in self.path_list(file, paths) {
                    match path {
                        Ok(p) => {
                            for m in methods {
                                self.emit(ctx, m, &p, handler.clone(), file, *at);
                            }
                        }
                        Err(reason) => self.unresolved(file, *at, reason),
                    }
                }
            }
            Op::Use {
                paths,
                first,
                targets,
                at,
            } => {
                let mut list: Vec<(PathVal, bool)> = match paths {
                    Some(ps) => self
                        .path_list(file, ps)
                        .into_iter()
                        .map(|p| (p, true))
                        .collect(),
                    None => vec![(Ok("/".to_owned()), false)],
                };
                let mut all = Vec::new();
                // An imported first argument that is not a string is a
                // middleware or a router, not a path.
                if let Some(first) = first
                    && list.iter().all(|(p, _)| p.is_err())
                {
                    list = vec![(Ok("/".to_owned()), false)];
                    all.push(first.clone());
                }
                all.extend(targets.iter().cloned());
                for (path, explicit) in &list {
                    for target in &all {
                        self.mount(file, target, path, *explicit, ctx, *at, 0);
                    }
                }
            }
            Op::Register { plugin, opts, at } => self.register(file, plugin, opts, ctx, *at),
            Op::RouteConfig { config, at } => {
                let (f, v) = self.resolve(file, config.clone(), 0);
                self.route_table(f, v, ctx, file, *at, 0);
            }
            Op::Apply { func, param, at } => {
                let (f, v) = self.resolve(file, func.clone(), 0);
                let v = match v {
                    Val::SkipOverride(inner) => *inner,
                    v => v,
                };
                if let Val::Func { node, .. } = v {
                    let mut next = ctx.clone();
                    next.mounts.push(Mount {
                        path: "/".to_owned(),
                        at: self.loc(file, *at),
                    });
                    self.expand(f, ObjKey::Param(node, *param), &next);
                }
            }
            Op::Prefix(_) => {}
            Op::RequestHandler { handler, at } => {
                let (_, v) = self.resolve(file, handler.val.clone(), 0);
                if matches!(v, Val::Obj(_)) {
                    // `http.createServer(app)`: the app's own routes.
                    return;
                }
                let handler = self.handler(file, handler);
                let mut next = ctx.clone();
                next.notes.push(
                    "node:http request handler: one catch-all route, its own dispatch is not read"
                        .to_owned(),
                );
                self.emit(&next, "ALL", "/*", handler, file, *at);
            }
            Op::Unresolved { reason, at } => self.unresolved(file, *at, reason.clone()),
        }
    }

    #[expect(clippy::too_many_arguments, reason = "one mount's whole context")]
    fn mount(
        &mut self,
        file: usize,
        target: &HandlerRef,
        path: &PathVal,
        explicit: bool,
        ctx: &Ctx,
        at: Pos,
        depth: usize,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        let (f, v) = self.resolve(file, target.val.clone(), 0);
        match v {
            Val::Array(items) => {
                for item in items {
                    let item = match item {
                        Val::Spread(inner) => *inner,
                        v => v,
                    };
                    let t = HandlerRef {
                        val: item,
                        at: target.at,
                        text: target.text.clone(),
                    };
                    self.mount(f, &t, path, explicit, ctx, at, depth + 1);
                }
            }
            Val::Obj(k) | Val::KoaRoutes(k) => {
                let next = ctx.mounted(path, self.loc(file, at));
                self.expand(f, k, &next);
            }
            Val::Mounted(paths, inner) => {
                let next = ctx.mounted(path, self.loc(file, at));
                let t = HandlerRef {
                    val: *inner,
                    at: target.at,
                    text: target.text.clone(),
                };
                for p in &self.path_list(f, &paths) {
                    self.mount(f, &t, p, true, &next, at, depth + 1);
                }
            }
            Val::Dynamic(reason) => {
                self.unresolved(
                    file,
                    target.at,
                    format!("mounts a value only known at run time: {reason}"),
                );
            }
            Val::Ignored(_) => {}
            Val::Unknown(_)
                if target.text.ends_with(".routes()") || target.text.ends_with(".middleware()") =>
            {
                self.unresolved(
                    file,
                    target.at,
                    format!("mounts a router not known statically: `{}`", target.text),
                );
            }
            _ if explicit => {
                let handler = self.handler(file, target);
                match path {
                    Ok(p) => self.emit(ctx, "USE", p, handler, file, at),
                    Err(reason) => self.unresolved(file, at, reason.clone()),
                }
            }
            _ => {}
        }
    }

    fn register(&mut self, file: usize, plugin: &HandlerRef, opts: &Val, ctx: &Ctx, at: Pos) {
        if ctx.framework == Framework::Koa {
            // koa-router `router.register(path, methods, middleware)`.
            let methods: Vec<String> = match self.resolve(file, opts.clone(), 0).1 {
                Val::Array(ms) => ms
                    .into_iter()
                    .filter_map(|m| match m {
                        Val::Str(s) => Some(method_name(&s)),
                        _ => None,
                    })
                    .collect(),
                Val::Str(m) => vec![method_name(&m)],
                _ => Vec::new(),
            };
            if methods.is_empty() {
                self.unresolved(file, at, "router.register(): methods not known statically");
                return;
            }
            let path = PathExpr {
                val: plugin.val.clone(),
                text: plugin.text.clone(),
            };
            let handler = Handler {
                location: self.loc(file, at),
                name: None,
                resolved: false,
            };
            for p in self.path_list(file, &path) {
                match p {
                    Ok(p) => {
                        for m in &methods {
                            self.emit(ctx, m, &p, handler.clone(), file, at);
                        }
                    }
                    Err(reason) => self.unresolved(file, at, reason),
                }
            }
            return;
        }
        let (of, opts) = self.resolve(file, opts.clone(), 0);
        let opts = match opts {
            Val::Object(props) => props,
            Val::Func { .. } => Vec::new(),
            _ => Vec::new(),
        };
        let prop = |name: &str| {
            opts.iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let prefix: Option<PathVal> = if ctx.framework == Framework::Hapi {
            match prop("routes").map(|r| self.resolve(of, r, 0).1) {
                Some(Val::Object(r)) => r
                    .into_iter()
                    .find(|(k, _)| k == "prefix")
                    .map(|(_, v)| path_vals(self.resolve(of, v, 0).1, "routes.prefix").remove(0)),
                _ => None,
            }
        } else {
            prop("prefix").map(|v| path_vals(self.resolve(of, v, 0).1, "prefix").remove(0))
        };
        let (f, v) = self.resolve(file, plugin.val.clone(), 0);
        self.register_value(file, f, v, plugin, prefix, ctx, at, 0);
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one registration's whole context"
    )]
    fn register_value(
        &mut self,
        file: usize,
        f: usize,
        v: Val,
        plugin: &HandlerRef,
        prefix: Option<PathVal>,
        ctx: &Ctx,
        at: Pos,
        depth: usize,
    ) {
        if depth > 8 {
            return;
        }
        let mounted = |c: &Self, prefix: &Option<PathVal>| match prefix {
            Some(p) => ctx.mounted(p, c.loc(file, at)),
            None => ctx.mounted(&Ok("/".to_owned()), c.loc(file, at)),
        };
        match v {
            Val::SkipOverride(inner) => {
                if let Val::Func { node, .. } = *inner {
                    let mut next = mounted(self, &None);
                    if prefix.is_some() {
                        next.notes.push(
                            "fastify-plugin: not encapsulated, the `prefix` option does not apply"
                                .to_owned(),
                        );
                    }
                    self.expand(f, ObjKey::Param(node, 0), &next);
                }
            }
            Val::Func { node, .. } => {
                let next = mounted(self, &prefix);
                self.expand(f, ObjKey::Param(node, 0), &next);
            }
            Val::Object(props) => {
                // hapi `{ plugin, options, routes }`, a plugin object
                // `{ name, register }`, or a module namespace `{ default }`.
                let get = |name: &str| {
                    props
                        .iter()
                        .rev()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v.clone())
                };
                if let Some(register) = get("register") {
                    let (f2, r) = self.resolve(f, register, 0);
                    self.register_value(file, f2, r, plugin, prefix, ctx, at, depth + 1);
                } else if let Some(inner) = get("plugin") {
                    let prefix = match get("routes").map(|r| self.resolve(f, r, 0).1) {
                        Some(Val::Object(r)) => r
                            .into_iter()
                            .find(|(k, _)| k == "prefix")
                            .map(|(_, v)| path_vals(v, "routes.prefix").remove(0)),
                        _ => prefix,
                    };
                    let (f2, r) = self.resolve(f, inner, 0);
                    self.register_value(file, f2, r, plugin, prefix, ctx, at, depth + 1);
                } else if let Some(default) = get("default") {
                    let (f2, r) = self.resolve(f, default, 0);
                    self.register_value(file, f2, r, plugin, prefix, ctx, at, depth + 1);
                } else {
                    self.unresolved(
                        file,
                        at,
                        format!(
                            "plugin `{}` is not a function this inventory can read",
                            plugin.text
                        ),
                    );
                }
            }
            Val::Array(items) => {
                for item in items {
                    let (f2, r) = self.resolve(f, item, 0);
                    self.register_value(file, f2, r, plugin, prefix.clone(), ctx, at, depth + 1);
                }
            }
            Val::Import { spec, .. } => {
                let loc = self.loc(file, at);
                if spec == "@fastify/autoload" || spec == "fastify-autoload" {
                    self.unresolved(file, at, "@fastify/autoload registers the plugins of a directory at run time: not listed");
                } else {
                    self.notes.insert(format!(
                        "plugin from package `{spec}` registered at {}:{}: routes it adds itself are not listed",
                        loc.file, loc.line
                    ));
                }
            }
            Val::Dynamic(reason) => self.unresolved(
                file,
                at,
                format!("registers a plugin only known at run time: {reason}"),
            ),
            _ => self.unresolved(
                file,
                at,
                format!("plugin `{}` is not known statically", plugin.text),
            ),
        }
    }

    /// `route({…})` / `route([…])`: one route per object.
    fn route_table(&mut self, f: usize, v: Val, ctx: &Ctx, file: usize, at: Pos, depth: usize) {
        if depth > 8 {
            return;
        }
        match v {
            Val::Array(items) => {
                for item in items {
                    let item = match item {
                        Val::Spread(inner) => *inner,
                        v => v,
                    };
                    let (f2, item) = self.resolve(f, item, 0);
                    self.route_table(f2, item, ctx, file, at, depth + 1);
                }
            }
            Val::Object(props) => self.route_object(f, &props, ctx, file, at),
            Val::Unknown(reason) | Val::Dynamic(reason) => {
                self.unresolved(
                    file,
                    at,
                    format!("route table not known statically: {reason}"),
                );
            }
            other => self.unresolved(
                file,
                at,
                format!("route table not known statically: {}", describe(&other)),
            ),
        }
    }

    fn route_object(&mut self, f: usize, props: &[(String, Val)], ctx: &Ctx, file: usize, at: Pos) {
        let get = |name: &str| {
            props
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let spread = props.iter().any(|(k, _)| k == "...");
        let methods: Vec<String> = match get("method").map(|m| self.resolve(f, m, 0).1) {
            Some(Val::Str(m)) => vec![method_name(&m)],
            Some(Val::Array(ms)) => ms
                .into_iter()
                .filter_map(|m| match m {
                    Val::Str(s) => Some(method_name(&s)),
                    _ => None,
                })
                .collect(),
            _ => {
                let why = if spread {
                    "the route's `method` comes from a spread"
                } else {
                    "the route's `method` is not a constant"
                };
                self.unresolved(file, at, why);
                return;
            }
        };
        let path = get("url")
            .or_else(|| get("path"))
            .map(|p| self.resolve(f, p, 0).1);
        let path = match path {
            Some(Val::Str(p)) => p,
            _ => {
                let why = if spread {
                    "the route's path comes from a spread"
                } else {
                    "the route's path is not a constant"
                };
                self.unresolved(file, at, why);
                return;
            }
        };
        let handler_val = get("handler").or_else(|| {
            ["options", "config"].iter().find_map(|k| {
                match get(k).map(|o| self.resolve(f, o, 0).1) {
                    Some(Val::Object(o)) => o
                        .into_iter()
                        .rev()
                        .find(|(k, _)| k == "handler")
                        .map(|(_, v)| v),
                    _ => None,
                }
            })
        });
        let handler = match handler_val {
            Some(h) => self.handler(
                f,
                &HandlerRef {
                    val: h,
                    at,
                    text: "handler".to_owned(),
                },
            ),
            None => Handler {
                location: self.loc(file, at),
                name: None,
                resolved: false,
            },
        };
        for m in methods {
            self.emit(ctx, &m, &path, handler.clone(), file, at);
        }
    }

    // ---- NestJS -----------------------------------------------------------

    fn nest(&mut self) {
        let facts = self.facts;
        let mut prefixes: Vec<(usize, &PathVal, Pos)> = Vec::new();
        let mut versioning = None;
        for (i, f) in facts.iter().enumerate() {
            prefixes.extend(f.nest_prefixes.iter().map(|(p, at)| (i, p, *at)));
            if versioning.is_none() {
                versioning = f.nest_versioning.first().map(|v| (i, v));
            }
        }
        let any_controller = facts.iter().any(|f| !f.nest_controllers.is_empty());
        if !any_controller {
            return;
        }
        let mut global: Option<(String, Location)> = None;
        let distinct: BTreeSet<&PathVal> = prefixes.iter().map(|(_, p, _)| *p).collect();
        if let Some((i, p, at)) = prefixes.first() {
            match p {
                Ok(p) => global = Some((p.clone(), self.loc(*i, *at))),
                Err(reason) => self.unresolved(
                    *i,
                    *at,
                    format!("setGlobalPrefix: {reason}; routes listed without it"),
                ),
            }
            if distinct.len() > 1 {
                self.notes
                    .insert("several setGlobalPrefix calls: the first is applied".to_owned());
            }
        }
        let uri = versioning.filter(|(_, v)| v.kind == "URI");
        if let Some((i, v)) = versioning
            && v.kind != "URI"
        {
            let loc = self.loc(i, v.at);
            self.notes.insert(format!(
                "NestJS {} versioning ({}:{}): versions do not change paths and are not listed",
                v.kind, loc.file, loc.line
            ));
        }
        for (i, f) in facts.iter().enumerate() {
            for controller in &f.nest_controllers {
                for method in &controller.methods {
                    let versions: Vec<Option<String>> = match uri {
                        Some((_, v)) => {
                            let chosen = method
                                .versions
                                .clone()
                                .or_else(|| controller.versions.clone())
                                .or_else(|| v.default_version.clone())
                                .unwrap_or_default();
                            if chosen.is_empty() {
                                vec![None]
                            } else {
                                chosen
                                    .into_iter()
                                    .map(|n| match n {
                                        NestVersion::Neutral => None,
                                        NestVersion::V(n) => Some(format!(
                                            "{}{n}",
                                            v.prefix.as_deref().unwrap_or("v")
                                        )),
                                    })
                                    .collect()
                            }
                        }
                        None => vec![None],
                    };
                    let handler = Handler {
                        location: self.loc(i, method.at),
                        name: match (&controller.name, &method.name) {
                            (Some(c), Some(m)) => Some(format!("{c}.{m}")),
                            (_, m) => m.clone(),
                        },
                        resolved: true,
                    };
                    for cpath in &controller.paths {
                        for mpath in &method.paths {
                            let (c, m) = match (cpath, mpath) {
                                (Ok(c), Ok(m)) => (c, m),
                                (Err(r), _) | (_, Err(r)) => {
                                    self.unresolved(i, method.at, r.clone());
                                    continue;
                                }
                            };
                            for version in &versions {
                                let mut ctx = Ctx::root(Framework::Nestjs);
                                let mut prefix = String::new();
                                if let Some((g, at)) = &global {
                                    prefix = join(&prefix, g);
                                    ctx.mounts.push(Mount {
                                        path: crate::path::normalise(g),
                                        at: at.clone(),
                                    });
                                }
                                if let Some(v) = version {
                                    prefix = join(&prefix, v);
                                }
                                prefix = join(&prefix, c);
                                ctx.mounts.push(Mount {
                                    path: crate::path::normalise(c),
                                    at: self.loc(i, controller.at),
                                });
                                ctx.prefix = Ok(prefix);
                                self.emit(&ctx, &method.method, m, handler.clone(), i, method.at);
                            }
                        }
                    }
                }
            }
        }
        if facts.iter().any(|f| !f.nest_controllers.is_empty()) {
            self.notes.insert(
                "NestJS: every @Controller class is listed, whether or not a module imports it; RouterModule prefixes are not applied".to_owned(),
            );
        }
    }

    // ---- what no app reaches --------------------------------------------

    fn report_unmounted(&mut self) {
        let facts = self.facts;
        for (i, f) in facts.iter().enumerate() {
            for (&n, obj) in &f.objects {
                if obj.kind.is_app() || self.reached.contains(&(i, ObjKey::Local(n))) {
                    continue;
                }
                let what = match obj.kind {
                    ObjKind::KoaRouter => "koa router",
                    _ => "express router",
                };
                for op in &obj.ops {
                    if let Some(at) = route_like(op) {
                        self.unresolved(i, at, format!("{what} created at line {} is not mounted on any app found statically", obj.at.line));
                    }
                }
            }
            for (&node, function) in &f.functions {
                for (&param, ops) in &function.params {
                    if self.reached.contains(&(i, ObjKey::Param(node, param))) {
                        continue;
                    }
                    let typed = function.param_types.get(&param).is_some_and(|t| {
                        [
                            "Fastify",
                            "Router",
                            "Express",
                            "Application",
                            "Koa",
                            "Server",
                            "Hapi",
                        ]
                        .iter()
                        .any(|k| t.contains(k))
                    });
                    let named = function.param_names.get(&param).is_some_and(|n| {
                        let n = n.to_ascii_lowercase();
                        ["app", "router", "fastify", "server", "instance", "api"]
                            .iter()
                            .any(|k| n == *k)
                            || n.contains("router")
                            || n.contains("fastify")
                    });
                    if !(typed || named || f.imports_framework) {
                        continue;
                    }
                    let name = function.name.as_deref().unwrap_or("an anonymous function");
                    for op in ops {
                        if let Some(at) = route_like(op) {
                            self.unresolved(
                                i,
                                at,
                                format!(
                                    "routes on parameter {} of {name} (line {}), which no file found calls or registers statically (loaded at run time, e.g. @fastify/autoload, fastify-cli, a readdir loop?)",
                                    param + 1,
                                    function.at.line
                                ),
                            );
                        }
                    }
                }
            }
        }
    }
}

fn with_prefix(mut ctx: Ctx, prefix: &PathVal) -> Ctx {
    ctx.prefix = match (&ctx.prefix, prefix) {
        (Ok(a), Ok(b)) => Ok(join(a, b)),
        (Err(e), _) | (_, Err(e)) => Err(e.clone()),
    };
    ctx
}

fn route_like(op: &Op) -> Option<Pos> {
    match op {
        Op::Route { at, .. } | Op::RouteConfig { at, .. } | Op::Unresolved { at, .. } => Some(*at),
        Op::Use {
            at, paths: Some(_), ..
        } => Some(*at),
        _ => None,
    }
}

fn method_name(m: &str) -> String {
    match m {
        "*" => "ALL".to_owned(),
        m => m.to_ascii_uppercase(),
    }
}

fn describe(v: &Val) -> String {
    match v {
        Val::Import { spec, path } => format!("`{}` from `{spec}`", path.join(".")),
        Val::Func { .. } => "a function".to_owned(),
        _ => "a value not followed".to_owned(),
    }
}
