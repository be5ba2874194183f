// What the end-to-end tests and the benchmark share for running the project's
// own tools locally: where they are, the environment they run in, free ports.
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const BIN = path.join(ROOT, "node_modules", ".bin");
/** Run with this Node (22, from node_modules): wrangler needs it. */
export const WRANGLER = path.join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
export const WORKERD = path.join(ROOT, "node_modules", "@cloudflare", "workerd-linux-64", "bin", "workerd");
/** The development frontend origin, allowed by wrangler.toml's CORS setting. */
export const FRONTEND = "http://localhost:5173";

/** node_modules/.bin first on PATH (for wrangler's build command), quiet, no telemetry. */
export const TOOL_ENV = {
  ...process.env,
  PATH: `${BIN}${path.delimiter}${process.env.PATH}`,
  NO_COLOR: "1",
  FORCE_COLOR: "0",
  WRANGLER_SEND_METRICS: "false",
  CI: "true",
};

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
