#!/bin/sh
# Regenerate the committed descriptor sets with an independent compiler: Debian's
# system protoc (apt-get install protobuf-compiler; libprotoc 3.21.12 made the
# committed files). wiretool itself compiles .proto files with grpcio-tools; these
# sets check that what another protoc writes loads the same way.
set -eu
cd "$(dirname "$0")"
protoc -I . -I ../../../samples/shop --include_imports -o service.pb service.proto
protoc -I . --include_imports -o legacy.pb legacy.proto
# Without --include_imports: wiretool must supply the well-known types itself.
protoc -I ../../../samples/shop -o shop_no_imports.pb shop.proto
