using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "bare", worker = .bareWorker),
  ],
  sockets = [
    (name = "bare", address = "127.0.0.1:36225", http = (), service = "bare"),
  ],
);

const bareWorker :Workerd.Worker = (
  modules = [ (name = "bare.js", esModule = embed "bare.js") ],
  compatibilityDate = "2026-11-01",
);
