//! A proxy-wasm plugin written with the Rust SDK: it does what the AssemblyScript `headers` and
//! `auth` fixtures do, through a second SDK's calling conventions.
//!
//! Its plugin configuration is the value it adds as `x-rust-request` on the request (followed by
//! the request's `:path`, read through `proxy_get_header_map_value`, and the `route_name`
//! property) and as `x-rust-response` on the response. It removes `x-remove-me` from the request
//! and `x-upstream` from the response. In the request phase it sets the property
//! `sluice_rust.path` and in the response phase it returns it as `x-rust-property`. A request
//! carrying `x-deny` is answered locally: 403, `x-denied-by: rust`, body `denied by rust`. A
//! buffered request body `B` of `n` bytes is replaced by `rust read n bytes: B` (read and written
//! with the SDK's "to the end" size, `usize::MAX`). A request carrying `x-set-properties: n` has
//! the plugin set `n` more properties (`sluice_rust.p0`...), and one carrying `x-set-property:
//! a.b` sets that one: a host refusal makes the SDK panic, which fails the request. An empty
//! configuration is refused in `on_configure`.

use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, LogLevel};
use std::rc::Rc;

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> {
        Box::new(Root { configuration: Rc::new(String::new()) })
    });
}}

struct Root {
    configuration: Rc<String>,
}

impl Context for Root {}

impl RootContext for Root {
    fn on_configure(&mut self, _plugin_configuration_size: usize) -> bool {
        let configuration = self
            .get_plugin_configuration()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .unwrap_or_default();
        if configuration.is_empty() {
            log::warn!("rust fixture: the configuration is empty; expected the header value to add");
            return false;
        }
        self.configuration = Rc::new(configuration);
        true
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Stream { configuration: Rc::clone(&self.configuration) }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

struct Stream {
    configuration: Rc<String>,
}

impl Context for Stream {}

impl HttpContext for Stream {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        if self.get_http_request_header("x-deny").is_some() {
            self.send_http_response(
                403,
                vec![("x-denied-by", "rust"), ("content-type", "text/plain")],
                Some(b"denied by rust"),
            );
            return Action::Pause;
        }
        let path = self.get_http_request_header(":path").unwrap_or_default();
        let route = self
            .get_property(vec!["route_name"])
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .unwrap_or_default();
        self.set_property(vec!["sluice_rust", "path"], Some(path.as_bytes()));
        let extra: usize = self
            .get_http_request_header("x-set-properties")
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        for i in 0..extra {
            self.set_property(vec!["sluice_rust", &format!("p{}", i)], Some(b"x"));
        }
        if let Some(name) = self.get_http_request_header("x-set-property") {
            self.set_property(name.split('.').collect(), Some(b"x"));
        }
        let value = format!("{} {} {}", self.configuration, path, route);
        self.add_http_request_header("x-rust-request", &value);
        self.set_http_request_header("x-remove-me", None);
        Action::Continue
    }

    fn on_http_request_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        if !end_of_stream || body_size == 0 {
            return Action::Continue;
        }
        if let Some(body) = self.get_http_request_body(0, usize::MAX) {
            let replaced = format!("rust read {} bytes: {}", body.len(), String::from_utf8_lossy(&body));
            self.set_http_request_body(0, usize::MAX, replaced.as_bytes());
        }
        Action::Continue
    }

    fn on_http_response_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        self.add_http_response_header("x-rust-response", &self.configuration);
        if let Some(seen) = self.get_property(vec!["sluice_rust", "path"]) {
            self.add_http_response_header("x-rust-property", &String::from_utf8_lossy(&seen));
        }
        self.set_http_response_header("x-upstream", None);
        Action::Continue
    }
}
