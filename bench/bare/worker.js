// The runtime's ceiling: a fixed response, no routing, no policies.
export default {
  fetch() {
    return new Response("Hello, World!", { headers: { "content-type": "text/plain; charset=utf-8" } });
  },
};
