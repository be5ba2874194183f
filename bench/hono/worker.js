// The Hono app as the performance issue specifies it: CORS, the key check, the handlers.
import { build } from "./app.js";

export default build({ log: false });
