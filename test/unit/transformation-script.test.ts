// Transformation scripts as Open Connectors documents them (the function of
// originalObject, transformedObject, fromVendor and done, in strict mode),
// and its CE helper library, which formula script steps share.
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runTransformationScript } from '../../shared/connectors/unified/transformation-script.js';
import { script } from '../../shared/formulas/steps.js';

const where = { organization: 'acme', element: 'hubspot', object: 'myContacts' };
const items = [
  { original: { properties: { firstname: 'Ada', lastname: 'Lovelace' } }, transformed: { first: 'Ada', last: 'Lovelace' } },
  { original: { properties: { firstname: 'Alan' } }, transformed: { first: 'Alan' } },
];

describe('transformation scripts', () => {
  it('hands each record to the function and takes what it passes to done', async () => {
    const body = `
      let record = Object.assign({}, transformedObject);
      record.name = [transformedObject.first, transformedObject.last].filter(Boolean).join(' ');
      record.vendorKeys = Object.keys(originalObject.properties).length;
      record.direction = fromVendor ? 'out' : 'in';
      done(record);`;
    expect(await runTransformationScript(body, items, true, where)).toEqual([
      { first: 'Ada', last: 'Lovelace', name: 'Ada Lovelace', vendorKeys: 2, direction: 'out' },
      { first: 'Alan', name: 'Alan', vendorKeys: 1, direction: 'out' },
    ]);
    expect(await runTransformationScript("done(Object.assign({ way: fromVendor ? 'out' : 'in' }, transformedObject));", items.slice(0, 1), false, where)).toEqual([
      { way: 'in', first: 'Ada', last: 'Lovelace' },
    ]);
  });

  it('keeps the mapped record where the script fails, passes nothing, or is not strict-mode JavaScript', async () => {
    const mapped = items.map((item) => item.transformed);
    // The second record has no last name: the script throws for it alone.
    const partly = await runTransformationScript('done({ last: transformedObject.last.toUpperCase() });', items, true, where);
    expect(partly).toEqual([{ last: 'LOVELACE' }, mapped[1]]);
    expect(await runTransformationScript('if (transformedObject.last) done([1]);', items, true, where)).toEqual(mapped);
    // Strict mode: assigning an undeclared name is an error.
    expect(await runTransformationScript('leaked = 1; done({});', items, true, where)).toEqual(mapped);
    expect(await runTransformationScript('done({', items, true, where)).toEqual(mapped);
  });

  it('stops a script at its CPU limit and keeps the mapped records', async () => {
    expect(await runTransformationScript('for (;;) {}', items, true, where)).toEqual(items.map((item) => item.transformed));
  });
});

describe("Open Connectors' CE library", () => {
  const md5 = createHash('md5').update('héllo').digest('hex');
  const hmac = (algorithm: string, encoding: 'hex' | 'base64') => createHmac(algorithm, 'secret').update('héllo').digest(encoding);

  it('hashes, encodes and makes random values in transformation scripts', async () => {
    const body = `done({
      md5: CE.md5('héllo'), b64: CE.b64('héllo'),
      sha1: CE.hmacSha1Hex('secret', 'héllo'), sha256: CE.hmacSha256Base64('secret', 'héllo'), md5mac: CE.hmacMd5Hex('secret', 'héllo'),
      curried: CE.hmac('sha256')('hex')('secret', 'héllo'),
      random: CE.randomString(), email: CE.randomEmail(),
    });`;
    const [out] = await runTransformationScript(body, items.slice(0, 1), true, where);
    expect(out).toMatchObject({
      md5,
      b64: Buffer.from('héllo').toString('base64'),
      sha1: hmac('sha1', 'hex'),
      sha256: hmac('sha256', 'base64'),
      md5mac: hmac('md5', 'hex'),
      curried: hmac('sha256', 'hex'),
    });
    expect(out!.random).toMatch(/^[a-z0-9]{10}$/);
    expect(out!.email).toMatch(/^[a-z0-9]{10}@[a-z0-9]{10}\.com$/);
  });

  it('is there for formula script steps, and refuses an unknown algorithm', async () => {
    const context = { steps: {}, config: {}, trigger: {}, info: {} };
    expect(await script('script', { body: "done({ md5: CE.md5('héllo') })" }, context)).toMatchObject({ ok: true, output: { md5 } });
    const refused = await script('script', { body: "done({ mac: CE.hmac('sha3')('hex')('k', 'v') })" }, context);
    expect(refused).toMatchObject({ ok: false, error: expect.stringContaining('hmac takes md5, sha1, sha256') });
  });
});
