#!/usr/bin/env bash
# Regenerates the README screenshots (desktop and phone) in docs/ from a real run.
cd "$(dirname "$0")/.." && OPENRUNTIME_SCREENSHOTS=1 exec .tools/node_modules/.bin/bun test --isolate --timeout 120000 tests/e2e/review-flow.test.ts tests/e2e/conversation.test.ts
