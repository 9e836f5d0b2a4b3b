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
