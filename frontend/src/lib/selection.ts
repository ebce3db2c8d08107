// The region the pages look at, kept in the URL (?region=) so a link or a map click opens it.
import { computed } from "vue";
import { useRoute, useRouter } from "vue-router";

export const DEFAULT_REGION = "13000";

export function useRegion() {
  const route = useRoute();
  const router = useRouter();
  return computed({
    get: () => (typeof route.query.region === "string" ? route.query.region : DEFAULT_REGION),
    set: (code: string) => void router.replace({ query: { ...route.query, region: code } }),
  });
}
