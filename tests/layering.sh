#!/usr/bin/env bash
# The lower layers never include the higher ones (docs/DESIGN.md, "Layers"):
#   util < data < io (model files) < features < models < eval, serve, home, ... < cli
# Two data-layer files are documented exceptions: data/synth.cc fits ials to shape synthetic data, and
# data/import_events.cc reads the service's event database (serve/event_store.h).
set -euo pipefail
cd "$(dirname "$0")/.."
higher_than() {  # the include prefixes a layer must not use
  case $1 in
    util) echo "data|io|features|models|eval|serve|home|ope|ab|audio|context|distributed|cli|deep" ;;
    data) echo "io|features|models|eval|serve|home|ope|ab|audio|context|distributed|cli|deep" ;;
    io) echo "features|models|eval|serve|home|ope|ab|audio|context|distributed|cli|deep" ;;
    features) echo "models|eval|serve|home|ope|ab|context|distributed|cli|deep" ;;
  esac
}
bad=0
for layer in util data io features; do
  hits=$(grep -rnE "#include \"($(higher_than $layer))/" "src/$layer" \
           | grep -vE '^src/data/synth\.cc:.*"models/|^src/data/import_events\.cc:.*"serve/event_store\.h"' || true)
  if [ -n "$hits" ]; then
    echo "layering: src/$layer includes a higher layer:"; echo "$hits"; bad=1
  fi
done
[ $bad = 0 ] && echo "layering: ok"
exit $bad
