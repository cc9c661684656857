#!/bin/sh
# Rebuilds things.pb (a FileDescriptorSet with its imports) from things.proto.
# Needs protoc from grpc_tools (Debian: apt-get install python3-grpc-tools).
set -eu
cd "$(dirname "$0")"
/usr/bin/python3 -m grpc_tools.protoc -I. -I/usr/lib/python3/dist-packages/grpc_tools/_proto \
  --include_imports --descriptor_set_out=things.pb things.proto
