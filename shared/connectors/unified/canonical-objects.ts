// The hubs' canonical objects: what `GET /hubs/{hub}/{object}` returns
// whatever the vendor. Each element maps its own records onto them in its
// JSON (`transformations`); these definitions give the fields' types for
// metadata and docs, and the built-in elements are checked against them.
export type CanonicalType = 'string' | 'number' | 'boolean' | 'date' | 'object' | 'array';

export interface CanonicalField {
  path: string;
  type: CanonicalType;
  description?: string;
}

export interface CanonicalObject {
  hub: string;
  name: string;
  description: string;
  fields: CanonicalField[];
}

const f = (path: string, type: CanonicalType = 'string', description?: string): CanonicalField => ({ path, type, ...(description ? { description } : {}) });
const timestamps = [f('createdDate', 'date', 'When the record was created (ISO 8601)'), f('modifiedDate', 'date', 'When the record last changed (ISO 8601)')];

export const CANONICAL_OBJECTS: CanonicalObject[] = [
  {
    hub: 'crm',
    name: 'contacts',
    description: 'A person you do business with',
    fields: [f('id'), f('firstName'), f('lastName'), f('email'), f('phone'), f('title'), f('accountId', 'string', 'The account (company) the contact belongs to'), ...timestamps],
  },
  { hub: 'crm', name: 'accounts', description: 'A company or organization', fields: [f('id'), f('name'), f('website'), f('industry'), f('phone'), ...timestamps] },
  {
    hub: 'crm',
    name: 'opportunities',
    description: 'A deal in progress',
    fields: [f('id'), f('name'), f('amount', 'number'), f('stage'), f('closeDate', 'date'), f('accountId'), ...timestamps],
  },
  {
    hub: 'documents',
    name: 'files',
    description: 'A file in cloud storage',
    fields: [f('id'), f('name'), f('size', 'number', 'Bytes'), f('mimeType'), f('parentFolderId'), f('path'), ...timestamps],
  },
  { hub: 'documents', name: 'folders', description: 'A folder in cloud storage', fields: [f('id'), f('name'), f('parentFolderId'), f('path'), ...timestamps] },
  {
    hub: 'helpdesk',
    name: 'incidents',
    description: 'A ticket, case or incident',
    fields: [f('id'), f('subject'), f('description'), f('status'), f('priority'), f('requesterId'), f('assigneeId'), ...timestamps],
  },
  { hub: 'helpdesk', name: 'users', description: 'An agent or end user of the helpdesk', fields: [f('id'), f('name'), f('email'), f('role'), ...timestamps] },
  { hub: 'messaging', name: 'messages', description: 'A message in a channel or mailbox', fields: [f('id'), f('channelId'), f('text'), f('senderId'), f('subject'), ...timestamps] },
  { hub: 'messaging', name: 'channels', description: 'A channel, conversation or chat', fields: [f('id'), f('name'), f('topic'), f('isPrivate', 'boolean'), ...timestamps] },
  {
    hub: 'ecommerce',
    name: 'orders',
    description: 'An order placed by a customer',
    fields: [f('id'), f('number'), f('status'), f('totalPrice', 'number'), f('currency'), f('customerId'), f('email'), ...timestamps],
  },
  { hub: 'ecommerce', name: 'products', description: 'A product for sale', fields: [f('id'), f('name'), f('description'), f('status'), f('price', 'number'), ...timestamps] },
  { hub: 'ecommerce', name: 'customers', description: 'A buyer', fields: [f('id'), f('firstName'), f('lastName'), f('email'), f('phone'), ...timestamps] },
  { hub: 'payment', name: 'customers', description: 'Someone who pays', fields: [f('id'), f('name'), f('email'), f('phone'), f('currency'), ...timestamps] },
  {
    hub: 'payment',
    name: 'invoices',
    description: 'A bill sent to a customer',
    fields: [f('id'), f('number'), f('status'), f('amount', 'number'), f('currency'), f('customerId'), f('dueDate', 'date'), ...timestamps],
  },
  { hub: 'marketing', name: 'contacts', description: 'A subscriber of your lists', fields: [f('id'), f('email'), f('firstName'), f('lastName'), f('status'), ...timestamps] },
  { hub: 'marketing', name: 'lists', description: 'An audience or mailing list', fields: [f('id'), f('name'), f('memberCount', 'number'), ...timestamps] },
  { hub: 'finance', name: 'invoices', description: 'A sales invoice in the ledger', fields: [f('id'), f('number'), f('status'), f('amount', 'number'), f('currency'), f('customerId'), f('dueDate', 'date'), ...timestamps] },
  { hub: 'finance', name: 'customers', description: 'A customer in the ledger', fields: [f('id'), f('name'), f('email'), f('phone'), ...timestamps] },
  {
    hub: 'general',
    name: 'issues',
    description: 'An issue or task in a tracker',
    fields: [f('id'), f('title'), f('description'), f('status'), f('assigneeId'), f('url'), ...timestamps],
  },
];

export function canonicalObject(hub: string, name: string): CanonicalObject | undefined {
  return CANONICAL_OBJECTS.find((object) => object.hub === hub && object.name === name);
}

export function canonicalObjectsOf(hub: string): CanonicalObject[] {
  return CANONICAL_OBJECTS.filter((object) => object.hub === hub);
}
