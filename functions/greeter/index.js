// A function behind the gateway (`ANY /fn/greet`, `ANY /fn/greet/{*rest}`),
// written as the seeds' handlers are: the request event in, a response
// object out. It greets as the gateway's own `POST /api/greet/{name}` does.
//
// The gateway calls this Worker through the service binding `GREETER` with
// the event as JSON (README, "Upstreams"); the few lines at the end are the
// Worker around the handler.

export function handler(request) {
  console.log(request.method + " " + request.path);
  if (request.method !== "POST" && request.method !== "GET") {
    return { statusCode: 405, headers: { allow: "GET, POST" }, body: "Method not allowed" };
  }
  const name = request.params.rest || request.query.name || "world";
  const lang = request.query.lang || "en";
  const { title } = (typeof request.body === "object" && request.body) || {};
  const greetings = {
    en: "Hello",
    es: "Hola",
    fr: "Bonjour",
  };
  // Its own languages only: `constructor` or `__proto__` is no language.
  const greeting = Object.hasOwn(greetings, lang) ? greetings[lang] : greetings.en;
  const fullName = title ? title + " " + name : name;
  return {
    statusCode: 200,
    // The trace this call belongs to, as the gateway's event says it.
    headers: { "content-type": "application/json", "x-trace-id": request.requestContext?.traceId ?? "" },
    body: JSON.stringify({ message: greeting + ", " + fullName + "!" }),
  };
}

export default {
  async fetch(request) {
    const event = await request.json();
    return Response.json(await handler(event));
  },
};
