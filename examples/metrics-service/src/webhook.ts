import axios from "axios";
import { config } from "./config.js";
import { logger } from "./logger.js";

/** Forwards an event to WEBHOOK_URL when it is set. Failures are logged, never thrown. */
export async function forwardEvent(payload: Record<string, unknown>): Promise<void> {
  if (!config.webhookUrl) return;
  try {
    await axios.post(config.webhookUrl, payload, { timeout: 2000 });
  } catch (err) {
    logger.error({ err }, "webhook forward failed");
  }
}
