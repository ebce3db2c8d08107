// How long a signed-in user waits for the dashboard's KPI cards: from the start of the page's
// navigation to the moment Tokyo's population number is in the page (a MutationObserver set
// before any of the app's scripts runs records it). "cold": a fresh browser profile (no HTTP
// cache, the session restored from storage); "warm": the same page loaded again (hashed assets
// from the cache, index.html and the API revalidated). Prints one JSON object.
import { BASE_URL, launch, login, newUser, openPage, register } from "../tests/browser/support.mjs";

const RUNS = Number(process.env.RUNS ?? 5);
// Issue 10's budget: the KPI cards visible within 1.5 s of a cold first load. Reported, never
// enforced: a benchmark on a shared machine is not a test.
const BUDGET_MS = 1500;
const VIEWPORT = { width: 1280, height: 900 };
const CARD = '.kpi[data-indicator="population.total"] .number';

function markKpi(selector) {
  const seen = () => {
    if (document.querySelector(selector)?.textContent?.trim()) {
      window.__kpiAt = performance.now();
      return true;
    }
    return false;
  };
  new MutationObserver((_, observer) => seen() && observer.disconnect()).observe(document, {
    childList: true,
    subtree: true,
    characterData: true,
  });
}

async function timedLoad(page) {
  await page.goto(`${BASE_URL}/`);
  await page.waitForFunction(() => typeof window.__kpiAt === "number", null, { timeout: 60_000 });
  return page.evaluate(() => window.__kpiAt);
}

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { runs: sorted.length, p50_ms: Math.round(at(0.5)), max_ms: Math.round(at(1)), all_ms: values.map(Math.round) };
}

const browser = await launch();
const user = newUser();
try {
  const signup = await browser.newContext({ viewport: VIEWPORT, locale: "ja-JP" });
  await register((await openPage(signup)).page, user);
  await signup.close();
  const cold = [];
  const warm = [];
  for (let run = 0; run < RUNS; run++) {
    const context = await browser.newContext({ viewport: VIEWPORT, locale: "ja-JP" });
    const { page } = await openPage(context);
    await login(page, user); // the session now lives in this profile's storage
    const fresh = await browser.newContext({ viewport: VIEWPORT, locale: "ja-JP", storageState: await context.storageState() });
    await context.close();
    const timed = (await openPage(fresh)).page;
    await timed.addInitScript(markKpi, CARD);
    cold.push(await timedLoad(timed));
    warm.push(await timedLoad(timed));
    await fresh.close();
  }
  const coldSummary = summary(cold);
  const budget = { cold_p50_ms: BUDGET_MS, met: coldSummary.p50_ms <= BUDGET_MS };
  console.log(JSON.stringify({ url: BASE_URL, cold: coldSummary, warm: summary(warm), budget }));
} finally {
  await browser.close();
}
