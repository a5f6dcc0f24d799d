// Writes requests.jsonl, the requests `crabport parity examples/metrics-service`
// replays, in order, to the Node service, a second Node instance and the
// Rust port: routing, conditional GET, express.json()'s errors, zod and
// class-validator messages, and last the counter that reflects them all.
// The file is committed; rerun after editing: `node parity/requests.mjs`.
// Headers are what curl sends, so the answers match a hand check with curl.
import { writeFileSync } from "node:fs";

const lines = [];
const json = [["content-type", "application/json"]];

/** One request: curl's default headers, then `headers`, then the body. */
function req(method, target, { headers = [], body } = {}) {
  const all = [["user-agent", "curl/8.5.0"], ["accept", "*/*"], ...headers];
  const record = { v: 1, method, target, headers: all };
  if (body !== undefined) {
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, "utf8");
    // curl --data-binary without a content-type sends a form's.
    if (!all.some(([n]) => n.toLowerCase() === "content-type")) {
      all.push(["content-type", "application/x-www-form-urlencoded"]);
    }
    if (bytes.length > 0) record.body_base64 = bytes.toString("base64");
  }
  lines.push(JSON.stringify(record));
}
const get = (target, headers) => req("GET", target, { headers });
const post = (target, body, headers = []) => req("POST", target, { headers: [...json, ...headers], body });

// --- routes and routing ---------------------------------------------------
get("/health");
get("/health", [["x-request-id", "abc-123"]]);
get("/health", [["x-request-id", "a"], ["x-request-id", "b"]]);
get("/health", [["x-request-id", ""]]);
get("/users");
get("/orders");
get("/USERS/");
get("/users?x=1");
get("/users//");
get("//users");
get("/users.json");
get("/");
get("/nope");
get("/events");
req("POST", "/users");
req("OPTIONS", "/users");
req("DELETE", "/snapshot");
req("HEAD", "/users");
req("HEAD", "/nope");
req("HEAD", "/events");
get("/report"); // no DATABASE_URL: crabport.toml starts both without it

// --- conditional GET (express's ETag / fresh) -------------------------------
get("/health", [["if-none-match", 'W/"f-VaSQ4oDUiZblZNAEkkN+sX+q3Sg"']]);
get("/health", [["if-none-match", '"x", "f-VaSQ4oDUiZblZNAEkkN+sX+q3Sg"']]);
get("/health", [["if-none-match", "*"]]);
get("/health", [["if-none-match", "*"], ["cache-control", "max-age=0, no-cache"]]);
get("/health", [["if-none-match", 'W/"nope"']]);
post("/events", '{"level":"info","message":"conditional"}', [["if-none-match", "*"], ["x-request-id", "ev-0"]]);

// --- POST /events: valid ----------------------------------------------------
post("/events", '{"level":"info","message":"hi"}', [["x-request-id", "ev-1"]]);
post("/events", '{"message":"disk 91%","level":"warn","extra":[1,{"a":null}]}', [["x-request-id", "ev-2"]]);
post("/events", '{"level":"info","message":"héllo 😀 \\u2028 \\"q\\" \\\\ \\t"}', [["x-request-id", "ev-3"]]);
post("/events", '{"level":"warn","message":"\\ud800\\u0001\\ud83d\\ude00\\u00e9\\/"}', [["x-request-id", "ev-4"]]);
req("POST", "/events", { headers: [["content-type", 'application/json; charset="UTF-8"'], ["x-request-id", "ev-5"]], body: '{"level":"info","message":"q"}' });
req("POST", "/events", { headers: [["content-type", "APPLICATION/JSON"], ["x-request-id", "ev-6"]], body: '{"level":"info","message":"upper"}' });
post("/events", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"level":"warn","message":"bom"}')]), [["x-request-id", "ev-8"]]);
post("/events", Buffer.concat([Buffer.from('{"level":"warn","message":"bad '), Buffer.from([0xff, 0xfe]), Buffer.from(" utf8 "), Buffer.from([0xe2, 0x82]), Buffer.from('"}')]), [["x-request-id", "ev-9"]]);
post("/EVENTS/", '{"level":"info","message":"loose"}', [["x-request-id", "ev-10"]]);
post("/events", '{"level":"bad","message":"a","level":"info"}', [["x-request-id", "ev-11"]]);

// --- POST /events: zod issues -----------------------------------------------
for (const body of [
  "{}", "[1]", '{"level":"error","message":""}', '{"level":5,"message":5}', '{"level":null,"message":null}',
  '{"level":"info","message":[]}', '{"level":"info","message":[1]}', '{"level":"info","message":{}}',
  '{"level":"info","message":{"length":0}}', '{"level":"info","message":{"length":"0x1"}}',
  '{"level":"info","message":true}', '{"level":"info","message":-1e400}', '{"level":["info"],"message":"x"}',
]) post("/events", body);
req("POST", "/events", { body: "x=1" });
req("POST", "/events", { headers: [["content-type", "text/plain"]], body: '{"level":"info","message":"x"}' });
req("POST", "/events", { headers: [["content-type", "application/vnd.api+json"]], body: '{"level":"info","message":"x"}' });
req("POST", "/events");
post("/events", "");

// --- express.json() errors (any route) ----------------------------------------
for (const body of [
  "{", '{"level":"info",}', '{"level" "info"}', '{"a":1,"b"}', '{"level":"\\x"}', '{"level":"\\u12G4"}',
  '{"level":"a\nb"}', '{"level":"abc', '{"n":01}', '{"n":-}', '{"n":1.}', '{"n":1e}', '{"n":tru}',
  '{"a":1} x', '{"level":"info","message":"abcdefghij", oops "more text here"}', '{"level":😀}',
  "[object Object]", '"hello"', "  true", "  nullnullnullnullnullnull", "   ",
]) post("/events", body);
req("GET", "/users", { headers: json, body: "{" });
req("GET", "/nope", { headers: json, body: "[1,]" });
req("POST", "/events", { headers: [["content-type", "application/json; charset=latin1"]], body: "{}" });
req("POST", "/events", { headers: [["content-type", "application/json; charset=utf-9"]], body: "{}" });
post("/events", "{}", [["content-encoding", "x-foo"]]);
post("/events", '{"level":"info","message":"identity"}', [["content-encoding", "Identity"], ["x-request-id", "ev-12"]]);
post("/events", `{"level":"info","message":"${"x".repeat(102400)}"}`); // over 100 kB: 413
post("/events", `{"level":"info","message":"${"y".repeat(102300)}"}`, [["x-request-id", "ev-13"]]);
post("/events", "[".repeat(20000) + "]".repeat(20000));

// --- POST /alerts (class-validator) -------------------------------------------
for (const body of [
  '{"to":"a@b.co","subject":"disk"}',
  '{"to":"ops@example.com","subject":"disk","body":"91%","severity":"critical"}',
  "{}",
  '{"to":"a@b.co","subject":"","extra":1,"2":3,"1":0,"severity":"bad","body":5}',
  '{"to":"nope","subject":5}', '{"to":"nope","subject":0}', '{"subject":[]}',
  '{"to":"a@b.co","subject":{"length":300}}',
  `{"to":"a@b.co","subject":"${"x".repeat(201)}"}`,
  `{"to":"a@b.co","subject":"${"😀".repeat(150)}"}`,
  '{"to":"a@b.co","subject":"x","body":null,"severity":null}',
  "[1,2]",
  '{"4294967295":1,"4294967294":1,"01":1,"10":1,"9":1,"to":"a@b.co","subject":"x"}',
  '{"valueOf":1,"isPrototypeOf":1,"__defineGetter__":1,"toLocaleString":4,"to":"a@b.co","subject":"x"}',
  '{"constructor":1,"to":"a@b.co","subject":"x"}',
  '{"__proto__":{"a":1},"to":"a@b.co","subject":"x"}',
  '{"__proto__":1,"to":"a@b.co","subject":"x"}',
  '{"__proto__":null,"to":"a@b.co","subject":"x"}',
  '{"to":"\\ud800@b.co","subject":"x"}',
  '{"ü\\ud800":1,"to":"a@b.co","subject":"x"}',
]) post("/alerts", body);
req("POST", "/alerts");
for (const email of [
  "a@b", "a@b.c", "A@B.CO", "a@b.c0", "a@-b.co", "a@b_c.co", '\\"a b\\"@b.co', "a..b@b.co", ".a@b.co", "a@@b.co",
  "ü@bü.de", "a@xn--bcher-kva.ch", " a@b.co", "a@localhost", "@b.co", "a@[1.2.3.4]", "a+b@b.co", "a@b.co.", "a@ａ.co",
  '\\"@b.co', `${"u".repeat(65)}@b.co`, `a@${"d".repeat(64)}.co`,
]) post("/alerts", `{"to":"${email}","subject":"x"}`);

// --- the counter: every request above, as each service counted it ----------
get("/snapshot");
req("HEAD", "/snapshot");
get("/Snapshot/");

writeFileSync(new URL("requests.jsonl", import.meta.url), lines.join("\n") + "\n");
console.log(`${lines.length} requests`);
