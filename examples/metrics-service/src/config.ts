import "dotenv/config";

function optional(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === "" ? undefined : value;
}

export const config = {
  port: Number(process.env.PORT ?? 3000),
  logLevel: process.env.LOG_LEVEL ?? "warn",
  databaseUrl: optional("DATABASE_URL"),
  sendgridApiKey: optional("SENDGRID_API_KEY"),
  alertFrom: process.env.ALERT_FROM ?? "alerts@example.com",
  webhookUrl: optional("WEBHOOK_URL"),
};
