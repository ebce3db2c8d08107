// The dashboard in headless Chromium against the real stack behind the gateway (CHIIKI_URL):
// every page shows the API's numbers, the session survives an expired access token, settings
// survive logout and login, logout ends the session; no console errors, no serious or critical
// axe violations; a screenshot of every page.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { BASE_URL, launch, login, newUser, openPage, register, screenshot, seriousViolations } from "./support.mjs";

const DEADLINE = { timeout: 90_000 };
let browser;
let context;
let page;
let errors;
const user = newUser();

async function checkPage(name) {
  await screenshot(page, name);
  assert.deepEqual(await seriousViolations(page), [], `axe on ${name}`);
}

before(async () => {
  browser = await launch();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "ja-JP" });
  // A shared 2-core machine under load: generous waits (conditions, never fixed sleeps).
  context.setDefaultTimeout(90_000);
  context.setDefaultNavigationTimeout(90_000);
  ({ page, errors } = await openPage(context));
});
after(async () => {
  await browser?.close();
});

test("register, log in and see Tokyo's 2020 population on the dashboard", async () => {
  await register(page, user);
  const card = page.locator('.kpi[data-indicator="population.total"]');
  await card.locator(".number").waitFor(DEADLINE);
  assert.equal(await card.locator(".number").textContent(), "14,047,594");
  assert.match(await card.textContent(), /FY2020/);
  assert.match(await card.locator(".rank").textContent(), /1位 \/ 47/);
  await page.locator(".attribution").waitFor();
  await checkPage("dashboard");
});

test("the region picker finds a region by kana and by romaji", async () => {
  const search = page.locator(".picker input[type=search]");
  await search.fill("おおさか");
  await page.getByRole("option", { name: /大阪府/ }).click();
  await page.waitForURL(/region=27000/);
  await page.locator(".kpi .number").first().waitFor(DEADLINE);
  await page.locator("h1", { hasText: "大阪府" }).waitFor(DEADLINE);
  await search.fill("hokkaido");
  await page.getByRole("option", { name: /北海道/ }).first().waitFor(DEADLINE);
  await search.press("Enter");
  await page.locator("h1", { hasText: "北海道" }).waitFor(DEADLINE);
});

test("the prefecture map draws 47 features; the municipal map draws every one of at least 1,700", async () => {
  await page.goto(`${BASE_URL}/map`);
  await page.waitForFunction(() => document.querySelector(".map-canvas")?.getAttribute("data-drawn-features") === "47", null, DEADLINE);
  assert.equal(await page.locator("table tbody tr").first().locator("td").nth(2).textContent(), "14,047,594");
  await checkPage("map");
  await page.selectOption("select[name=level]", "municipality");
  // Every municipality the API sends is drawn where all of Japan fits, the smallest included
  // (the source keeps polygons under a pixel): drawn means rendered, counted by MapLibre.
  await page.waitForFunction(() => Number(document.querySelector(".map-canvas")?.getAttribute("data-features")) >= 1700, null, { timeout: 120_000 });
  await page.waitForFunction(() => {
    const canvas = document.querySelector(".map-canvas");
    return canvas?.getAttribute("data-drawn-features") === canvas?.getAttribute("data-features");
  }, null, { timeout: 120_000 });
  await screenshot(page, "map-municipalities");
  // Any indicator of the catalog: the job openings ratio, in its own unit.
  await page.selectOption("select[name=level]", "prefecture");
  await page.selectOption("select[name=indicator]", "labour.job_openings_ratio");
  await page.locator(".legend", { hasText: "倍" }).waitFor(DEADLINE);
  await page.waitForFunction(() => document.querySelector(".map-canvas")?.getAttribute("data-drawn-features") === "47", null, DEADLINE);
  assert.equal(await page.locator("table tbody tr").first().locator("td").first().textContent(), "1");
  await screenshot(page, "map-job-openings-ratio");
});

test("livability weights are saved and restored at the next login", async () => {
  await page.goto(`${BASE_URL}/livability`);
  const slider = page.locator('input[name="labour.job_openings_ratio"]');
  await slider.waitFor(DEADLINE);
  await page.locator(".ranking tbody tr").first().waitFor(DEADLINE);
  await slider.focus();
  for (let i = 0; i < 4; i++) await slider.press("ArrowRight"); // keyboard: 1 -> 5
  assert.equal(await slider.inputValue(), "5");
  await page.getByRole("button", { name: "重みを保存" }).click();
  await page.locator(".save-status", { hasText: "保存しました" }).waitFor(DEADLINE);
  await page.locator(".score").waitFor(DEADLINE);
  await checkPage("livability");
  await page.getByRole("button", { name: "ログアウト" }).click();
  await page.waitForURL(`${BASE_URL}/login`);
  await login(page, user);
  await page.goto(`${BASE_URL}/livability`);
  await page.waitForFunction(() => document.querySelector('input[name="labour.job_openings_ratio"]')?.value === "5", null, DEADLINE);
});

test("population: the age-group trend, the 2020 pyramid and the forecast with its intervals", async () => {
  await page.goto(`${BASE_URL}/population?region=13000`);
  const first = page.locator("table.forecast tbody tr").first();
  await first.waitFor(DEADLINE);
  assert.match(await first.textContent(), /^FY2021/); // periods as stats labels them
  assert.match(await first.textContent(), /–/); // 80% and 95% bounds
  await page.locator('canvas[aria-label="人口ピラミッド（全国） 2020"]').waitFor(DEADLINE);
  await page.selectOption("select[name=census-year]", "1920");
  await page.locator('canvas[aria-label="人口ピラミッド（全国） 1920"]').waitFor(DEADLINE);
  await checkPage("population");
});

test("comparison charts two regions and two indicators", async () => {
  await page.goto(`${BASE_URL}/comparison`);
  await page.locator("canvas[aria-label=比較]").waitFor(DEADLINE);
  await page.locator(".chips li", { hasText: "大阪府" }).waitFor(DEADLINE);
  await checkPage("comparison");
});

test("a policy is created and its effect estimated", async () => {
  await page.goto(`${BASE_URL}/policies`);
  await page.fill("input[name=policy-name]", "ブラウザテストの施策");
  await page.fill("input[name=start-period]", "2016");
  await page.getByRole("button", { name: "登録", exact: true }).click();
  await page.locator(".policies li", { hasText: "ブラウザテストの施策" }).waitFor(DEADLINE);
  await page.locator("td.did").first().waitFor(DEADLINE);
  assert.match(await page.locator("td.did").first().textContent(), /^-?[\d,]+(\.\d+)?$/);
  await page.locator("canvas[aria-label^=対象地域]").waitFor(DEADLINE);
  // The chart draws the series the effect answer serves: treated, its two counterfactuals (the
  // comparison's, the pre-period trend's) and the comparison, over the same labelled periods.
  const served = await page.evaluate(async () => {
    const { access } = JSON.parse(localStorage.getItem("chiiki.session"));
    const headers = { Authorization: `Bearer ${access}` };
    const { items } = await (await fetch("/api/analytics/policies?mine=true", { headers })).json();
    const id = items.find((p) => p.name === "ブラウザテストの施策").id;
    return (await fetch(`/api/analytics/policies/${id}/effect`, { headers })).json();
  });
  const { series } = served.indicators[0];
  assert.equal(series.treated_observed.points[0].period, "FY2009");
  assert.equal(series.treated_observed.label, "東京都（実績）");
  const drawn = JSON.parse(await page.locator(".chart[data-drawn]").getAttribute("data-drawn"));
  const values = (s) => s.points.map((p) => p.value);
  assert.deepEqual(drawn, [
    values(series.treated_observed),
    values(series.counterfactual_comparison),
    values(series.counterfactual_trend),
    values(series.comparison_observed),
  ]);
  assert.equal(series.treated_observed.points.at(-1).value, 14047594);
  await checkPage("policies");
});

test("an expired access token is refreshed without the user noticing", async () => {
  const before = await page.evaluate(() => JSON.parse(localStorage.getItem("chiiki.session")));
  await page.evaluate(() => {
    const session = JSON.parse(localStorage.getItem("chiiki.session"));
    localStorage.setItem("chiiki.session", JSON.stringify({ ...session, expiresAt: Date.now() - 1000 }));
  });
  await page.goto(`${BASE_URL}/?region=13000`);
  await page.locator('.kpi[data-indicator="population.total"] .number', { hasText: "14,047,594" }).waitFor(DEADLINE);
  const afterwards = await page.evaluate(() => JSON.parse(localStorage.getItem("chiiki.session")));
  assert.notEqual(afterwards.refresh, before.refresh);
  assert.ok(afterwards.expiresAt > Date.now());
  assert.equal(new URL(page.url()).pathname, "/");
});

test("a refused access token is refreshed once and the request retried", async () => {
  const { page: other, errors: otherErrors } = await openPage(context);
  await other.goto(`${BASE_URL}/login`);
  await other.evaluate(() => {
    const session = JSON.parse(localStorage.getItem("chiiki.session"));
    localStorage.setItem("chiiki.session", JSON.stringify({ ...session, access: "not-a-token" }));
  });
  await other.goto(`${BASE_URL}/?region=13000`);
  await other.locator('.kpi[data-indicator="population.total"] .number', { hasText: "14,047,594" }).waitFor(DEADLINE);
  // Only the refused requests themselves may show in the console.
  assert.deepEqual(otherErrors.filter((e) => !/status of 401|^401 /.test(e)), []);
  await other.close();
});

test("logout ends the session: the refresh token is refused afterwards", async () => {
  const { refresh } = await page.evaluate(() => JSON.parse(localStorage.getItem("chiiki.session")));
  await page.getByRole("button", { name: "ログアウト" }).click();
  await page.waitForURL(`${BASE_URL}/login`);
  assert.equal(await page.evaluate(() => localStorage.getItem("chiiki.session")), null);
  const response = await page.request.post(`${BASE_URL}/api/auth/refresh`, { data: { refresh_token: refresh } });
  assert.equal(response.status(), 401);
  await page.goto(`${BASE_URL}/map`);
  await page.waitForURL(/\/login/);
  await screenshot(page, "login");
});

test("no console errors on any page", () => {
  assert.deepEqual(errors, []);
});
