import pino from "pino";
import { config } from "./config.js";

export const logger = pino({
  name: "metrics-service",
  level: config.logLevel,
});
