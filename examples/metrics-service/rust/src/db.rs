//! `db.ts`: GET /report's Postgres write, over tokio-postgres with a
//! deadpool pool of at most 5 connections (pg's `max: 5`).
//!
//! Like pg's pool, nothing connects until the first query. Connections are
//! plain TCP (`NoTls`), which is also pg's default; a URL asking for TLS
//! (`sslmode=require`) fails at connect time here, where pg would use TLS.

use std::env;
use std::error::Error as StdError;

use bytes::{BufMut as _, BytesMut};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};

pub struct Db {
    pool: Pool,
}

impl Db {
    /// `new pg.Pool({ connectionString: DATABASE_URL, max: 5 })`.
    pub fn new(url: &str) -> anyhow::Result<Self> {
        let mut config: tokio_postgres::Config = url.parse()?;
        apply_pg_defaults(&mut config);
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager).max_size(5).build()?;
        Ok(Self { pool })
    }

    /// `saveReport(snapshot())`: the same two statements, the snapshot as jsonb.
    pub async fn save_report(&self, report_json: &[u8]) -> anyhow::Result<i32> {
        let client = self.pool.get().await?;
        client
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS metrics_reports (
       id SERIAL PRIMARY KEY,
       created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
       body JSONB NOT NULL
     )",
            )
            .await?;
        let row = client
            .query_one(
                "INSERT INTO metrics_reports (body) VALUES ($1) RETURNING id",
                &[&JsonText(report_json)],
            )
            .await?;
        Ok(row.try_get(0)?)
    }

    /// `pool.end()`.
    pub fn close(&self) {
        self.pool.close();
    }
}

/// pg fills what the URL leaves out from `PG*` variables and then its
/// defaults; tokio-postgres does not, so do it here.
fn apply_pg_defaults(config: &mut tokio_postgres::Config) {
    let var = |name: &str| env::var(name).ok().filter(|v| !v.is_empty());
    if config.get_hosts().is_empty() {
        config.host(var("PGHOST").unwrap_or_else(|| "localhost".to_owned()));
    }
    if config.get_ports().is_empty()
        && let Some(port) = var("PGPORT").and_then(|p| p.parse().ok())
    {
        config.port(port);
    }
    if config.get_user().is_none()
        && let Some(user) = var("PGUSER").or_else(|| var("USER"))
    {
        config.user(user);
    }
    if config.get_dbname().is_none()
        && let Some(db) = var("PGDATABASE").or_else(|| config.get_user().map(str::to_owned))
    {
        config.dbname(db);
    }
    if config.get_password().is_none()
        && let Some(password) = var("PGPASSWORD")
    {
        config.password(password);
    }
}

/// JSON text bound to a `json`/`jsonb` parameter, as pg sends `JSON.stringify(report)`.
#[derive(Debug)]
struct JsonText<'a>(&'a [u8]);

impl ToSql for JsonText<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        if *ty == Type::JSONB {
            // jsonb's binary format: a version byte, then the text.
            out.put_u8(1);
        }
        out.put_slice(self.0);
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::JSON || *ty == Type::JSONB
    }

    to_sql_checked!();
}
