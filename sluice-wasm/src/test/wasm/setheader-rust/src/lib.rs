//! The benchmark's header-setting plugin written with the proxy-wasm Rust SDK: it makes exactly the
//! edits of the AssemblyScript `setheader` plugin (examples/bench-wasm) and of `setheader-raw`
//! (the bare ABI, examples/bench-wasm-raw), so that the three measure what each way of writing a
//! plugin costs per request. It sets (replaces) the request header `x-bench: sluice` and the
//! response header `x-served-by: sluice`; the values are constants, and the plugin configuration
//! is ignored, as `setheader` ignores it.
//!
//! The root context is given the `HttpContext` type so that the SDK creates a stream context for
//! every request (`create_http_context`); nothing is allocated per request beyond the SDK's own
//! boxed context and its entry in the SDK's context map.

use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, LogLevel};

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Warn);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(SetHeaderRoot) });
}}

struct SetHeaderRoot;

impl Context for SetHeaderRoot {}

impl RootContext for SetHeaderRoot {
    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(SetHeader))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

struct SetHeader;

impl Context for SetHeader {}

impl HttpContext for SetHeader {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        // proxy_replace_header_map_value, as the AssemblyScript SDK's headers.request.replace
        self.set_http_request_header("x-bench", Some("sluice"));
        Action::Continue
    }

    fn on_http_response_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        self.set_http_response_header("x-served-by", Some("sluice"));
        Action::Continue
    }
}
