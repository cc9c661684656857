#!/usr/bin/env python3
"""A tiny gRPC service for the README's tour: grpc.health.v1.Health/Check on 127.0.0.1:50051.

It answers every Check with SERVING, encoded by hand (field 1, varint 1: b"\\x08\\x01"), so it
needs only Debian's python3-grpcio, no generated code. Stop it with Ctrl-C.
"""
import sys
from concurrent import futures

import grpc

SERVING = b"\x08\x01"


def check(request, context):
    return SERVING


def main():
    address = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:50051"
    handler = grpc.method_handlers_generic_handler(
        "grpc.health.v1.Health", {"Check": grpc.unary_unary_rpc_method_handler(check)})
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2), handlers=[handler])
    server.add_insecure_port(address)
    server.start()
    print("grpc.health.v1.Health on " + address, flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
