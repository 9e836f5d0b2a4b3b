/** Where an environment's proxies are served: TOLLGATE_RUNTIME_URLS (data-runtime-urls), else this origin. */
export function runtimeUrl(env: string): string {
  const urls = document.documentElement.dataset.runtimeUrls;
  if (urls) {
    try {
      const value = (JSON.parse(urls) as Record<string, string>)[env];
      if (value) return value;
    } catch {
      // not JSON: this origin
    }
  }
  return location.origin;
}
