// The policy palette: Apigee's XML template for each policy type Tollgate
// runs, as the Apigee Edge and SAP API Management editors insert them.
export interface PolicyTemplate {
  type: string;
  label: string;
  category: 'Traffic management' | 'Security' | 'Mediation' | 'Extension';
  body: string;
}

const T = (type: string, label: string, category: PolicyTemplate['category'], body: string): PolicyTemplate => ({ type, label, category, body });

export const POLICY_TEMPLATES: PolicyTemplate[] = [
  T('SpikeArrest', 'Spike Arrest', 'Traffic management', `
    <Rate>30ps</Rate>`),
  T('Quota', 'Quota', 'Traffic management', `
    <Allow count="2000"/>
    <Interval>1</Interval>
    <TimeUnit>month</TimeUnit>
    <Distributed>true</Distributed>
    <Synchronous>true</Synchronous>`),
  T('VerifyAPIKey', 'Verify API Key', 'Security', `
    <APIKey ref="request.queryparam.apikey"/>`),
  T('OAuthV2', 'OAuth v2.0', 'Security', `
    <ExternalAuthorization>false</ExternalAuthorization>
    <Operation>VerifyAccessToken</Operation>
    <SupportedGrantTypes>
        <GrantType>client_credentials</GrantType>
    </SupportedGrantTypes>
    <GenerateResponse enabled="true"/>`),
  T('BasicAuthentication', 'Basic Authentication', 'Security', `
    <Operation>Decode</Operation>
    <IgnoreUnresolvedVariables>false</IgnoreUnresolvedVariables>
    <User ref="request.header.username"/>
    <Password ref="request.header.password"/>
    <Source>request.header.Authorization</Source>`),
  T('JSONThreatProtection', 'JSON Threat Protection', 'Security', `
    <ArrayElementCount>20</ArrayElementCount>
    <ContainerDepth>10</ContainerDepth>
    <ObjectEntryCount>15</ObjectEntryCount>
    <ObjectEntryNameLength>50</ObjectEntryNameLength>
    <Source>request</Source>
    <StringValueLength>500</StringValueLength>`),
  T('CORS', 'CORS', 'Security', `
    <AllowOrigins>{request.header.origin}</AllowOrigins>
    <AllowMethods>GET, PUT, POST, DELETE</AllowMethods>
    <AllowHeaders>origin, x-requested-with, accept, content-type</AllowHeaders>
    <ExposeHeaders>*</ExposeHeaders>
    <MaxAge>3628800</MaxAge>
    <AllowCredentials>false</AllowCredentials>
    <GeneratePreflightResponse>true</GeneratePreflightResponse>
    <IgnoreUnresolvedVariables>true</IgnoreUnresolvedVariables>`),
  T('AssignMessage', 'Assign Message', 'Mediation', `
    <Set>
        <Headers>
            <Header name="x-example">value</Header>
        </Headers>
    </Set>
    <IgnoreUnresolvedVariables>true</IgnoreUnresolvedVariables>
    <AssignTo createNew="false" transport="http" type="request"/>`),
  T('ExtractVariables', 'Extract Variables', 'Mediation', `
    <Source>request</Source>
    <QueryParam name="code">
        <Pattern ignoreCase="true">DBN{dbncode}</Pattern>
    </QueryParam>
    <VariablePrefix>queryinfo</VariablePrefix>
    <IgnoreUnresolvedVariables>true</IgnoreUnresolvedVariables>`),
  T('RaiseFault', 'Raise Fault', 'Mediation', `
    <FaultResponse>
        <Set>
            <Payload contentType="application/json">{"error":"request failed"}</Payload>
            <StatusCode>500</StatusCode>
            <ReasonPhrase>Server Error</ReasonPhrase>
        </Set>
    </FaultResponse>
    <IgnoreUnresolvedVariables>true</IgnoreUnresolvedVariables>`),
  T('StatisticsCollector', 'Statistics Collector', 'Extension', `
    <Statistics>
        <Statistic name="productID" ref="product.id" type="string">unknown</Statistic>
        <Statistic name="price" ref="product.price" type="float">0</Statistic>
    </Statistics>`),
  T('KeyValueMapOperations', 'Key Value Map Operations', 'Extension', `
    <Scope>environment</Scope>
    <Get assignTo="kvm.value">
        <Key>
            <Parameter>key</Parameter>
        </Key>
    </Get>`),
  T('OpenConnectors', 'Open Connectors', 'Extension', `
    <InstanceTokenMap>apim.oc.instance.token</InstanceTokenMap>
    <InstanceTokenKey>default</InstanceTokenKey>`),
];

const ATTRIBUTES: Record<string, string> = {
  KeyValueMapOperations: ' mapIdentifier="kvm-name"',
};

export function policyXml(template: PolicyTemplate, name: string): string {
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<${template.type} async="false" continueOnError="false" enabled="true" name="${name}"${ATTRIBUTES[template.type] ?? ''}>
    <DisplayName>${name}</DisplayName>${template.body}
</${template.type}>
`;
}
