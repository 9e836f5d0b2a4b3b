// Loopback stand-ins for each built-in element's vendor: three records of one
// object as the vendor's API reference shows them, served with the paging
// that reference documents (its own parameter names and answer shapes, not
// read from the element), and the canonical record Tollgate should make of
// the first. The sources are named in each element's JSON (`sources`).
import type { ReceivedRequest } from './vendor.js';

type Json = Record<string, unknown>;

export interface VendorAnswer {
  status?: number;
  body: unknown;
  headers?: Record<string, string | undefined>;
}

export interface VendorFixture {
  /** The element's file and the canonical object listed. */
  file: string;
  object: string;
  /** Instance configuration besides OAuth client settings. */
  configuration?: Record<string, string>;
  /** The vendor's list path (after the base URL's path). */
  listPath: RegExp;
  records: Json[];
  /** The vendor's list answer for a request, paging as documented. */
  serve(request: ReceivedRequest, records: Json[], origin: string): VendorAnswer;
  /** The canonical record of `records[0]`. */
  expected: Json;
  /** A CEQL query and what the vendor must have received for it. */
  where?: { where: string; check(request: ReceivedRequest): void };
}

const num = (value: string | null, fallback: number) => (value === null ? fallback : Number(value));
const slice = <T>(records: T[], start: number, size: number) => records.slice(start, start + size);

export const FIXTURES: VendorFixture[] = [
  {
    file: 'microsoft-outlook.json',
    object: 'messages',
    listPath: /\/me\/messages$/,
    records: [1, 2, 3].map((n) => ({
      id: `AAMkAD${n}`,
      createdDateTime: `2024-05-0${n}T08:00:00Z`,
      lastModifiedDateTime: `2024-05-0${n}T09:00:00Z`,
      subject: `Quarterly report ${n}`,
      bodyPreview: 'Please find attached',
      parentFolderId: 'AQMkInbox',
      from: { emailAddress: { name: 'Megan Bowen', address: 'MeganB@contoso.com' } },
    })),
    serve: (request, records, origin) => {
      const top = num(request.query.get('$top'), 10);
      const skip = num(request.query.get('$skip'), 0);
      const next = skip + top < records.length ? `${origin}/v1.0/me/messages?$top=${top}&$skip=${skip + top}` : undefined;
      return { body: { '@odata.context': `${origin}/v1.0/$metadata#users('me')/messages`, value: slice(records, skip, top), ...(next ? { '@odata.nextLink': next } : {}) } };
    },
    expected: { id: 'AAMkAD1', subject: 'Quarterly report 1', text: 'Please find attached', senderId: 'MeganB@contoso.com', channelId: 'AQMkInbox', createdDate: '2024-05-01T08:00:00.000Z', modifiedDate: '2024-05-01T09:00:00.000Z' },
  },
  {
    file: 'salesforce.json',
    object: 'accounts',
    listPath: /\/services\/data\/v62\.0\/query(\/.*)?$/,
    records: [1, 2, 3].map((n) => ({ attributes: { type: 'Account', url: `/services/data/v62.0/sobjects/Account/001${n}` }, Id: `001${n}`, Name: `Edge Communications ${n}`, Website: 'http://edgecomm.com', Industry: 'Electronics', Phone: null, CreatedDate: '2024-01-0' + n + 'T10:00:00.000+0000', LastModifiedDate: '2024-02-01T10:00:00.000+0000' })),
    serve: (request, records) => {
      const start = request.path.endsWith('/query') ? 0 : Number(request.path.split('-').pop());
      const batch = 2; // Salesforce may answer smaller batches than asked
      const next = start + batch < records.length ? `/services/data/v62.0/query/01gD0000002HU6KIAW-${start + batch}` : undefined;
      return { body: { totalSize: records.length, done: !next, ...(next ? { nextRecordsUrl: next } : {}), records: slice(records, start, batch) } };
    },
    expected: { id: '0011', name: 'Edge Communications 1', website: 'http://edgecomm.com', industry: 'Electronics', createdDate: '2024-01-01T10:00:00.000Z', modifiedDate: '2024-02-01T10:00:00.000Z' },
    where: { where: "industry = 'Electronics'", check: (request) => { if (!request.query.get('q')?.includes("WHERE Industry = 'Electronics'")) throw new Error(`SOQL: ${request.query.get('q')}`); } },
  },
  {
    file: 'hubspot.json',
    object: 'accounts',
    listPath: /\/crm\/v3\/objects\/companies$/,
    records: [1, 2, 3].map((n) => ({ id: `51218${n}`, properties: { name: `Biglytics ${n}`, domain: 'biglytics.net', industry: 'COMPUTER_SOFTWARE', phone: '+1 877 929 0687' }, createdAt: '2024-03-01T12:00:00.000Z', updatedAt: '2024-03-02T12:00:00.000Z', archived: false })),
    serve: (request, records) => {
      const limit = num(request.query.get('limit'), 10);
      const after = num(request.query.get('after'), 0);
      const next = after + limit < records.length ? String(after + limit) : undefined;
      return { body: { results: slice(records, after, limit), ...(next ? { paging: { next: { after: next, link: `?after=${next}` } } } : {}) } };
    },
    expected: { id: '512181', name: 'Biglytics 1', website: 'biglytics.net', industry: 'COMPUTER_SOFTWARE', phone: '+1 877 929 0687', createdDate: '2024-03-01T12:00:00.000Z', modifiedDate: '2024-03-02T12:00:00.000Z' },
  },
  {
    file: 'google-drive.json',
    object: 'files',
    listPath: /\/drive\/v3\/files$/,
    records: [1, 2, 3].map((n) => ({ kind: 'drive#file', id: `1Zdr${n}`, name: `Budget ${n}.xlsx`, mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', size: '20480', parents: ['0AroOT'], createdTime: '2024-04-01T10:00:00.000Z', modifiedTime: '2024-04-02T10:00:00.000Z' })),
    serve: (request, records) => {
      const size = num(request.query.get('pageSize'), 100);
      const start = num(request.query.get('pageToken'), 0);
      const next = start + size < records.length ? String(start + size) : undefined;
      return { body: { kind: 'drive#fileList', incompleteSearch: false, files: slice(records, start, size), ...(next ? { nextPageToken: next } : {}) } };
    },
    expected: { id: '1Zdr1', name: 'Budget 1.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', size: 20480, parentFolderId: '0AroOT', createdDate: '2024-04-01T10:00:00.000Z', modifiedDate: '2024-04-02T10:00:00.000Z' },
    where: { where: "name = 'Budget 1.xlsx'", check: (request) => { if (request.query.get('q') !== "name = 'Budget 1.xlsx'") throw new Error(`q: ${request.query.get('q')}`); } },
  },
  {
    file: 'slack.json',
    object: 'channels',
    listPath: /\/api\/conversations\.list$/,
    records: [1, 2, 3].map((n) => ({ id: `C012AB3C${n}`, name: `general-${n}`, is_channel: true, is_private: false, created: 1449252889, topic: { value: 'Company-wide announcements', creator: '', last_set: 0 } })),
    serve: (request, records) => {
      const limit = num(request.query.get('limit'), 100);
      const start = request.query.get('cursor') ? Number(Buffer.from(request.query.get('cursor')!, 'base64').toString().split(':')[1]) : 0;
      const next = start + limit < records.length ? Buffer.from(`team:${start + limit}`).toString('base64') : '';
      return { body: { ok: true, channels: slice(records, start, limit), response_metadata: { next_cursor: next } } };
    },
    expected: { id: 'C012AB3C1', name: 'general-1', topic: 'Company-wide announcements', isPrivate: false, createdDate: '2015-12-04T18:14:49.000Z' },
  },
  {
    file: 'github.json',
    object: 'issues',
    listPath: /\/issues$/,
    records: [1, 2, 3].map((n) => ({ id: 1347 + n, number: n, state: 'open', title: `Found a bug ${n}`, body: "I'm having a problem with this.", user: { login: 'octocat' }, assignee: { login: 'octocat' }, html_url: `https://github.com/octocat/Hello-World/issues/${n}`, created_at: '2011-04-22T13:33:48Z', updated_at: '2011-04-22T13:33:48Z' })),
    serve: (request, records, origin) => {
      const perPage = num(request.query.get('per_page'), 30);
      const page = num(request.query.get('page'), 1);
      const more = page * perPage < records.length;
      return { body: slice(records, (page - 1) * perPage, perPage), headers: more ? { link: `<${origin}/issues?per_page=${perPage}&page=${page + 1}>; rel="next", <${origin}/issues?page=9>; rel="last"` } : {} };
    },
    expected: { id: '1348', title: 'Found a bug 1', description: "I'm having a problem with this.", status: 'open', assigneeId: 'octocat', url: 'https://github.com/octocat/Hello-World/issues/1', createdDate: '2011-04-22T13:33:48.000Z', modifiedDate: '2011-04-22T13:33:48.000Z' },
    where: { where: "status = 'open'", check: (request) => { if (request.query.get('state') !== 'open') throw new Error('state'); } },
  },
  {
    file: 'box.json',
    object: 'files',
    listPath: /\/2\.0\/folders\/0\/items$/,
    records: [1, 2, 3].map((n) => ({ id: `1234${n}`, type: 'file', name: `Contract ${n}.pdf`, size: 629644, parent: { id: '0', type: 'folder' }, created_at: '2012-12-12T10:53:43-08:00', modified_at: '2012-12-12T10:53:43-08:00' })),
    serve: (request, records) => {
      const limit = num(request.query.get('limit'), 100);
      const offset = num(request.query.get('offset'), 0);
      return { body: { total_count: records.length, limit, offset, entries: slice(records, offset, limit), order: [{ by: 'type', direction: 'ASC' }] } };
    },
    expected: { id: '12341', name: 'Contract 1.pdf', size: 629644, mimeType: 'file', parentFolderId: '0', createdDate: '2012-12-12T18:53:43.000Z', modifiedDate: '2012-12-12T18:53:43.000Z' },
  },
  {
    file: 'zendesk.json',
    object: 'incidents',
    configuration: { subdomain: 'acme', username: 'agent@acme.example/token', password: 'zendesk-token' },
    listPath: /\/api\/v2\/tickets$/,
    records: [1, 2, 3].map((n) => ({ id: 35435 + n, subject: `Help, my printer is on fire ${n}`, description: 'The fire is very colorful.', status: 'open', priority: 'high', requester_id: 20978392, assignee_id: 235323, created_at: '2009-07-20T22:55:29Z', updated_at: '2011-05-05T10:38:52Z' })),
    serve: (request, records) => {
      const size = num(request.query.get('page[size]'), 100);
      const start = num(request.query.get('page[after]'), 0);
      const more = start + size < records.length;
      return { body: { tickets: slice(records, start, size), meta: { has_more: more, after_cursor: more ? String(start + size) : null, before_cursor: null }, links: {} } };
    },
    expected: { id: '35436', subject: 'Help, my printer is on fire 1', description: 'The fire is very colorful.', status: 'open', priority: 'high', requesterId: '20978392', assigneeId: '235323', createdDate: '2009-07-20T22:55:29.000Z', modifiedDate: '2011-05-05T10:38:52.000Z' },
  },
  {
    file: 'servicenow.json',
    object: 'incidents',
    configuration: { instance: 'dev12345', username: 'admin', password: 'sn-password' },
    listPath: /\/api\/now\/table\/incident$/,
    records: [1, 2, 3].map((n) => ({ sys_id: `9c573169c611228700193229fff72400${n}`, number: `INC000000${n}`, short_description: `Email server down ${n}`, description: 'Users cannot send mail', state: '2', priority: '1', caller_id: { link: 'https://x/api/now/table/sys_user/5137', value: '5137' }, assigned_to: '', sys_created_on: '2024-06-01 10:00:00', sys_updated_on: '2024-06-02 10:00:00' })),
    serve: (request, records) => {
      const limit = num(request.query.get('sysparm_limit'), 10000);
      const offset = num(request.query.get('sysparm_offset'), 0);
      return { body: { result: slice(records, offset, limit) }, headers: { 'x-total-count': String(records.length) } };
    },
    expected: { id: '9c573169c611228700193229fff724001', subject: 'Email server down 1', description: 'Users cannot send mail', status: '2', priority: '1', requesterId: '5137', createdDate: '2024-06-01 10:00:00', modifiedDate: '2024-06-02 10:00:00' },
    where: { where: "priority = '1' AND subject LIKE 'Email%'", check: (request) => { if (request.query.get('sysparm_query') !== 'priority=1^short_descriptionSTARTSWITHEmail') throw new Error(`sysparm_query: ${request.query.get('sysparm_query')}`); } },
  },
  {
    file: 'shopify.json',
    object: 'orders',
    configuration: { shop: 'acme', 'api.key': 'shpat_test' },
    listPath: /\/admin\/api\/2026-07\/orders\.json$/,
    records: [1, 2, 3].map((n) => ({ id: 450789469 + n, name: `#100${n}`, email: 'bob.norman@mail.example.com', financial_status: 'paid', total_price: '598.94', currency: 'USD', customer: { id: 207119551 }, created_at: '2008-01-10T11:00:00-05:00', updated_at: '2008-01-10T11:00:00-05:00' })),
    serve: (request, records, origin) => {
      const limit = num(request.query.get('limit'), 50);
      const start = request.query.get('page_info') ? Number(request.query.get('page_info')) : 0;
      const more = start + limit < records.length;
      return { body: { orders: slice(records, start, limit) }, headers: more ? { link: `<${origin}/admin/api/2026-07/orders.json?limit=${limit}&page_info=${start + limit}>; rel="next"` } : {} };
    },
    expected: { id: '450789470', number: '#1001', status: 'paid', totalPrice: 598.94, currency: 'USD', customerId: '207119551', email: 'bob.norman@mail.example.com', createdDate: '2008-01-10T16:00:00.000Z', modifiedDate: '2008-01-10T16:00:00.000Z' },
  },
  {
    file: 'stripe.json',
    object: 'customers',
    configuration: { 'api.key': 'sk_test_123' },
    listPath: /\/v1\/customers$/,
    records: [1, 2, 3].map((n) => ({ id: `cus_NffrFeUfNV2Hi${n}`, object: 'customer', name: 'Jenny Rosen', email: 'jennyrosen@example.com', phone: null, currency: 'usd', created: 1680893993 })),
    serve: (request, records) => {
      const limit = num(request.query.get('limit'), 10);
      const after = request.query.get('starting_after');
      const start = after ? records.findIndex((record) => record.id === after) + 1 : 0;
      return { body: { object: 'list', url: '/v1/customers', has_more: start + limit < records.length, data: slice(records, start, limit) } };
    },
    expected: { id: 'cus_NffrFeUfNV2Hi1', name: 'Jenny Rosen', email: 'jennyrosen@example.com', currency: 'usd', createdDate: '2023-04-07T18:59:53.000Z' },
    where: { where: "email = 'jennyrosen@example.com'", check: (request) => { if (request.query.get('email') !== 'jennyrosen@example.com') throw new Error('email'); } },
  },
  {
    file: 'pipedrive.json',
    object: 'contacts',
    configuration: { company: 'acme', 'api.token': 'pd-token' },
    listPath: /\/api\/v1\/persons$/,
    records: [1, 2, 3].map((n) => ({ id: n, name: `Will Smith ${n}`, first_name: 'Will', last_name: 'Smith', org_id: { name: 'Acme', value: 5 }, email: [{ label: 'work', value: 'will@acme.example', primary: true }], phone: [{ label: 'work', value: '12345', primary: true }], add_time: '2024-01-01 10:00:00', update_time: '2024-01-02 10:00:00' })),
    serve: (request, records) => {
      const limit = num(request.query.get('limit'), 100);
      const start = num(request.query.get('start'), 0);
      const more = start + limit < records.length;
      return { body: { success: true, data: slice(records, start, limit), additional_data: { pagination: { start, limit, more_items_in_collection: more, ...(more ? { next_start: start + limit } : {}) } } } };
    },
    expected: { id: '1', firstName: 'Will', lastName: 'Smith', email: 'will@acme.example', phone: '12345', accountId: '5', createdDate: '2024-01-01 10:00:00', modifiedDate: '2024-01-02 10:00:00' },
  },
  {
    file: 'zoho-crm.json',
    object: 'contacts',
    listPath: /\/crm\/v8\/Contacts$/,
    records: [1, 2, 3].map((n) => ({ id: `55468390000000${n}`, First_Name: 'Patricia', Last_Name: `Boyle ${n}`, Email: 'patricia@zylker.example', Phone: '555-555-5555', Title: 'VP', Account_Name: { name: 'Zylker', id: '554683900000003' }, Created_Time: '2024-02-01T10:00:00+05:30', Modified_Time: '2024-02-02T10:00:00+05:30' })),
    serve: (request, records) => {
      const perPage = num(request.query.get('per_page'), 200);
      const page = num(request.query.get('page'), 1);
      return { body: { data: slice(records, (page - 1) * perPage, perPage), info: { per_page: perPage, count: Math.min(perPage, records.length), page, more_records: page * perPage < records.length } } };
    },
    expected: { id: '554683900000001', firstName: 'Patricia', lastName: 'Boyle 1', email: 'patricia@zylker.example', phone: '555-555-5555', title: 'VP', accountId: '554683900000003', createdDate: '2024-02-01T04:30:00.000Z', modifiedDate: '2024-02-02T04:30:00.000Z' },
  },
  {
    file: 'freshdesk.json',
    object: 'incidents',
    configuration: { domain: 'acme', username: 'fd-api-key', password: 'X' },
    listPath: /\/api\/v2\/tickets$/,
    records: [1, 2, 3].map((n) => ({ id: 20 + n, subject: `Support needed ${n}`, description_text: 'Details', status: 2, priority: 1, requester_id: 1000, responder_id: null, created_at: '2015-08-24T11:56:51Z', updated_at: '2015-08-24T11:59:05Z' })),
    serve: (request, records, origin) => {
      const perPage = num(request.query.get('per_page'), 30);
      const page = num(request.query.get('page'), 1);
      const more = page * perPage < records.length;
      return { body: slice(records, (page - 1) * perPage, perPage), headers: more ? { link: `<${origin}/api/v2/tickets?page=${page + 1}&per_page=${perPage}>; rel="next"` } : {} };
    },
    expected: { id: '21', subject: 'Support needed 1', description: 'Details', status: '2', priority: '1', requesterId: '1000', createdDate: '2015-08-24T11:56:51.000Z', modifiedDate: '2015-08-24T11:59:05.000Z' },
  },
  {
    file: 'jira.json',
    object: 'issues',
    configuration: { site: 'acme', username: 'dev@acme.example', password: 'atlassian-token' },
    listPath: /\/rest\/api\/3\/search\/jql$/,
    records: [1, 2, 3].map((n) => ({ id: `1000${n}`, key: `ED-${n}`, self: `https://acme.atlassian.net/rest/api/3/issue/1000${n}`, fields: { summary: `Main order flow broken ${n}`, status: { name: 'To Do' }, assignee: { accountId: '5b10a2844c20165700ede21g' }, created: '2024-01-01T10:00:00.000+0000', updated: '2024-01-02T10:00:00.000+0000' } })),
    serve: (request, records) => {
      if (!request.query.get('jql')) return { status: 400, body: { errorMessages: ['Unbounded JQL queries are not allowed here.'] } };
      const max = num(request.query.get('maxResults'), 50);
      const start = num(request.query.get('nextPageToken'), 0);
      const last = start + max >= records.length;
      return { body: { issues: slice(records, start, max), isLast: last, ...(last ? {} : { nextPageToken: String(start + max) }) } };
    },
    expected: { id: 'ED-1', title: 'Main order flow broken 1', status: 'To Do', assigneeId: '5b10a2844c20165700ede21g', url: 'https://acme.atlassian.net/rest/api/3/issue/10001', createdDate: '2024-01-01T10:00:00.000Z', modifiedDate: '2024-01-02T10:00:00.000Z' },
    where: { where: "status = 'To Do'", check: (request) => { if (request.query.get('jql') !== 'created >= -3650d AND status = "To Do"') throw new Error(`jql: ${request.query.get('jql')}`); } },
  },
  {
    file: 'intercom.json',
    object: 'contacts',
    configuration: { 'api.key': 'ic-token' },
    listPath: /\/contacts$/,
    records: [1, 2, 3].map((n) => ({ type: 'contact', id: `6329bd9ffe4e2e91dac76188${n}`, role: 'user', email: 'joe@example.com', phone: null, name: `Joe Example ${n}`, created_at: 1663679903, updated_at: 1663679903 })),
    serve: (request, records) => {
      const perPage = num(request.query.get('per_page'), 50);
      const start = num(request.query.get('starting_after'), 0);
      const more = start + perPage < records.length;
      return { body: { type: 'list', data: slice(records, start, perPage), total_count: records.length, pages: { type: 'pages', page: 1, per_page: perPage, total_pages: Math.ceil(records.length / perPage), ...(more ? { next: { page: 2, starting_after: String(start + perPage) } } : {}) } } };
    },
    expected: { id: '6329bd9ffe4e2e91dac761881', firstName: 'Joe Example 1', email: 'joe@example.com', title: 'user', createdDate: '2022-09-20T13:18:23.000Z', modifiedDate: '2022-09-20T13:18:23.000Z' },
  },
  {
    file: 'mailchimp.json',
    object: 'lists',
    configuration: { dc: 'us21', username: 'anystring', password: 'mc-key-us21' },
    listPath: /\/3\.0\/lists$/,
    records: [1, 2, 3].map((n) => ({ id: `a1b2c3d${n}`, web_id: n, name: `Newsletter ${n}`, date_created: '2024-01-01T10:00:00+00:00', stats: { member_count: 120 } })),
    serve: (request, records) => {
      const count = num(request.query.get('count'), 10);
      const offset = num(request.query.get('offset'), 0);
      return { body: { lists: slice(records, offset, count), total_items: records.length, _links: [] } };
    },
    expected: { id: 'a1b2c3d1', name: 'Newsletter 1', memberCount: 120, createdDate: '2024-01-01T10:00:00.000Z' },
  },
  {
    file: 'xero.json',
    object: 'invoices',
    listPath: /\/api\.xro\/2\.0\/Invoices$/,
    records: [1, 2, 3].map((n) => ({ Type: 'ACCREC', InvoiceID: `243216c5-369e-4056-ac67-05388f86dc8${n}`, InvoiceNumber: `INV-000${n}`, Status: 'AUTHORISED', Total: 1000.0, CurrencyCode: 'NZD', Contact: { ContactID: '025867f1-d741-4d6b-b1af-9ac774b59ba7' }, DueDateString: '2024-03-01T00:00:00', UpdatedDateUTC: '/Date(1518685950940+0000)/' })),
    serve: (request, records) => {
      const size = num(request.query.get('pageSize'), 100);
      const page = num(request.query.get('page'), 1);
      return { body: { Id: 'x', Status: 'OK', Invoices: slice(records, (page - 1) * size, size) } };
    },
    expected: { id: '243216c5-369e-4056-ac67-05388f86dc81', number: 'INV-0001', status: 'AUTHORISED', amount: 1000, currency: 'NZD', customerId: '025867f1-d741-4d6b-b1af-9ac774b59ba7', dueDate: '2024-03-01T00:00:00.000Z', modifiedDate: '/Date(1518685950940+0000)/' },
    where: { where: "status = 'AUTHORISED'", check: (request) => { if (request.query.get('Statuses') !== 'AUTHORISED') throw new Error('Statuses'); } },
  },
  {
    file: 'gitlab.json',
    object: 'issues',
    configuration: { 'api.key': 'glpat-test' },
    listPath: /\/api\/v4\/issues$/,
    records: [1, 2, 3].map((n) => ({ id: 76 + n, iid: n, state: 'opened', title: `Consequatur vero maxime ${n}`, description: 'Ratione dolores corrupti', assignee: { username: 'root' }, web_url: `http://gitlab.example.com/my-group/my-project/issues/${n}`, created_at: '2016-01-04T15:31:51.081Z', updated_at: '2016-01-04T15:31:51.081Z' })),
    serve: (request, records, origin) => {
      const perPage = num(request.query.get('per_page'), 20);
      const page = num(request.query.get('page'), 1);
      const more = page * perPage < records.length;
      return { body: slice(records, (page - 1) * perPage, perPage), headers: { 'x-total': String(records.length), 'x-page': String(page), ...(more ? { 'x-next-page': String(page + 1), link: `<${origin}/api/v4/issues?page=${page + 1}&per_page=${perPage}>; rel="next"` } : {}) } };
    },
    expected: { id: '77', title: 'Consequatur vero maxime 1', description: 'Ratione dolores corrupti', status: 'opened', assigneeId: 'root', url: 'http://gitlab.example.com/my-group/my-project/issues/1', createdDate: '2016-01-04T15:31:51.081Z', modifiedDate: '2016-01-04T15:31:51.081Z' },
    where: { where: "status = 'opened'", check: (request) => { if (request.query.get('state') !== 'opened') throw new Error('state'); } },
  },
  {
    file: 'twilio.json',
    object: 'messages',
    configuration: { account: `AC${'a'.repeat(32)}`, username: `AC${'a'.repeat(32)}`, password: 'twilio-auth-token' },
    listPath: /\/2010-04-01\/Accounts\/AC[a]{32}\/Messages\.json$/,
    records: [1, 2, 3].map((n) => ({ sid: `SM1f0e8ae6ade43cb3c0ce4525424e404${n}`, body: 'Hello! 👍', from: '+14155552345', to: '+14155552346', date_created: 'Fri, 24 May 2019 17:44:46 +0000', date_updated: 'Fri, 24 May 2019 17:44:50 +0000' })),
    serve: (request, records) => {
      const size = num(request.query.get('PageSize'), 50);
      const page = num(request.query.get('Page'), 0);
      const more = (page + 1) * size < records.length;
      return { body: { messages: slice(records, page * size, size), page, page_size: size, next_page_uri: more ? `/2010-04-01/Accounts/AC${'a'.repeat(32)}/Messages.json?Page=${page + 1}&PageSize=${size}` : null } };
    },
    expected: { id: 'SM1f0e8ae6ade43cb3c0ce4525424e4041', text: 'Hello! 👍', senderId: '+14155552345', channelId: '+14155552346', createdDate: 'Fri, 24 May 2019 17:44:46 +0000', modifiedDate: 'Fri, 24 May 2019 17:44:50 +0000' },
    where: { where: "senderId = '+14155552345'", check: (request) => { if (request.query.get('From') !== '+14155552345') throw new Error('From'); } },
  },
  {
    file: 'woocommerce.json',
    object: 'orders',
    configuration: { store: 'shop.acme.example', username: 'ck_test', password: 'cs_test' },
    listPath: /\/wp-json\/wc\/v3\/orders$/,
    records: [1, 2, 3].map((n) => ({ id: 726 + n, number: String(726 + n), status: 'processing', currency: 'USD', total: '29.35', customer_id: 0, billing: { email: 'john.doe@example.com', phone: '(555) 555-5555' }, date_created_gmt: '2017-03-22T16:28:02', date_modified_gmt: '2017-03-22T16:28:08' })),
    serve: (request, records) => {
      const perPage = num(request.query.get('per_page'), 10);
      const page = num(request.query.get('page'), 1);
      return { body: slice(records, (page - 1) * perPage, perPage), headers: { 'x-wp-total': String(records.length), 'x-wp-totalpages': String(Math.ceil(records.length / perPage)) } };
    },
    expected: { id: '727', number: '727', status: 'processing', totalPrice: 29.35, currency: 'USD', customerId: '0', email: 'john.doe@example.com', createdDate: '2017-03-22T16:28:02.000Z', modifiedDate: '2017-03-22T16:28:08.000Z' },
  },
  {
    file: 'bigcommerce.json',
    object: 'products',
    configuration: { store_hash: 'abc123', 'api.key': 'bc-token' },
    listPath: /\/stores\/abc123\/v3\/catalog\/products$/,
    records: [1, 2, 3].map((n) => ({ id: 173 + n, name: `Smith Journal ${n}`, description: 'Volume 13', availability: 'available', price: 24.95, date_created: '2018-08-15T14:48:46+00:00', date_modified: '2018-09-05T20:42:07+00:00' })),
    serve: (request, records) => {
      const limit = num(request.query.get('limit'), 50);
      const page = num(request.query.get('page'), 1);
      const pages = Math.ceil(records.length / limit);
      return { body: { data: slice(records, (page - 1) * limit, limit), meta: { pagination: { total: records.length, count: Math.min(limit, records.length), per_page: limit, current_page: page, total_pages: pages, links: page < pages ? { next: `?page=${page + 1}&limit=${limit}`, current: `?page=${page}` } : { current: `?page=${page}` } } } } };
    },
    expected: { id: '174', name: 'Smith Journal 1', description: 'Volume 13', status: 'available', price: 24.95, createdDate: '2018-08-15T14:48:46.000Z', modifiedDate: '2018-09-05T20:42:07.000Z' },
    where: { where: "name LIKE 'Smith%'", check: (request) => { if (request.query.get('name:like') !== 'Smith%') throw new Error('name:like'); } },
  },
  {
    file: 'square.json',
    object: 'customers',
    configuration: { 'api.key': 'EAAA-test' },
    listPath: /\/v2\/customers$/,
    records: [1, 2, 3].map((n) => ({ id: `JDKYHBWT1D4F8MFH63DBMEN8Y${n}`, given_name: 'Amelia', family_name: 'Earhart', email_address: 'Amelia.Earhart@example.com', phone_number: '+1-212-555-4240', created_at: '2016-03-23T20:21:54.859Z', updated_at: '2016-03-23T20:21:55Z' })),
    serve: (request, records) => {
      const limit = num(request.query.get('limit'), 100);
      const start = num(request.query.get('cursor'), 0);
      const more = start + limit < records.length;
      return { body: { customers: slice(records, start, limit), ...(more ? { cursor: String(start + limit) } : {}) } };
    },
    expected: { id: 'JDKYHBWT1D4F8MFH63DBMEN8Y1', name: 'Amelia', email: 'Amelia.Earhart@example.com', phone: '+1-212-555-4240', createdDate: '2016-03-23T20:21:54.859Z', modifiedDate: '2016-03-23T20:21:55.000Z' },
  },
  {
    file: 'onedrive.json',
    object: 'files',
    listPath: /\/v1\.0\/me\/drive\/root\/children$/,
    records: [1, 2, 3].map((n) => ({ id: `01BYE5RZ${n}`, name: `Report ${n}.docx`, size: 12340, file: { mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' }, parentReference: { id: '01BYE5RZ56Y2GOVW7725BZO354PWSELRRZ', path: '/drive/root:' }, createdDateTime: '2024-01-01T10:00:00Z', lastModifiedDateTime: '2024-01-02T10:00:00Z' })),
    serve: (request, records, origin) => {
      const top = num(request.query.get('$top'), 200);
      const skip = num(request.query.get('$skiptoken'), 0);
      const next = skip + top < records.length ? `${origin}/v1.0/me/drive/root/children?$top=${top}&$skiptoken=${skip + top}` : undefined;
      return { body: { value: slice(records, skip, top), ...(next ? { '@odata.nextLink': next } : {}) } };
    },
    expected: { id: '01BYE5RZ1', name: 'Report 1.docx', size: 12340, mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', parentFolderId: '01BYE5RZ56Y2GOVW7725BZO354PWSELRRZ', path: '/drive/root:', createdDate: '2024-01-01T10:00:00.000Z', modifiedDate: '2024-01-02T10:00:00.000Z' },
  },
];
