// One request's state for a page: loading, its data, or its error; reruns when `source` changes.
import { ref, shallowRef, watch, type Ref, type WatchSource } from "vue";

export interface Request<T> {
  data: Ref<T | null>;
  error: Ref<string | null>;
  loading: Ref<boolean>;
  reload: () => Promise<void>;
}

export function useRequest<T>(load: () => Promise<T | null>, source: WatchSource): Request<T> {
  const data = shallowRef<T | null>(null) as Ref<T | null>;
  const error = ref<string | null>(null);
  const loading = ref(false);
  let generation = 0;
  async function reload(): Promise<void> {
    const mine = ++generation;
    loading.value = true;
    error.value = null;
    try {
      const result = await load();
      if (mine === generation) data.value = result;
    } catch (failure) {
      if (mine === generation) error.value = failure instanceof Error ? failure.message : String(failure);
    } finally {
      if (mine === generation) loading.value = false;
    }
  }
  watch(source, () => void reload(), { immediate: true, deep: true });
  return { data, error, loading, reload };
}
