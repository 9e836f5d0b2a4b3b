// Apigee bundles written in tests: XML strings zipped with fflate, the way
// Apigee's tools lay them out (apiproxy/<name>.xml, proxies/, targets/, policies/).
import { strToU8, zipSync, type Zippable } from 'fflate';

export type BundleFiles = Record<string, string | Uint8Array>;

/** Zips `files` (paths relative to the zip root) with fflate. */
export function zip(files: BundleFiles, level: 0 | 6 | 9 = 6): Buffer {
  const tree: Zippable = {};
  for (const [path, content] of Object.entries(files)) tree[path] = [typeof content === 'string' ? strToU8(content) : content, { level }];
  return Buffer.from(zipSync(tree));
}

/** A bundle: `proxies`, `targets`, `policies` map file names (without .xml) to XML; paths are put under apiproxy/. */
export function bundle(
  name: string,
  parts: { proxies: Record<string, string>; targets?: Record<string, string>; policies?: Record<string, string>; resources?: Record<string, string>; descriptor?: string },
): Buffer {
  const files: BundleFiles = {};
  files[`apiproxy/${name}.xml`] =
    parts.descriptor ??
    `<?xml version="1.0" encoding="UTF-8"?>
<APIProxy name="${name}" revision="1">
  <DisplayName>${name}</DisplayName>
  <Policies>${Object.keys(parts.policies ?? {}).map((p) => `<Policy>${p}</Policy>`).join('')}</Policies>
</APIProxy>`;
  for (const [file, xml] of Object.entries(parts.proxies)) files[`apiproxy/proxies/${file}.xml`] = xml;
  for (const [file, xml] of Object.entries(parts.targets ?? {})) files[`apiproxy/targets/${file}.xml`] = xml;
  for (const [file, xml] of Object.entries(parts.policies ?? {})) files[`apiproxy/policies/${file}.xml`] = xml;
  for (const [file, content] of Object.entries(parts.resources ?? {})) files[`apiproxy/resources/${file}`] = content;
  return zip(files);
}

const steps = (names: (string | [string, string])[]) =>
  names
    .map((step) => (Array.isArray(step) ? `<Step><Name>${step[0]}</Name><Condition>${step[1]}</Condition></Step>` : `<Step><Name>${step}</Name></Step>`))
    .join('');

/** A proxy endpoint with PreFlow request/response steps and the given route rules (default: to target `default`). */
export function proxyEndpoint(options: {
  name?: string;
  basePath: string;
  request?: (string | [string, string])[];
  response?: (string | [string, string])[];
  flows?: string;
  faultRules?: string;
  defaultFaultRule?: string;
  routeRules?: string;
  /** HTTPProxyConnection/VirtualHost names (`default`). */
  virtualHosts?: string[];
}): string {
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<ProxyEndpoint name="${options.name ?? 'default'}">
  <Description/>
  <FaultRules>${options.faultRules ?? ''}</FaultRules>
  ${options.defaultFaultRule ?? ''}
  <PreFlow name="PreFlow">
    <Request>${steps(options.request ?? [])}</Request>
    <Response>${steps(options.response ?? [])}</Response>
  </PreFlow>
  <Flows>${options.flows ?? ''}</Flows>
  <PostFlow name="PostFlow"><Request/><Response/></PostFlow>
  <HTTPProxyConnection>
    <BasePath>${options.basePath}</BasePath>
    <Properties/>
    ${(options.virtualHosts ?? ['default']).map((host) => `<VirtualHost>${host}</VirtualHost>`).join('')}
  </HTTPProxyConnection>
  ${options.routeRules ?? '<RouteRule name="default"><TargetEndpoint>default</TargetEndpoint></RouteRule>'}
</ProxyEndpoint>`;
}

export function targetEndpoint(url: string, options: { name?: string; request?: (string | [string, string])[]; response?: (string | [string, string])[]; extra?: string } = {}): string {
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<TargetEndpoint name="${options.name ?? 'default'}">
  <PreFlow name="PreFlow">
    <Request>${steps(options.request ?? [])}</Request>
    <Response>${steps(options.response ?? [])}</Response>
  </PreFlow>
  <HTTPTargetConnection>
    <Properties>
      <Property name="connect.timeout.millis">2000</Property>
      <Property name="io.timeout.millis">10000</Property>
    </Properties>
    <URL>${url}</URL>
  </HTTPTargetConnection>
  ${options.extra ?? ''}
</TargetEndpoint>`;
}
