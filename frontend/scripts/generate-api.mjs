// Regenerates src/api/generated/<service>.ts from the services' OpenAPI documents:
// the Python side dumps app.openapi() of each service, openapi-typescript turns it into types.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");
const python = process.env.PYTHON ?? join(root, ".venv", "bin", "python");
const outDir = resolve(here, "..", "src", "api", "generated");
const specs = mkdtempSync(join(tmpdir(), "chiiki-openapi-"));
try {
  execFileSync(python, [join(here, "dump_openapi.py"), specs], { stdio: "inherit" });
  for (const service of ["auth", "stats", "ingest", "analytics"]) {
    const schema = JSON.parse(readFileSync(join(specs, `${service}.json`), "utf-8"));
    const ast = await openapiTS(schema);
    const header = `// Generated from the ${service} service's OpenAPI document by scripts/generate-api.mjs. Do not edit.\n`;
    writeFileSync(join(outDir, `${service}.ts`), header + astToString(ast));
  }
} finally {
  rmSync(specs, { recursive: true, force: true });
}
