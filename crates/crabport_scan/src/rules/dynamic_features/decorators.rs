//! `decorators`: TypeScript/legacy decorators (one finding per decorated
//! class) and `reflect-metadata`.

use std::collections::BTreeMap;

use oxc_ast::AstKind;
use oxc_ast::ast::{Class, Expression};
use oxc_span::GetSpan;

use crabport_core::finding::{Confidence, Finding, Severity};

use super::runtime_reflection::METADATA_FUNCTIONS;
use super::{argument, global_member, is_global};
use crate::context::FileContext;
use crate::rule::{NaivePort, Rule, RuleDoc, finding};
use crate::rules::support::short;

pub struct Decorators;

pub static DOC: RuleDoc = RuleDoc {
    code: "decorators",
    summary: "Classes with TypeScript/legacy decorators (one finding per class, with the decorators and their \
count) and `reflect-metadata` imports and lookups.",
    why: "A decorator runs when the class is defined and records metadata (routes, columns, validation rules, \
injected types) that a framework reads back at runtime through `reflect-metadata`. Rust keeps no type \
information at runtime: a generic function cannot look up a field by name (E0609), and nothing can enumerate \
a struct's fields or its constructor's parameter types. What the decorators declared must be generated at \
compile time instead (derive macros: serde, validator, sqlx, async-graphql) or wired explicitly (a router \
table, dependencies constructed in `main` and passed in).",
    js_example: r#"class SignUp {
  @IsEmail() email: string;
  @Min(18) age: number;
}

@Controller("users")
export class UsersController {
  constructor(@Inject(UsersService) private users: UsersService) {}
  @Post() create(@Body() dto: SignUp) { return this.users.create(dto); }
}"#,
    naive_rust: Some(NaivePort {
        code: r#"// JS: class SignUp { @IsEmail() email: string; @Min(18) age: number }
//     validate(obj) reads each decorated field by name at runtime.
struct SignUp {
    email: String,
    age: u32,
}

fn validate<T>(value: &T) -> Vec<String> {
    let mut errors = Vec::new();
    if !value.email.contains('@') {
        errors.push("email".to_string());
    }
    errors
}

fn main() {
    let form = SignUp { email: "ada".into(), age: 17 };
    println!("{:?}", validate(&form));
}
"#,
        error: "E0609",
    }),
    idiomatic_rust: r#"// JS (class-validator + NestJS):
//   class SignUp { @IsEmail() email: string; @Min(18) age: number }
//   @Controller("users") class Users { @Post() create(@Body() dto: SignUp) { … } }
// Rust: what the decorators registered at runtime becomes a trait impl
// (what `#[derive(Validate)]` from the validator crate generates), and the
// routing becomes explicit wiring in one place.

struct SignUp {
    email: String,
    age: u32,
}

trait Validate {
    fn validate(&self) -> Result<(), Vec<&'static str>>;
}

impl Validate for SignUp {
    fn validate(&self) -> Result<(), Vec<&'static str>> {
        let mut errors = Vec::new();
        if !self.email.contains('@') {
            errors.push("email must be an email");
        }
        if self.age < 18 {
            errors.push("age must be at least 18");
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

fn create_user(dto: &SignUp) -> String {
    match dto.validate() {
        Ok(()) => format!("201 created {}", dto.email),
        Err(errors) => format!("400 {}", errors.join(", ")),
    }
}

fn main() {
    // The route table the decorators built, wired explicitly (axum: Router::new().route(…)).
    let routes: [(&str, fn(&SignUp) -> String); 1] = [("POST /users", create_user)];
    let requests = [
        SignUp {
            email: "ada@example.com".into(),
            age: 36,
        },
        SignUp {
            email: "bob".into(),
            age: 16,
        },
    ];
    for (route, handler) in routes {
        for request in &requests {
            println!("{route}: {}", handler(request));
        }
    }
}
"#,
    idiomatic_output: Some(
        "POST /users: 201 created ada@example.com\nPOST /users: 400 email must be an email, age must be at least 18\n",
    ),
};

const METADATA_HELP: &str = "Rust keeps no type information at runtime: what the metadata carried \
(parameter types for injection, roles, column types) is generated at compile time by derive macros, or \
declared per type (a trait with an associated const, e.g. `impl Roles for AdminController { const ROLES: \
&[&str] = &[\"admin\"]; }`), and dependencies are passed in explicitly";

/// Decorator families (space-separated names) and the Rust that replaces each.
const FAMILIES: &[(&str, &str)] = &[
    (
        "Controller Get Post Put Patch Delete Head Options All Param Body Query Headers Req Request \
Res Response Next HttpCode Header Redirect UseGuards UseInterceptors UsePipes UseFilters Render \
Version Ip HostParam Session UploadedFile UploadedFiles",
        "routes and parameters → an axum `Router::new().route(\"/path\", get(handler))` table with \
extractor arguments (`Path`, `Query`, `Json`); guards and interceptors → tower middleware",
    ),
    (
        "Injectable Inject Module Optional Global InjectRepository InjectModel Service Autowired \
injectable inject singleton autoInjectable",
        "dependency injection → construct the dependencies once in `main` and pass them in (struct \
fields, axum `State`)",
    ),
    (
        "Entity Table Column PrimaryColumn PrimaryGeneratedColumn PrimaryKey CreateDateColumn \
UpdateDateColumn DeleteDateColumn ManyToOne OneToMany OneToOne ManyToMany JoinColumn JoinTable \
BelongsTo HasMany HasOne BelongsToMany ForeignKey Index Unique Default AllowNull CreatedAt UpdatedAt \
DeletedAt Scopes DefaultScope BeforeCreate AfterCreate BeforeUpdate AfterUpdate BeforeSave AfterSave \
BeforeDestroy AfterDestroy BeforeInsert AfterInsert BeforeRemove AfterLoad AfterUpsert AfterRestore \
Prop Schema Property Enum DataType AutoIncrement Relation Embedded Embeddable Generated \
VersionColumn Tree",
        "models → plain structs with `#[derive(sqlx::FromRow)]` (or diesel/sea-orm derives), the \
schema in SQL migrations, and hooks as explicit calls in the functions that save",
    ),
    (
        "IsString IsNumber IsInt IsBoolean IsOptional IsNotEmpty IsEmpty IsArray IsEnum IsIn IsUrl \
IsPositive IsDateString Min Max MinLength MaxLength Matches ValidateNested ValidateIf Equals \
Contains ArrayMinSize ArrayMaxSize IsDefined IsObject IsISO8601 Allow IsAlphanumeric IsHexColor \
IsNumberString IsMongoId IsJSON IsEmail IsUUID IsDate IsIP IsFQDN IsNumeric NotEmpty NotIn Length",
        "validation → `#[derive(Deserialize, Validate)]` with validator-crate attributes, or checks \
in a `TryFrom` constructor",
    ),
    (
        "Expose Exclude Type Transform SerializeOptions",
        "serialization → serde attributes (`#[serde(skip)]`, `#[serde(rename = …)]`, \
`#[serde(with = …)]`)",
    ),
    (
        "ApiTags ApiOperation ApiResponse ApiBearerAuth ApiProperty ApiPropertyOptional ApiQuery \
ApiParam ApiBody ApiHeader ApiExtraModels ApiOkResponse ApiCreatedResponse ApiBadRequestResponse \
ApiNotFoundResponse ApiUnauthorizedResponse ApiForbiddenResponse ApiExcludeEndpoint ApiSecurity",
        "OpenAPI documentation → utoipa (`#[derive(ToSchema)]` on the types, `#[utoipa::path]` on \
the handlers)",
    ),
    (
        "observable computed action observer flow makeObservable",
        "MobX observables → state owned by one struct, changed through `&mut self` methods that \
notify subscribers explicitly (a `tokio::sync::watch` channel); computed values become methods",
    ),
    (
        "trace Trace traced instrument Instrument Span Timed Log",
        "tracing → `#[tracing::instrument]` on the functions (an attribute macro: the same idea, at \
compile time)",
    ),
    (
        "ObjectType InputType ArgsType InterfaceType Field Resolver Mutation Subscription Arg Args \
Ctx Root ResolveField FieldResolver Authorized",
        "GraphQL schema → async-graphql derives (`#[derive(SimpleObject, InputObject)]`, `#[Object]` \
impl blocks)",
    ),
];

const OTHER_HELP: &str = "custom decorators → a derive or attribute macro, or an explicit wrapper \
function called where the decorator ran";

impl Rule for Decorators {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn default_severity(&self) -> Severity {
        Severity::Warning
    }

    fn check(&self, ctx: &FileContext<'_, '_>, out: &mut Vec<Finding>) {
        let nodes = ctx.semantic.nodes();
        // Decorated classes by start offset: the class and its decorator names in source order.
        let mut classes: BTreeMap<u32, (&Class<'_>, Vec<String>)> = BTreeMap::new();
        for node in nodes.iter() {
            match node.kind() {
                AstKind::Decorator(decorator) => {
                    let class = nodes.ancestor_kinds(node.id()).find_map(|k| match k {
                        AstKind::Class(c) => Some(c),
                        _ => None,
                    });
                    if let Some(class) = class {
                        classes
                            .entry(class.span.start)
                            .or_insert_with(|| (class, Vec::new()))
                            .1
                            .push(decorator_name(ctx, &decorator.expression));
                    }
                }
                AstKind::ImportDeclaration(import) if import.source.value == "reflect-metadata" => {
                    out.push(finding(
                        ctx,
                        self,
                        import.span,
                        Confidence::High,
                        "imports `reflect-metadata`: decorators here read type metadata at runtime"
                            .into(),
                        METADATA_HELP.into(),
                    ));
                }
                AstKind::CallExpression(call) => {
                    let message = if is_global(ctx, &call.callee, "require")
                        && matches!(argument(&call.arguments, 0),
                            Some(Expression::StringLiteral(s)) if s.value == "reflect-metadata")
                    {
                        "requires `reflect-metadata`: decorators here read type metadata at runtime"
                            .to_owned()
                    } else if let Some(function) = global_member(ctx, &call.callee, "Reflect")
                        && METADATA_FUNCTIONS.contains(&function)
                    {
                        format!(
                            "`Reflect.{function}({}…)` uses decorator metadata at runtime",
                            argument(&call.arguments, 0)
                                .map(|a| format!("{}, ", short(ctx.text(a.span()), 30)))
                                .unwrap_or_default()
                        )
                    } else {
                        continue;
                    };
                    out.push(finding(
                        ctx,
                        self,
                        call.span,
                        Confidence::High,
                        message,
                        METADATA_HELP.into(),
                    ));
                }
                _ => {}
            }
        }
        for (class, names) in classes.into_values() {
            let class_name = class.id.as_ref().map_or_else(
                || "<anonymous class>".to_owned(),
                |id| format!("class `{}`", id.name),
            );
            let span = class.id.as_ref().map_or(class.span, |id| id.span);
            out.push(finding(
                ctx,
                self,
                span,
                Confidence::High,
                format!(
                    "{class_name} has {} decorator{}: {}",
                    names.len(),
                    if names.len() == 1 { "" } else { "s" },
                    summarize(&names)
                ),
                help(&names),
            ));
        }
    }
}

/// `Column` for `@Column({ … })`, `Foo.bar` for `@Foo.bar()`.
fn decorator_name(ctx: &FileContext<'_, '_>, expression: &Expression<'_>) -> String {
    let callee = match expression.get_inner_expression() {
        Expression::CallExpression(call) => &call.callee,
        other => other,
    };
    short(ctx.text(callee.span()), 30)
}

/// `@Table, @Column ×5, @BelongsTo ×2` in first-seen order, at most six names.
fn summarize(names: &[String]) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for name in names {
        match counts.iter_mut().find(|(n, _)| n == name) {
            Some((_, count)) => *count += 1,
            None => counts.push((name, 1)),
        }
    }
    let mut parts: Vec<String> = counts
        .iter()
        .take(6)
        .map(|(name, count)| {
            if *count == 1 {
                format!("@{name}")
            } else {
                format!("@{name} ×{count}")
            }
        })
        .collect();
    if counts.len() > 6 {
        parts.push(format!("and {} more", counts.len() - 6));
    }
    parts.join(", ")
}

/// The Rust replacement for each decorator family present.
fn help(names: &[String]) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let mut other = false;
    for name in names {
        // `@observable.ref` is in the `observable` family; `@nest.Get` in the `Get` one.
        let first = name.split('.').next().unwrap_or(name);
        let last = name.rsplit('.').next().unwrap_or(name);
        let family = FAMILIES
            .iter()
            .find(|(members, _)| members.split_whitespace().any(|m| m == first || m == last));
        match family {
            Some((_, advice)) => {
                if !parts.contains(advice) {
                    parts.push(advice);
                }
            }
            None => other = true,
        }
    }
    if other {
        parts.push(OTHER_HELP);
    }
    parts.join("; ")
}
