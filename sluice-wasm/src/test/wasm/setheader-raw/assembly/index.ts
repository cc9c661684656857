// A header-setting proxy-wasm plugin written against the ABI (0.2.1) directly, without an SDK: the
// lower bound of what a plugin costs in Sluice's host (context create, two header callbacks, the
// context's end) when the plugin itself does next to nothing. Sets X-Bench: sluice on the request
// and X-Served-By: sluice on the response, as setheader does with @solo-io/proxy-runtime.
// bin/build-wasm-fixtures setheader-raw rebuilds it.

@external("env", "proxy_replace_header_map_value")
declare function proxy_replace_header_map_value(map: u32, key: usize, keySize: usize, value: usize, valueSize: usize): u32;

const REQUEST_HEADERS: u32 = 0;
const RESPONSE_HEADERS: u32 = 2;
const CONTINUE: u32 = 0;

const benchKey = String.UTF8.encode("x-bench");
const servedByKey = String.UTF8.encode("x-served-by");
const value = String.UTF8.encode("sluice");

export function proxy_abi_version_0_2_1(): void {}

// The host allocates here only for data it returns to the plugin, which this plugin never asks for.
export function proxy_on_memory_allocate(size: usize): usize {
  return heap.alloc(size);
}

export function proxy_on_vm_start(rootContextId: u32, configurationSize: u32): u32 { return 1; }
export function proxy_on_configure(rootContextId: u32, configurationSize: u32): u32 { return 1; }
export function proxy_on_context_create(contextId: u32, parentContextId: u32): void {}

export function proxy_on_request_headers(contextId: u32, headers: u32, endOfStream: u32): u32 {
  proxy_replace_header_map_value(REQUEST_HEADERS, changetype<usize>(benchKey), benchKey.byteLength, changetype<usize>(value), value.byteLength);
  return CONTINUE;
}

export function proxy_on_response_headers(contextId: u32, headers: u32, endOfStream: u32): u32 {
  proxy_replace_header_map_value(RESPONSE_HEADERS, changetype<usize>(servedByKey), servedByKey.byteLength, changetype<usize>(value), value.byteLength);
  return CONTINUE;
}

export function proxy_on_done(contextId: u32): u32 { return 1; }
export function proxy_on_log(contextId: u32): void {}
export function proxy_on_delete(contextId: u32): void {}
