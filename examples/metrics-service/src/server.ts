import "reflect-metadata";
import express, { type NextFunction, type Request, type Response } from "express";
import _ from "lodash";
import { v4 as uuidv4 } from "uuid";
import { z } from "zod";
import { parseAlert, sendAlert } from "./alerts.js";
import { config } from "./config.js";
import { closePool, saveReport } from "./db.js";
import { logger } from "./logger.js";
import { logEvent, recordHit, snapshot } from "./metrics.js";
import { forwardEvent } from "./webhook.js";

const users = [
  { id: 1, name: "Ada Lovelace", email: "ada@example.com" },
  { id: 2, name: "Grace Hopper", email: "grace@example.com" },
];

const orders = [
  { id: 101, userId: 1, total: 42.5, status: "shipped" },
  { id: 102, userId: 2, total: 17.0, status: "pending" },
];

const eventSchema = z.object({
  level: z.enum(["info", "warn"]),
  message: z.string().min(1),
});

const app = express();
app.disable("x-powered-by");

// Every request gets an id, echoed back in the response.
app.use((req: Request, res: Response, next: NextFunction) => {
  const requestId = req.header("x-request-id") ?? uuidv4();
  res.setHeader("x-request-id", requestId);
  res.locals.requestId = requestId;
  next();
});

app.use(express.json());

// Count the request against its route in the module-level counter.
function counted(req: Request, _res: Response, next: NextFunction) {
  recordHit(req.route?.path ?? req.path);
  next();
}

app.get("/health", counted, (_req, res) => {
  res.json({ status: "ok" });
});

app.get("/users", counted, (_req, res) => {
  res.json(users);
});

app.get("/orders", counted, (_req, res) => {
  res.json(orders);
});

app.post("/events", counted, async (req, res) => {
  const parsed = eventSchema.safeParse(req.body);
  if (!parsed.success) {
    res.status(400).json({ error: "invalid event", issues: parsed.error.issues });
    return;
  }
  const { level, message } = parsed.data;
  logEvent(level, message);
  void forwardEvent({ level, message, requestId: res.locals.requestId });
  res.status(201).json({ level, message });
});

app.get("/snapshot", counted, (_req, res) => {
  const { counts, events } = snapshot();
  const sorted = _.fromPairs(_.sortBy(_.toPairs(counts), ([route]) => route));
  res.json({ counts: sorted, events });
});

app.post("/alerts", counted, async (req, res) => {
  const { alert, errors } = await parseAlert(req.body);
  if (errors.length > 0) {
    res.status(400).json({ error: "invalid alert", messages: errors });
    return;
  }
  const outcome = await sendAlert(alert);
  res.status(202).json({ status: outcome });
});

app.get("/report", counted, async (_req, res) => {
  if (!config.databaseUrl) {
    res.status(503).json({ error: "DATABASE_URL is not set" });
    return;
  }
  const id = await saveReport(snapshot());
  res.status(201).json({ id });
});

app.use((_req: Request, res: Response) => {
  res.status(404).json({ error: "not found" });
});

// Express 5 forwards rejected promises from async handlers here too.
app.use((err: Error & { status?: number; expose?: boolean }, req: Request, res: Response, _next: NextFunction) => {
  const status = err.status ?? 500;
  if (status >= 500) {
    logger.error({ err, requestId: res.locals.requestId, path: req.path }, "request failed");
  }
  res.status(status).json({ error: err.expose ? err.message : "internal error" });
});

const server = app.listen(config.port, () => {
  logger.info({ port: config.port }, "metrics-service listening");
});

function shutdown(signal: NodeJS.Signals) {
  logger.info({ signal }, "shutting down");
  server.close(async (err) => {
    await closePool();
    process.exit(err ? 1 : 0);
  });
  // Do not hang forever on keep-alive connections.
  setTimeout(() => process.exit(1), 10_000).unref();
}

process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
