using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "ours", worker = .oursWorker),
    (name = "hono", worker = .honoWorker),
  ],
  sockets = [
    (name = "ours", address = "127.0.0.1:33045", http = (), service = "ours"),
    (name = "hono", address = "127.0.0.1:45723", http = (), service = "hono"),
  ],
);

const oursWorker :Workerd.Worker = (
  modules = [
    (name = "entry.js", esModule = embed "edgegate/entry.js"),
    (name = "a087e54aa8100a908da6d9652dea841ec12500ed-index_bg.wasm", wasm = embed "edgegate/a087e54aa8100a908da6d9652dea841ec12500ed-index_bg.wasm"),
  ],
  compatibilityDate = "2026-11-01",
  bindings = [
    (name = "CORS_ALLOWED_ORIGINS", text = "http://localhost:5173, http://127.0.0.1:5173"),
    (name = "API_KEYS", text = "{\"bench-key-not-secret\":\"bench\"}"),
  ],
);

const honoWorker :Workerd.Worker = (
  modules = [ (name = "hono.js", esModule = embed "hono.js") ],
  compatibilityDate = "2026-11-01",
  bindings = [
    (name = "CORS_ALLOWED_ORIGINS", text = "http://localhost:5173, http://127.0.0.1:5173"),
    (name = "API_KEYS", text = "{\"bench-key-not-secret\":\"bench\"}"),
  ],
);
