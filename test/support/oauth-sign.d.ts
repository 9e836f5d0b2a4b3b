// Types for oauth-sign (the signing module of the `request` HTTP client), used by the test OAuth 1.0a server.
declare module 'oauth-sign' {
  export function generateBase(httpMethod: string, baseUri: string, params: Record<string, string | string[]>): string;
  export function hmacsign(httpMethod: string, baseUri: string, params: Record<string, string | string[]>, consumerSecret: string, tokenSecret?: string): string;
  export function plaintext(consumerSecret: string, tokenSecret?: string): string;
  export function rfc3986(value: string): string;
}
