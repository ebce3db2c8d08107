// The first-load budget of the dashboard: the JavaScript index.html loads before any other page
// (its entry module and the modules it preloads), gzip-compressed, at most 300 kB.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET_KB = 300;
const dist = new URL("../dist/", import.meta.url).pathname;
const html = readFileSync(join(dist, "index.html"), "utf-8");
const scripts = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
const sizes = scripts.map((path) => ({ path, gzipKb: gzipSync(readFileSync(join(dist, path)), { level: 9 }).length / 1024 }));
const total = sizes.reduce((sum, s) => sum + s.gzipKb, 0);
for (const s of sizes) console.log(`${s.path}\t${s.gzipKb.toFixed(1)} kB gzip`);
console.log(`first-load JavaScript: ${total.toFixed(1)} kB gzip (budget ${BUDGET_KB} kB)`);
if (total > BUDGET_KB) process.exit(1);
