import sgMail from "@sendgrid/mail";
import { IsEmail, IsIn, IsOptional, IsString, Length, validate } from "class-validator";
import { config } from "./config.js";
import { logger } from "./logger.js";

export class AlertDto {
  @IsEmail()
  to!: string;

  @IsString()
  @Length(1, 200)
  subject!: string;

  @IsOptional()
  @IsString()
  body?: string;

  @IsIn(["info", "warn", "critical"])
  severity: "info" | "warn" | "critical" = "warn";
}

/** Copies the request body onto a DTO and returns the validation messages (empty when valid). */
export async function parseAlert(input: unknown): Promise<{ alert: AlertDto; errors: string[] }> {
  const alert = Object.assign(new AlertDto(), input);
  const errors = await validate(alert, { whitelist: true, forbidNonWhitelisted: true });
  return {
    alert,
    errors: errors.flatMap((e) => Object.values(e.constraints ?? {})),
  };
}

if (config.sendgridApiKey) {
  sgMail.setApiKey(config.sendgridApiKey);
}

/** Emails the alert when SENDGRID_API_KEY is set; otherwise only logs it. */
export async function sendAlert(alert: AlertDto): Promise<"sent" | "logged"> {
  if (!config.sendgridApiKey) {
    logger.warn({ alert }, "SENDGRID_API_KEY not set; alert logged only");
    return "logged";
  }
  await sgMail.send({
    to: alert.to,
    from: config.alertFrom,
    subject: `[${alert.severity}] ${alert.subject}`,
    text: alert.body ?? alert.subject,
  });
  return "sent";
}
