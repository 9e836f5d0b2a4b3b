// A CEQL query in the vendor's own terms, as the element declares it:
// query parameters, SOQL, a ServiceNow encoded query, a search string, or
// nothing (Tollgate filters after the call). Field names arrive already
// mapped to the vendor's. A part a declared translation cannot say is a 400
// that quotes it, unless the element lets Tollgate filter it after the call.
import { HttpError } from '../../http/errors.js';
import type { QueryTranslation } from '../element-schema.js';
import { renameFields, type CeqlExpression, type CeqlValue, type OrderTerm } from './ceql.js';

export interface VendorQuery {
  params: Record<string, string>;
  /** The vendor path of the query when it is not the list path. */
  vendorPath?: string;
  /** What Tollgate still filters after the call. */
  residual?: CeqlExpression;
  /** The vendor sorts as asked (a sort it cannot do is refused before). */
  sorted: boolean;
}

export interface QueryContext {
  element: string;
  /** The vendor type of a vendor field (`date` values are unquoted in SOQL). */
  typeOf(field: string): string | undefined;
  /** The vendor fields a SOQL statement selects. */
  selectFields: string[];
  /** The vendor object queried (SOQL's FROM), unless the element names one. */
  vendorObject: string;
}

export function cannotExpress(part: string, context: QueryContext, why: string): HttpError {
  return new HttpError(400, 'query_not_supported', `\`${part}\` cannot be expressed for ${context.element}: ${why}`);
}

class Unsupported extends Error {
  constructor(
    readonly part: string,
    readonly why: string,
  ) {
    super(why);
  }
}

const conjuncts = (expression: CeqlExpression): CeqlExpression[] => (expression.kind === 'and' ? expression.items : [expression]);

function and(items: CeqlExpression[]): CeqlExpression | undefined {
  if (items.length === 0) return undefined;
  if (items.length === 1) return items[0];
  return { kind: 'and', items, text: items.map((item) => item.text).join(' AND ') };
}

function operatorOf(node: CeqlExpression): string {
  switch (node.kind) {
    case 'compare':
      return node.operator;
    case 'like':
      return node.negated ? 'NOT LIKE' : 'LIKE';
    case 'in':
      return node.negated ? 'NOT IN' : 'IN';
    case 'null':
      return node.negated ? 'IS NOT NULL' : 'IS NULL';
    default:
      return node.kind.toUpperCase();
  }
}

const text = (value: CeqlValue) => (value === null ? '' : String(value));

// Query parameters: an AND of comparisons the element lists.
function parameters(config: QueryTranslation, where: CeqlExpression): { params: Record<string, string>; rest: CeqlExpression[] } {
  const params: Record<string, string> = {};
  const rest: CeqlExpression[] = [];
  for (const node of conjuncts(where)) {
    const field = 'field' in node ? node.field : undefined;
    const operator = operatorOf(node);
    const declared = config.parameters.find((parameter) => parameter.field === field && (parameter.operators as string[]).includes(operator));
    if (!declared || declared.param in params) {
      const why = node.kind === 'or' || node.kind === 'not' ? `${node.kind.toUpperCase()} is not offered` : declared ? `${field} can be given once` : field && config.parameters.some((p) => p.field === field) ? `${operator} is not offered on ${field}` : `${field} cannot be filtered by the vendor`;
      rest.push(Object.assign(node, { why }));
      continue;
    }
    const value = node.kind === 'compare' ? text(node.value) : node.kind === 'in' ? node.values.map(text).join(',') : node.kind === 'like' ? node.pattern : '';
    params[declared.param] = declared.template.replace('{value}', value);
  }
  return { params, rest };
}

// SOQL (Salesforce): everything CEQL says has a SOQL form.
const SOQL_FIELD = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2}))?$/;

function soqlValue(value: CeqlValue, type: string | undefined): string {
  if (value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (type === 'date' && ISO_DATE.test(value)) return value;
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function soqlField(field: string): string {
  if (!SOQL_FIELD.test(field)) throw new Unsupported(field, 'not a SOQL field name');
  return field;
}

function soql(node: CeqlExpression, context: QueryContext): string {
  switch (node.kind) {
    case 'and':
    case 'or':
      return node.items.map((item) => `(${soql(item, context)})`).join(node.kind === 'and' ? ' AND ' : ' OR ');
    case 'not':
      return `NOT (${soql(node.expression, context)})`;
    case 'compare':
      return `${soqlField(node.field)} ${node.operator} ${soqlValue(node.value, context.typeOf(node.field))}`;
    case 'like':
      return `${node.negated ? 'NOT ' : ''}${soqlField(node.field)} LIKE ${soqlValue(node.pattern, 'string')}`;
    case 'in':
      return `${soqlField(node.field)} ${node.negated ? 'NOT IN' : 'IN'} (${node.values.map((value) => soqlValue(value, context.typeOf(node.field))).join(', ')})`;
    case 'null':
      return `${soqlField(node.field)} ${node.negated ? '!=' : '='} null`;
  }
}

// ServiceNow encoded queries: terms joined by ^ (AND) and ^OR, which binds tighter.
function servicenowTerm(node: CeqlExpression): string {
  const field = 'field' in node ? node.field : '';
  if (!/^[A-Za-z0-9_.]+$/.test(field)) throw new Unsupported(node.text, 'not a ServiceNow field name');
  const value = (v: CeqlValue) => {
    const s = text(v);
    if (/[\^\n]/.test(s)) throw new Unsupported(node.text, 'values cannot contain ^ in an encoded query');
    return s;
  };
  switch (node.kind) {
    case 'compare':
      return `${field}${node.operator}${value(node.value)}`;
    case 'in':
      return `${field}${node.negated ? 'NOT IN' : 'IN'}${node.values.map(value).join(',')}`;
    case 'null':
      return `${field}${node.negated ? 'ISNOTEMPTY' : 'ISEMPTY'}`;
    case 'like': {
      const inner = node.pattern.replace(/^%/, '').replace(/%$/, '');
      if (/[%_]/.test(inner)) throw new Unsupported(node.text, 'only leading and trailing % are offered');
      const starts = !node.pattern.startsWith('%') && node.pattern.endsWith('%');
      const ends = node.pattern.startsWith('%') && !node.pattern.endsWith('%');
      const operator = node.negated ? 'NOT LIKE' : starts ? 'STARTSWITH' : ends ? 'ENDSWITH' : node.pattern.includes('%') ? 'LIKE' : '=';
      if (node.negated && (starts || ends)) throw new Unsupported(node.text, 'NOT LIKE is offered for %text% only');
      return `${field}${operator}${value(inner)}`;
    }
    default:
      throw new Unsupported(node.text, `${node.kind.toUpperCase()} is offered only as ANDs of ORs of comparisons`);
  }
}

function servicenow(where: CeqlExpression): string {
  return conjuncts(where)
    .map((node) => (node.kind === 'or' ? node.items.map(servicenowTerm).join('^OR') : servicenowTerm(node)))
    .join('^');
}

// Search strings (Zendesk `type:ticket status:open`, Stripe `email:'a' AND name:'b'`): ANDs of comparisons.
function searchTerm(config: QueryTranslation, node: CeqlExpression): string {
  const quote = (v: CeqlValue) => {
    const s = text(v);
    return config.quote ? s.replace(/\\/g, '\\\\').replace(new RegExp(config.quote, 'g'), `\\${config.quote}`) : s;
  };
  if (node.kind === 'compare' && node.operator === '=') return config.termTemplate.replace('{field}', node.field).replace('{value}', quote(node.value));
  if (node.kind === 'compare' && node.operator !== '!=' && config.rangeTemplate) {
    return config.rangeTemplate.replace('{field}', node.field).replace('{operator}', node.operator).replace('{value}', quote(node.value));
  }
  throw new Unsupported(node.text, `the vendor's search takes ${config.rangeTemplate ? '=, <, >, <= and >=' : '='} joined by AND only`);
}

function orderParams(config: QueryTranslation | undefined, orderBy: OrderTerm[], context: QueryContext): Record<string, string> {
  if (!orderBy.length) return {};
  const order = config?.orderBy;
  if (!order) throw cannotExpress(`orderBy=${orderBy.map((term) => `${term.field} ${term.direction}`).join(', ')}`, context, 'the vendor cannot sort this list');
  const terms = orderBy.map((term) => {
    if (order.fields && !order.fields.includes(term.field)) throw cannotExpress(`orderBy=${term.field}`, context, `the vendor sorts by ${order.fields.join(', ')} only`);
    const template = term.direction === 'desc' && order.descTemplate ? order.descTemplate : order.template;
    if (term.direction === 'desc' && !order.descTemplate && !order.template.includes('{direction}')) throw cannotExpress(`orderBy=${term.field} desc`, context, 'the vendor sorts ascending only');
    return template.replace('{field}', term.field).replace('{direction}', term.direction);
  });
  return { [order.param]: terms.join(config?.style === 'servicenow' ? '^' : ',') };
}

/** The vendor query for a list call; throws a 400 naming what cannot be expressed. */
export function translateQuery(config: QueryTranslation | undefined, recordWhere: CeqlExpression | undefined, recordOrder: OrderTerm[], context: QueryContext): VendorQuery {
  const names = config?.fieldNames ?? {};
  const where = recordWhere && renameFields(recordWhere, (field) => names[field] ?? field);
  const orderBy = recordOrder.map((term) => ({ ...term, field: names[term.field] ?? term.field }));
  const style = config?.style ?? 'filter';
  const otherwise = config?.otherwise ?? 'refuse';
  try {
    if (style === 'soql') {
      const select = [...new Set(['Id', ...context.selectFields.filter((field) => SOQL_FIELD.test(field))])].join(', ');
      const from = config!.from ?? context.vendorObject;
      if (!SOQL_FIELD.test(from)) throw new Unsupported(from, 'not a SOQL object name');
      const clauses = [`SELECT ${select} FROM ${from}`];
      if (where) clauses.push(`WHERE ${soql(where, context)}`);
      if (orderBy.length) clauses.push(`ORDER BY ${orderBy.map((term) => `${soqlField(term.field)} ${term.direction.toUpperCase()}`).join(', ')}`);
      return { params: { [config!.param ?? 'q']: clauses.join(' ') }, ...(config!.vendorPath ? { vendorPath: config!.vendorPath } : {}), sorted: true };
    }
    const params = orderParams(config, orderBy, context);
    // A search the vendor needs even without a condition (Jira's bounded JQL).
    if (!where && style === 'search' && config?.from) params[config.param ?? 'query'] = config.from;
    if (!where || style === 'filter') return { params, ...(where ? { residual: where } : {}), sorted: true };
    if (style === 'servicenow') {
      const encoded = servicenow(where);
      const sort = params[config!.param ?? 'sysparm_query'];
      return { params: { ...params, [config!.param ?? 'sysparm_query']: sort ? `${encoded}^${sort}` : encoded }, sorted: true };
    }
    if (style === 'search') {
      const terms: string[] = config!.from ? [config!.from] : [];
      const rest: CeqlExpression[] = [];
      for (const node of conjuncts(where)) {
        try {
          terms.push(searchTerm(config!, node));
        } catch (error) {
          if (!(error instanceof Unsupported) || otherwise !== 'filter') throw error;
          rest.push(node);
        }
      }
      const residual = and(rest);
      return { params: { ...params, [config!.param ?? 'query']: terms.join(config!.separator) }, ...(config!.vendorPath ? { vendorPath: config!.vendorPath } : {}), ...(residual ? { residual } : {}), sorted: true };
    }
    const { params: filters, rest } = parameters(config!, where);
    if (rest.length && otherwise !== 'filter') {
      const first = rest[0] as CeqlExpression & { why: string };
      throw new Unsupported(first.text, first.why);
    }
    const residual = and(rest);
    return { params: { ...params, ...filters }, ...(residual ? { residual } : {}), sorted: true };
  } catch (error) {
    if (error instanceof Unsupported) {
      if (otherwise === 'filter' && style !== 'soql') return { params: orderParams(config, orderBy, context), residual: where!, sorted: true };
      throw cannotExpress(error.part, context, error.why);
    }
    throw error;
  }
}
