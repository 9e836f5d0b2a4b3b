// XMLToJSON and JSONToXML with Apigee's options, and their XML codecs.
import { describe, expect, it } from 'vitest';
import { jsonToXmlPolicy } from '../../../shared/gateway/policies/json-to-xml.js';
import { xmlToJsonPolicy } from '../../../shared/gateway/policies/xml-to-json.js';
import { exchangeFor, runPolicy, xmlRoundTrip } from '../../support/policy-context.js';
import { Message, HeaderMap } from '../../../shared/gateway/engine/message.js';

function withResponse(body: string, type: string) {
  const exchange = exchangeFor();
  exchange.response = new Message({ status: 200, headers: new HeaderMap({ 'content-type': type }), body: Buffer.from(body) });
  exchange.phase = 'response';
  exchange.hasResponse = true;
  return exchange;
}

describe('XMLToJSON', () => {
  it('reads every option', () => {
    const config = xmlRoundTrip(
      xmlToJsonPolicy,
      `<Source>response</Source><OutputVariable>response</OutputVariable><Options><RecognizeNumber>true</RecognizeNumber><RecognizeBoolean>true</RecognizeBoolean><RecognizeNull>true</RecognizeNull>
       <NullValue>NULL</NullValue><NamespaceBlockName>#namespaces</NamespaceBlockName><DefaultNamespaceNodeName>&amp;</DefaultNamespaceNodeName><NamespaceSeparator>***</NamespaceSeparator>
       <TextAlwaysAsProperty>true</TextAlwaysAsProperty><TextNodeName>TEXT</TextNodeName><AttributeBlockName>FOO_BLOCK</AttributeBlockName><AttributePrefix>BAR_</AttributePrefix>
       <OutputPrefix>PREFIX_</OutputPrefix><OutputSuffix>_SUFFIX</OutputSuffix><StripLevels>2</StripLevels><TreatAsArray><Path unwrap="true">a/b/c</Path></TreatAsArray></Options>`,
    );
    expect(config.options).toMatchObject({ recognizeNumber: true, namespaceSeparator: '***', stripLevels: 2, treatAsArray: [{ path: 'a/b/c', unwrap: true }] });
  });

  it("converts the xmltojson sample's response as its README shows", async () => {
    const exchange = withResponse('<root><city>San Jose</city><firstName>John</firstName><lastName>Doe</lastName><state>CA</state></root>', 'application/xml');
    await runPolicy(xmlToJsonPolicy, { source: 'response', outputVariable: 'response' }, { exchange });
    expect(exchange.response.content).toBe('{"root":{"city":"San Jose","firstName":"John","lastName":"Doe","state":"CA"}}');
    expect(exchange.response.headers.get('content-type')).toBe('application/json');
  });

  it('recognizes numbers and booleans, groups repeated elements, and treats listed paths as arrays', async () => {
    const xml = '<a x="1"><n>5</n><b>true</b><item>1</item><item>2</item><one><v>z</v></one></a>';
    const exchange = withResponse(xml, 'text/xml');
    await runPolicy(xmlToJsonPolicy, { options: { recognizeNumber: true, recognizeBoolean: true, attributePrefix: '@', treatAsArray: [{ path: 'a/one/v' }] } }, { exchange });
    expect(JSON.parse(exchange.response.content)).toEqual({ a: { '@x': 1, n: 5, b: true, item: [1, 2], one: { v: ['z'] } } });
  });

  it('faults on a payload that is not XML', async () => {
    const { fault } = await runPolicy(xmlToJsonPolicy, {}, { exchange: withResponse('<a><b></a>', 'application/xml') });
    expect(fault).toMatchObject({ status: 500, errorCode: 'steps.xml2json.ExecutionFailed' });
  });
});

describe('JSONToXML', () => {
  it('reads every option', () => {
    const config = xmlRoundTrip(
      jsonToXmlPolicy,
      `<Source>request</Source><OutputVariable>request</OutputVariable><Options><OmitXmlDeclaration>true</OmitXmlDeclaration><AttributeBlockName>#attrs</AttributeBlockName><AttributePrefix>@</AttributePrefix>
       <ObjectRootElementName>Root</ObjectRootElementName><ArrayRootElementName>Array</ArrayRootElementName><ArrayItemElementName>Item</ArrayItemElementName><Indent>false</Indent><TextNodeName>#text</TextNodeName><NullValue>I_AM_NULL</NullValue><InvalidCharsReplacement>_</InvalidCharsReplacement></Options>`,
    );
    expect(config.options).toMatchObject({ omitXmlDeclaration: true, attributePrefix: '@', nullValue: 'I_AM_NULL' });
  });

  it('converts objects, arrays, attributes, text and nulls', async () => {
    const exchange = exchangeFor({ verb: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ order: { '@id': 7, line: ['pens', 'ink'], note: null, total: { '#text': 12.5, '@currency': 'EUR' } } }) });
    await runPolicy(jsonToXmlPolicy, { options: { attributePrefix: '@', textNodeName: '#text', nullValue: 'NULL' } }, { exchange });
    expect(exchange.request.content).toBe('<?xml version="1.0" encoding="UTF-8"?><order id="7"><line>pens</line><line>ink</line><note>NULL</note><total currency="EUR">12.5</total></order>');
    expect(exchange.request.headers.get('content-type')).toBe('application/xml');
    const array = exchangeFor({ verb: 'POST', headers: { 'content-type': 'application/json' }, body: '[1,{"a":"<&>"}]' });
    await runPolicy(jsonToXmlPolicy, { options: { omitXmlDeclaration: true } }, { exchange: array });
    expect(array.request.content).toBe('<Array><Item>1</Item><Item><a>&lt;&amp;&gt;</a></Item></Array>');
  });
});
