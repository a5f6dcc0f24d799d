import pg from "pg";
import { config } from "./config.js";
import { logger } from "./logger.js";

let pool: pg.Pool | undefined;

/** The pool is created on first use, and only when DATABASE_URL is set. */
export function getPool(): pg.Pool | undefined {
  if (!config.databaseUrl) return undefined;
  if (!pool) {
    pool = new pg.Pool({ connectionString: config.databaseUrl, max: 5 });
    pool.on("error", (err) => logger.error({ err }, "idle pg client error"));
  }
  return pool;
}

export async function saveReport(report: unknown): Promise<number> {
  const db = getPool();
  if (!db) throw new Error("DATABASE_URL is not set");
  await db.query(
    `CREATE TABLE IF NOT EXISTS metrics_reports (
       id SERIAL PRIMARY KEY,
       created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
       body JSONB NOT NULL
     )`,
  );
  const result = await db.query<{ id: number }>(
    "INSERT INTO metrics_reports (body) VALUES ($1) RETURNING id",
    [JSON.stringify(report)],
  );
  return result.rows[0].id;
}

export async function closePool(): Promise<void> {
  if (pool) {
    await pool.end();
    pool = undefined;
  }
}
