//! edgegate: an API gateway and function router in one Rust/WebAssembly
//! worker. The core (everything but `adapter`) never touches JS types, so it
//! is tested on the host through [`gateway::Gateway::handle`].

pub mod app;
pub mod config;
pub mod extract;
pub mod gateway;
pub mod handler;
pub mod http;
pub mod items;
pub mod policy;
pub mod problem;
pub mod routing;
pub mod testing;

pub mod adapter;
