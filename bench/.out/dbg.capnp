using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "ours", worker = .oursWorker),
  ],
  sockets = [
    (name = "ours", address = "127.0.0.1:39555", http = (), service = "ours"),
  ],
);

const oursWorker :Workerd.Worker = (
  modules = [
    (name = "entry.js", esModule = embed "edgegate/entry.js"),
    (name = "2223a1dff89d51dfc7c1017b175ab1f5da2de21b-index_bg.wasm", wasm = embed "edgegate/2223a1dff89d51dfc7c1017b175ab1f5da2de21b-index_bg.wasm"),
  ],
  compatibilityDate = "2026-11-01",
  bindings = [
    (name = "CORS_ALLOWED_ORIGINS", text = "http://localhost:5173, http://127.0.0.1:5173"),
    (name = "API_KEYS", text = "{\"bench-key-not-secret\":\"bench\"}"),
  ],
);
