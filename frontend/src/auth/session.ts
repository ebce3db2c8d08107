// The signed-in session: the token pair, refreshed before the access token expires and once
// after a 401, with one refresh at a time across every tab of the origin (Web Locks): the auth
// service revokes the whole session when a spent refresh token is presented again.
// Where the refresh token lives and why: frontend/README.md.
import createClient from "openapi-fetch";
import { ref } from "vue";
import type { components, paths } from "../api/generated/auth";
import { ApiError, unwrap } from "../api/problem";

type TokenResponse = components["schemas"]["TokenResponse"];

export interface Session {
  access: string;
  refresh: string;
  expiresAt: number; // ms since the epoch
}

const STORAGE_KEY = "chiiki.session";
const LOCK_NAME = "chiiki-token-refresh";
const REFRESH_EARLY_MS = 60_000;

// Token calls go without the authorising fetch below (no recursion through refresh).
const tokenApi = createClient<paths>({ baseUrl: location.origin });

export const signedIn = ref(readSession() !== null);

export function readSession(): Session | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

function writeSession(session: Session | null): void {
  if (session) localStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  else localStorage.removeItem(STORAGE_KEY);
  signedIn.value = session !== null;
}

// Another tab logged in, refreshed or logged out.
window.addEventListener("storage", (event) => {
  if (event.key === STORAGE_KEY) signedIn.value = event.newValue !== null;
});

function fromTokens(tokens: TokenResponse): Session {
  return {
    access: tokens.access_token,
    refresh: tokens.refresh_token,
    expiresAt: Date.now() + tokens.expires_in * 1000,
  };
}

function exclusively<T>(work: () => Promise<T>): Promise<T> {
  if ("locks" in navigator) return navigator.locks.request(LOCK_NAME, work) as Promise<T>;
  return work();
}

// Spends `spent` unless another tab (or call) already did: then its successor is used.
async function refreshFrom(spent: string): Promise<Session | null> {
  return exclusively(async () => {
    const current = readSession();
    if (!current || current.refresh !== spent) return current;
    const { data, response } = await tokenApi.POST("/api/auth/refresh", {
      body: { refresh_token: spent },
    });
    if (!data) {
      if (response.status === 401) writeSession(null); // the session is over
      return response.status === 401 ? null : current;
    }
    const next = fromTokens(data);
    writeSession(next);
    return next;
  });
}

export async function accessToken(): Promise<string | null> {
  const session = readSession();
  if (!session) return null;
  if (session.expiresAt - Date.now() > REFRESH_EARLY_MS) return session.access;
  return (await refreshFrom(session.refresh))?.access ?? null;
}

async function tokenAfterUnauthorized(refused: string): Promise<string | null> {
  const session = readSession();
  if (!session) return null;
  if (session.access !== refused) return session.access;
  return (await refreshFrom(session.refresh))?.access ?? null;
}

// The fetch every API client uses: bearer token, and one retry after a refresh on a 401.
export async function authorisedFetch(request: Request): Promise<Response> {
  const retry = request.clone();
  const token = await accessToken();
  if (token) request.headers.set("Authorization", `Bearer ${token}`);
  const response = await fetch(request);
  if (response.status !== 401 || !token) return response;
  const renewed = await tokenAfterUnauthorized(token);
  if (!renewed || renewed === token) {
    writeSession(null);
    return response;
  }
  retry.headers.set("Authorization", `Bearer ${renewed}`);
  return fetch(retry);
}

export async function login(email: string, password: string): Promise<void> {
  const tokens = await unwrap<TokenResponse>(
    tokenApi.POST("/api/auth/login", { body: { email, password } }),
  );
  writeSession(fromTokens(tokens));
}

export async function register(email: string, password: string, displayName: string) {
  await unwrap(
    tokenApi.POST("/api/auth/register", {
      body: { email, password, display_name: displayName },
    }),
  );
  await login(email, password);
}

export async function logout(): Promise<void> {
  const token = await accessToken().catch(() => null);
  writeSession(null);
  if (!token) return;
  const { response } = await tokenApi.POST("/api/auth/logout", {
    headers: { Authorization: `Bearer ${token}` },
  });
  if (!response.ok && response.status !== 401) throw new ApiError(response.status, undefined);
}

// Refresh ahead of expiry in the background, so a page's first request never waits for it.
export function keepFresh(intervalMs = 20_000): () => void {
  const timer = window.setInterval(() => void accessToken().catch(() => undefined), intervalMs);
  return () => window.clearInterval(timer);
}
