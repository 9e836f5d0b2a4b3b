// A loopback stand-in for the public backends Apigee's samples call, each
// answering as that service does for the requests the samples make:
// mocktarget.apigee.net (/, /json, /xml, /echo, /user, /iloveapis,
// /statuscode/{code}; 404 for any other path), the geocoder of geocode.maps.co
// (/search), Open-Meteo's forecast (/v1/forecast), Google Books (/books/v1/volumes)
// and Yahoo's weather RSS (/forecastrss). They share one port: their paths differ.
import type { BackendHandler } from './backend.js';

export const MOCK_JSON = { firstName: 'john', lastName: 'doe', city: 'San Jose', state: 'CA' };
export const MOCK_XML = '<root><city>San Jose</city><firstName>John</firstName><lastName>Doe</lastName><state>CA</state></root>';
export const CHICAGO = { lat: '41.8755616', lon: '-87.6244212' };

const forecastRss = (woeid: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:yweather="http://xml.weather.yahoo.com/ns/rss/1.0"><channel><title>Yahoo! Weather - ${woeid}</title><item><yweather:condition text="Sunny" code="32" temp="72"/></item></channel></rss>`;

export const mocktarget: BackendHandler = (request, res) => {
  const url = new URL(request.url, 'http://mocktarget');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const query = url.searchParams;
  const send = (status: number, type: string, body: string) => {
    res.writeHead(status, { 'content-type': type });
    res.end(body);
  };
  const json = (body: unknown) => send(200, 'application/json; charset=utf-8', JSON.stringify(body));
  const status = /^\/statuscode\/(\d{3})$/.exec(path);
  switch (true) {
    case path === '/':
      return send(200, 'text/plain; charset=utf-8', 'Hello, Guest!');
    case path === '/json':
      return json(MOCK_JSON);
    case path === '/xml':
      return send(200, 'application/xml; charset=utf-8', `<?xml version="1.0" encoding="UTF-8"?> ${MOCK_XML}`);
    case path === '/iloveapis':
      return send(200, 'text/html; charset=utf-8', '<H2>I <3 APIs</H2>');
    case path === '/user':
      return send(200, 'text/plain; charset=utf-8', `Hello, ${query.get('user') ?? 'Guest'}!`);
    case path === '/echo':
      return json({ headers: request.headers, method: request.method, url: request.url, body: request.body.toString('utf8') });
    case status !== null:
      return send(Number(status![1]), 'text/plain; charset=utf-8', `Status ${status![1]}`);
    case path === '/search':
      return json(query.get('q') ? [{ place_id: 1, display_name: `${query.get('q')}, Cook County, Illinois, United States`, ...CHICAGO }] : []);
    case path === '/v1/forecast':
      return json({ latitude: Number(query.get('latitude')), longitude: Number(query.get('longitude')), current_units: { temperature: '°C' }, current: { time: '2026-12-01T12:00', temperature: 3.4 } });
    case path === '/books/v1/volumes':
      return json({ kind: 'books#volumes', totalItems: 1, items: [{ kind: 'books#volume', id: 'apigee', volumeInfo: { title: `Books about ${query.get('q') ?? ''}` } }] });
    case path === '/forecastrss':
      return send(200, 'text/xml; charset=utf-8', forecastRss(query.get('w') ?? ''));
    default:
      return send(404, 'text/html; charset=utf-8', '<!DOCTYPE html><title>Error</title><pre>Cannot GET ' + path + '</pre>');
  }
};
