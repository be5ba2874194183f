// The Hono app with our gateway's per-request work added: a request id and one JSON access log line.
import { build } from "./app.js";

export default build({ log: true });
