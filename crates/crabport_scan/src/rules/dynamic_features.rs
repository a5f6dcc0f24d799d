//! Dynamic features: JavaScript's runtime dynamism (code from strings, property traps,
//! monkey-patching, decorator metadata, untyped data) has no Rust analogue:
//! Rust resolves names, fields and types at compile time.

pub mod decorators;
pub mod dynamic_code;
pub mod explicit_any;
pub mod runtime_reflection;

use oxc_ast::AstKind;
use oxc_ast::ast::{Argument, Expression};
use oxc_semantic::{IsGlobalReference, NodeId};

use crate::context::FileContext;
use crate::rule::Rule;

pub static RULES: &[&dyn Rule] = &[
    &dynamic_code::DynamicCode,
    &runtime_reflection::RuntimeReflection,
    &decorators::Decorators,
    &explicit_any::ExplicitAny,
];

/// `expr` (parentheses and TS wrappers aside) is the global `name`, not a local binding.
pub(crate) fn is_global(ctx: &FileContext<'_, '_>, expr: &Expression<'_>, name: &str) -> bool {
    match expr.get_inner_expression() {
        Expression::Identifier(id) => {
            id.name == name && id.is_global_reference(ctx.semantic.scoping())
        }
        _ => false,
    }
}

/// The property name of `Object.method` when `Object` is the global `object`.
pub(crate) fn global_member<'a>(
    ctx: &FileContext<'_, '_>,
    expr: &'a Expression<'a>,
    object: &str,
) -> Option<&'a str> {
    match expr.get_inner_expression() {
        Expression::StaticMemberExpression(m) if is_global(ctx, &m.object, object) => {
            Some(m.property.name.as_str())
        }
        _ => None,
    }
}

/// The `index`th argument, unless it is a spread.
pub(crate) fn argument<'a>(args: &'a [Argument<'a>], index: usize) -> Option<&'a Expression<'a>> {
    args.get(index).and_then(Argument::as_expression)
}

/// Helpers that TypeScript and Babel emit into compiled JavaScript (`__extends`,
/// `_inherits`, …): generated class machinery, not code anyone ports by hand.
const TRANSPILER_HELPERS: &str = "__extends extendStatics __assign __rest __decorate __param \
__metadata __awaiter __generator __createBinding __setModuleDefault __importStar __importDefault \
__exportStar __spreadArray __classPrivateFieldGet __classPrivateFieldSet _inherits _inheritsLoose \
_setPrototypeOf _getPrototypeOf _defineProperty _defineProperties _createClass _classCallCheck \
_typeof _extends _objectSpread _objectSpread2 _possibleConstructorReturn _createSuper _wrapNativeSuper \
_construct _isNativeReflectConstruct _decorate _interopRequireDefault _interopRequireWildcard";

/// `node` is inside a transpiler helper (a function or variable with a helper's name).
pub(crate) fn in_transpiler_helper(ctx: &FileContext<'_, '_>, node: NodeId) -> bool {
    let nodes = ctx.semantic.nodes();
    nodes.ancestor_kinds(node).any(|kind| {
        let name = match kind {
            AstKind::VariableDeclarator(d) => d.id.get_identifier_name().map(|n| n.as_str()),
            AstKind::Function(f) => f.id.as_ref().map(|id| id.name.as_str()),
            _ => None,
        };
        name.is_some_and(|n| TRANSPILER_HELPERS.split_whitespace().any(|h| h == n))
    })
}

/// A finding a rule of this group is about to report, with its own severity.
pub(crate) struct Hit {
    pub span: oxc_span::Span,
    pub severity: crabport_core::finding::Severity,
    pub confidence: crabport_core::finding::Confidence,
    pub message: String,
    pub help: &'static str,
}

impl Hit {
    pub fn error(span: oxc_span::Span, message: String, help: &'static str) -> Self {
        Self {
            span,
            severity: crabport_core::finding::Severity::Error,
            confidence: crabport_core::finding::Confidence::High,
            message,
            help,
        }
    }

    pub fn warning(span: oxc_span::Span, message: String, help: &'static str) -> Self {
        Self {
            severity: crabport_core::finding::Severity::Warning,
            ..Self::error(span, message, help)
        }
    }
}

/// Reports `hit` for `rule` with the hit's severity.
pub(crate) fn report(
    ctx: &FileContext<'_, '_>,
    rule: &dyn Rule,
    hit: Hit,
    out: &mut Vec<crabport_core::finding::Finding>,
) {
    out.push(
        crate::rule::finding(
            ctx,
            rule,
            hit.span,
            hit.confidence,
            hit.message,
            hit.help.into(),
        )
        .with_severity(hit.severity),
    );
}
