// Shared by the browser tests: Debian's Chromium through playwright-core (no browser download),
// a fresh user per test file, screenshots into CHIIKI_SCREENSHOTS, and the page's console errors.
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const BASE_URL = process.env.CHIIKI_URL ?? "http://127.0.0.1:8080";
const SCREENSHOTS = process.env.CHIIKI_SCREENSHOTS ?? join(process.cwd(), ".run", "artifacts", "screens");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf-8");

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"],
  });
}

// A page whose console errors and uncaught exceptions are collected in `errors`.
export async function openPage(context) {
  const page = await context.newPage();
  const errors = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(String(error)));
  // Chromium's console line for a failed request has no URL: record which request it was.
  page.on("response", (response) => {
    if (response.status() >= 400) errors.push(`${response.status()} ${response.request().method()} ${response.url()}`);
  });
  return { page, errors };
}

export function newUser() {
  const id = Math.random().toString(36).slice(2, 10);
  return { email: `browser-${id}@chiiki.example`, password: `correct horse ${id} battery`, name: `Browser ${id}` };
}

export async function register(page, user) {
  await page.goto(`${BASE_URL}/login`);
  await page.getByRole("button", { name: /アカウントを作成|Create an account/ }).click();
  await page.fill("input[name=email]", user.email);
  await page.fill("input[name=display_name]", user.name);
  await page.fill("input[name=password]", user.password);
  await page.getByRole("button", { name: /^(新規登録|Register)$/ }).click();
  await page.waitForURL(`${BASE_URL}/`);
}

export async function login(page, user) {
  await page.goto(`${BASE_URL}/login`);
  await page.fill("input[name=email]", user.email);
  await page.fill("input[name=password]", user.password);
  await page.getByRole("button", { name: /^(ログイン|Log in)$/ }).click();
  await page.waitForURL((url) => url.pathname !== "/login");
}

export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

// axe-core's serious and critical violations on the page as it is now.
export async function seriousViolations(page) {
  // Evaluated over the DevTools protocol: the page's CSP (script-src 'self') stays in force.
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const { violations } = await axe.run(document, { resultTypes: ["violations"] });
    return violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
  });
  return result.filter((v) => v.impact === "serious" || v.impact === "critical");
}
