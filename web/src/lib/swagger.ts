// Loads Swagger UI (served by the web function under a hashed name, named by
// the page's data-swagger-script) once, on demand.
interface SwaggerUi {
  (options: Record<string, unknown>): unknown;
}

let loading: Promise<SwaggerUi> | undefined;

export function loadSwaggerUi(): Promise<SwaggerUi> {
  loading ??= new Promise<SwaggerUi>((resolve, reject) => {
    const { swaggerScript, swaggerStyle } = document.documentElement.dataset;
    if (!swaggerScript) {
      reject(new Error('Swagger UI is not part of this build'));
      return;
    }
    if (swaggerStyle) {
      const link = document.createElement('link');
      link.rel = 'stylesheet';
      link.href = swaggerStyle;
      document.head.appendChild(link);
    }
    const script = document.createElement('script');
    script.src = swaggerScript;
    script.onload = () => resolve((window as unknown as { SwaggerUIBundle: SwaggerUi }).SwaggerUIBundle);
    script.onerror = () => reject(new Error('Swagger UI could not be loaded'));
    document.head.appendChild(script);
  });
  return loading;
}

/**
 * Swagger UI leaves a few gaps axe reports: the servers <select> has no name
 * and scrollable code blocks take no focus. Fixed on every render.
 */
export function mendAccessibility(host: HTMLElement): () => void {
  const mend = () => {
    for (const select of host.querySelectorAll<HTMLSelectElement>('select:not([aria-label])')) {
      select.setAttribute('aria-label', select.id === 'servers' || select.closest('.servers') ? 'Server' : (select.closest('label')?.textContent?.trim() || 'Choice'));
    }
    for (const block of host.querySelectorAll<HTMLElement>('pre:not([tabindex]), .curl:not([tabindex]), .highlight-code:not([tabindex])')) {
      block.tabIndex = 0;
    }
  };
  const observer = new MutationObserver(mend);
  observer.observe(host, { childList: true, subtree: true });
  mend();
  return () => observer.disconnect();
}
