// Japanese by default, English on request; labels from the data come as name_ja / name_en.
import { ref } from "vue";

export type Lang = "ja" | "en";
const saved = localStorage.getItem("chiiki.lang");
export const lang = ref<Lang>(saved === "en" ? "en" : "ja");

export function setLang(next: Lang): void {
  lang.value = next;
  localStorage.setItem("chiiki.lang", next);
  document.documentElement.lang = next;
}
document.documentElement.lang = lang.value;

const messages = {
  appName: ["地域統計ダッシュボード", "Regional statistics dashboard"],
  dashboard: ["ダッシュボード", "Dashboard"],
  map: ["地図", "Map"],
  livability: ["住みやすさ", "Livability"],
  population: ["人口", "Population"],
  comparison: ["比較", "Comparison"],
  policy: ["施策", "Policies"],
  login: ["ログイン", "Log in"],
  logout: ["ログアウト", "Log out"],
  register: ["新規登録", "Register"],
  email: ["メールアドレス", "Email"],
  password: ["パスワード", "Password"],
  displayName: ["表示名", "Display name"],
  haveAccount: ["アカウントをお持ちの方", "I have an account"],
  newAccount: ["アカウントを作成", "Create an account"],
  loading: ["読み込み中…", "Loading…"],
  empty: ["データがありません", "No data"],
  retry: ["再試行", "Retry"],
  region: ["地域", "Region"],
  searchRegion: ["地域を検索（漢字・かな・ローマ字）", "Search a region (kanji, kana, romaji)"],
  latest: ["最新値", "Latest"],
  change: ["前年比", "Change"],
  rank: ["順位", "Rank"],
  of: ["位 / ", " of "],
  indicator: ["指標", "Indicator"],
  level: ["地域区分", "Level"],
  prefectures: ["都道府県", "Prefectures"],
  municipalities: ["市区町村", "Municipalities"],
  legend: ["凡例", "Legend"],
  noValue: ["値なし", "No value"],
  weights: ["重み", "Weights"],
  ranking: ["ランキング", "Ranking"],
  breakdown: ["内訳", "Breakdown"],
  score: ["スコア", "Score"],
  saved: ["保存しました", "Saved"],
  saveWeights: ["重みを保存", "Save weights"],
  resetWeights: ["初期値に戻す", "Reset"],
  ageTrend: ["年齢3区分別人口の推移", "Population by age group"],
  pyramid: ["人口ピラミッド（全国）", "Population pyramid (Japan)"],
  censusYear: ["国勢調査年", "Census year"],
  forecast: ["将来予測（80%・95%区間）", "Forecast (80% and 95% intervals)"],
  history: ["実績", "History"],
  prediction: ["予測", "Forecast"],
  interval80: ["80%区間", "80% interval"],
  interval95: ["95%区間", "95% interval"],
  regions: ["地域", "Regions"],
  indicators: ["指標", "Indicators"],
  add: ["追加", "Add"],
  remove: ["削除", "Remove"],
  myPolicies: ["登録した施策", "Your policies"],
  newPolicy: ["施策を登録", "New policy"],
  name: ["名称", "Name"],
  startYear: ["開始年", "Start year"],
  description: ["説明", "Description"],
  create: ["登録", "Create"],
  effect: ["推定効果", "Estimated effect"],
  treated: ["対象地域", "Treated"],
  comparisonGroup: ["比較地域（平均）", "Comparison (mean)"],
  estimate: ["推定値", "Estimate"],
  sources: ["出典", "Sources"],
  language: ["言語", "Language"],
  nav: ["メインメニュー", "Main menu"],
  showEffect: ["効果を見る", "Show effect"],
  itsLevel: ["水準変化（ITS）", "Level change (ITS)"],
  did: ["差の差（DiD）", "Difference-in-differences"],
  interval: ["95%区間", "95% interval"],
} as const;

export type MessageKey = keyof typeof messages;

export function t(key: MessageKey): string {
  return messages[key][lang.value === "ja" ? 0 : 1];
}

export function named(item: { name_ja?: string | null; name_en?: string | null }): string {
  return (lang.value === "en" ? item.name_en : item.name_ja) ?? item.name_ja ?? "";
}

export function unitOf(item: { unit?: string | null; unit_en?: string | null }): string {
  return (lang.value === "en" ? item.unit_en : item.unit) ?? item.unit ?? "";
}

// The catalog's indicator categories (stats' indicators.yaml), for grouping them in menus.
const categories: Record<string, [string, string]> = {
  population: ["人口", "Population"],
  land: ["国土", "Land"],
  vital: ["人口動態", "Births and deaths"],
  migration: ["人口移動", "Migration"],
  labour: ["労働", "Labour"],
  economy: ["経済", "Economy"],
  tourism: ["観光", "Tourism"],
  health: ["保健・医療", "Health"],
  education: ["教育", "Education"],
  welfare: ["福祉", "Welfare"],
  housing: ["住宅", "Housing"],
  environment: ["環境", "Environment"],
  climate: ["気候", "Climate"],
  spending: ["家計", "Household spending"],
};

export function categoryName(code: string): string {
  const names = categories[code];
  return names ? names[lang.value === "ja" ? 0 : 1] : code;
}
