import { htmlDocument } from './html-document'

/** Swagger UI over the OpenAPI document, with every asset served by this server. */
export function swaggerPage(): string {
  return htmlDocument({
    title: 'openRuntime API',
    head: <link rel="stylesheet" href="/vendor/swagger-ui/swagger-ui.css" />,
    body: (
      <body>
        <div id="swagger-ui"></div>
        <script src="/vendor/swagger-ui/swagger-ui-bundle.js"></script>
        <script>{"window.ui = SwaggerUIBundle({ url: '/swagger/json', dom_id: '#swagger-ui' })"}</script>
      </body>
    ),
  })
}
