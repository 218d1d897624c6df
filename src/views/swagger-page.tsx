/** Swagger UI over the OpenAPI document, with every asset served by this server. */
export function swaggerPage(): string {
  return (
    '<!doctype html>' +
    (
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>openRuntime API</title>
          <link rel="stylesheet" href="/vendor/swagger-ui/swagger-ui.css" />
        </head>
        <body>
          <div id="swagger-ui"></div>
          <script src="/vendor/swagger-ui/swagger-ui-bundle.js"></script>
          <script>{"window.ui = SwaggerUIBundle({ url: '/swagger/json', dom_id: '#swagger-ui' })"}</script>
        </body>
      </html>
    )
  )
}
