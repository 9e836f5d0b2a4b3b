// API Docs of one connector instance: the element's OpenAPI document
// (GET /elements/api-v2/elements/{key}/docs) in Swagger UI, with Try it out
// sending real resource calls with this instance's Element token.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, enc } from '../lib/api.js';
import { currentSession } from '../lib/session.js';
import { loadSwaggerUi, mendAccessibility } from '../lib/swagger.js';
import { ErrorAlert, Loading, Notice, PageHeader, useLoad } from '../lib/ui.js';
import { BASE } from './base.js';
import { withPlatformCredentials, type Instance } from './connectors.js';

interface SwaggerDocument {
  paths?: Record<string, Record<string, { parameters?: { in: string; name: string }[] }>>;
}

/** The console sends the instance's Authorization header itself: Try it out does not ask for it. */
function withoutAuthorizationParameter(spec: SwaggerDocument): SwaggerDocument {
  for (const operations of Object.values(spec.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      operation.parameters = operation.parameters?.filter((parameter) => !(parameter.in === 'header' && parameter.name.toLowerCase() === 'authorization'));
    }
  }
  return spec;
}

function InstanceDocs({ params }: { params: Record<string, string> }) {
  const instance = useLoad(() => api<Instance>('GET', `/elements/api-v2/instances/${enc(params.id!)}`), [params.id]);
  const host = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string>();
  const data = instance.data;
  useEffect(() => {
    if (!data || !host.current) return;
    let live = true;
    const unmend = mendAccessibility(host.current);
    Promise.all([loadSwaggerUi(), api<SwaggerDocument>('GET', `/elements/api-v2/instances/${enc(String(data.id))}/docs`)]).then(
      ([SwaggerUIBundle, spec]) => {
        if (!live || !host.current) return;
        const authorization = `${currentSession()?.authorization ?? ''}, Element ${data.token}`;
        SwaggerUIBundle({
          spec: withoutAuthorizationParameter(spec),
          domNode: host.current,
          docExpansion: 'list',
          // Its highlighter's colours fail AA contrast; plain text reads as well.
          syntaxHighlight: false,
          defaultModelsExpandDepth: -1,
          // Every call carries the platform header with this instance's token.
          requestInterceptor: (request: { headers: Record<string, string> }) => {
            request.headers.Authorization = authorization;
            return request;
          },
        });
      },
      (caught: Error) => setError(caught.message),
    );
    return () => {
      live = false;
      unmend();
    };
  }, [data]);
  if (!data) return instance.error ? <ErrorAlert error={instance.error} /> : <Loading />;
  return (
    <>
      <PageHeader title={`API Docs: ${data.name}`}>
        <a class="button" href={`${BASE}/connectors?element=${enc(data.element.key)}`}>
          Back to {data.element.name ?? data.element.key}
        </a>
      </PageHeader>
      <Notice>
        Instance {data.id} of {data.element.name ?? data.element.key}. Try it out sends real calls to the vendor with this instance's Element token.
      </Notice>
      {error ? <Notice kind="error">{error}</Notice> : null}
      <div ref={host} class="swagger-host" />
    </>
  );
}

export const InstanceDocsPage = withPlatformCredentials(InstanceDocs);
