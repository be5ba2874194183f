using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "ours", worker = .oursWorker),
  ],
  sockets = [
    (name = "ours", address = "127.0.0.1:45299", http = (), service = "ours"),
  ],
);

const oursWorker :Workerd.Worker = (
  modules = [
    (name = "entry.js", esModule = embed "edgegate/entry.js"),
    (name = "a448563398de71332235fe95612bb390c0b7c7c2-index_bg.wasm", wasm = embed "edgegate/a448563398de71332235fe95612bb390c0b7c7c2-index_bg.wasm"),
  ],
  compatibilityDate = "2026-11-01",
  bindings = [
    (name = "CORS_ALLOWED_ORIGINS", text = "http://localhost:5173, http://127.0.0.1:5173"),
    (name = "API_KEYS", text = "{\"bench-key-not-secret\":\"bench\"}"),
  ],
);
