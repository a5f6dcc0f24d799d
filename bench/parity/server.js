// The target of bench/parity/run.sh: JSON answers with a fresh id each
// (noise the secondary reveals), and /big, a BIG_MB-megabyte document of
// nested objects and numbers, built once; `node server.js changed` flips
// one field in it.
const http = require("http"), crypto = require("crypto");
const mb = Number(process.env.BIG_MB || 50);
let big = null;
const bigBody = () => {
  if (big) return big;
  const parts = [];
  let size = 0, i = 0;
  while (size < mb * 1024 * 1024) {
    const item = `{"id":${i},"name":"item ${i}","price":${(i * 0.37).toFixed(2)},"tags":["a","b"],"ok":true}`;
    parts.push(item);
    size += item.length + 1;
    i++;
  }
  // `changed`: the port's one wrong field, so the bodies differ and both
  // are parsed (identical bytes are equal without parsing).
  if (process.argv[2] === "changed") parts[parts.length - 1] = parts[parts.length - 1].replace('"ok":true', '"ok":false');
  return (big = Buffer.from(`{"items":[${parts.join(",")}]}`));
};
http.createServer((q, s) => {
  q.resume();
  q.on("end", () => {
    if (q.url === "/big") {
      s.writeHead(200, { "content-type": "application/json" });
      return s.end(bigBody());
    }
    s.writeHead(200, { "content-type": "application/json; charset=utf-8" });
    s.end(JSON.stringify({ url: q.url, requestId: crypto.randomUUID(), items: [1, 2, 3] }));
  });
}).listen(Number(process.env.PORT));
