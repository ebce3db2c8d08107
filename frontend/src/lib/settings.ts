// The user's saved dashboard settings (auth's /me/settings: one versioned JSON document).
import { reactive } from "vue";
import { authApi } from "../api/client";
import { unwrap } from "../api/problem";
import type { components, JsonValue } from "../api/generated/auth";

type SettingsRead = components["schemas"]["SettingsRead"];

export const settings = reactive<{ version: number; values: Record<string, JsonValue> }>({ version: 0, values: {} });

export async function restoreSettings(): Promise<void> {
  const answer = await unwrap<SettingsRead>(authApi.GET("/api/auth/me/settings"));
  settings.version = answer.version;
  settings.values = { ...(answer.settings as Record<string, JsonValue>) };
}

// Saves one key; on 409 (saved elsewhere meanwhile) re-reads and applies the change again once.
export async function saveSetting(key: string, value: JsonValue): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const next = { ...settings.values, [key]: value };
    const { data, response } = await authApi.PUT("/api/auth/me/settings", {
      body: { version: settings.version, settings: next },
    });
    if (data) {
      settings.version = data.version;
      settings.values = { ...(data.settings as Record<string, JsonValue>) };
      return;
    }
    if (response.status !== 409) throw new Error(`HTTP ${response.status}`);
    await restoreSettings();
  }
  throw new Error("settings changed elsewhere");
}
