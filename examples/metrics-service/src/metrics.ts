// metrics.ts — idiomatic Node.js
// The module from the migration guide's page "Common Migration Challenges",
// kept as written: a module-level mutable cache plus two closures that
// mutate the same shared array.
const counts: Record<string, number> = {};
export function recordHit(route: string): void {
  counts[route] = (counts[route] ?? 0) + 1;
}
// Two independent callbacks both mutate the same shared array.
const events: string[] = [];
const logInfo = () => events.push("info");
const logWarn = () => events.push("warn");
logInfo();
logWarn();
export function snapshot() {
  return { counts: { ...counts }, events: [...events] };
}

// --- additions so the HTTP service can append to the same events log ---
export type EventLevel = "info" | "warn";

export function logEvent(level: EventLevel, message: string): void {
  events.push(`${level}: ${message}`);
}

export { logInfo, logWarn };
