// The platform API reference: GET /v1/openapi.json rendered by Swagger UI.
import '../styles.css';
import { loadSwaggerUi, mendAccessibility } from '../lib/swagger.js';

const app = document.getElementById('app')!;
app.innerHTML = '';
const header = document.createElement('header');
header.className = 'topbar';
const brand = document.createElement('a');
brand.className = 'brand';
brand.href = '/console';
brand.textContent = 'Tollgate';
const title = document.createElement('span');
title.textContent = 'Platform API reference';
header.append(brand, title);
const main = document.createElement('main');
main.id = 'main';
const heading = document.createElement('h1');
heading.className = 'sr-only';
heading.textContent = 'Tollgate platform API reference';
const host = document.createElement('div');
host.id = 'swagger';
main.append(heading, host);
app.append(header, main);
mendAccessibility(host);

loadSwaggerUi().then(
  (SwaggerUIBundle) => SwaggerUIBundle({ url: '/v1/openapi.json', domNode: host, deepLinking: true, docExpansion: 'none', defaultModelsExpandDepth: 0, syntaxHighlight: false }),
  (error: Error) => {
    host.textContent = error.message;
  },
);
