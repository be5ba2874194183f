// Renders the gateway's own document; "Try it out" calls the same origin
// (the document's `servers` is "/"). No inline script: the page's
// Content-Security-Policy (assets/_headers) allows only same-origin code.
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#reference",
  deepLinking: true,
  docExpansion: "list",
  persistAuthorization: false,
  // No online validator: its badge would load an image from
  // validator.swagger.io (refused by the CSP) on every host but localhost.
  validatorUrl: null,
});
