#!/bin/sh
# Makes this checkout runnable on a machine that has only Node.js, npm and git:
# the pinned Bun from the npm registry into .tools/, then the locked dependencies.
# With "test" it also installs what the test suite drives for real: the pinned agent
# CLIs (into .tools/agents, never needed to run the server) and Debian's Chromium, bubblewrap and
# PostgreSQL (for the broker tests; the package's own cluster is not used).
# Every step is skipped when already done, so it is cheap to run before each start.
set -eu
cd "$(dirname "$0")/.."

BUN_VERSION=1.4.5
CLAUDE_CODE_VERSION=2.1.330
CODEX_VERSION=0.169.0
BUN=.tools/node_modules/.bin/bun

if [ ! -x "$BUN" ] || [ "$("$BUN" --version 2>/dev/null)" != "$BUN_VERSION" ]; then
  echo "bootstrap: installing bun@$BUN_VERSION into .tools/" >&2
  mkdir -p .tools
  # A package.json makes the folder its own npm root, so installs never walk up into the project.
  [ -f .tools/package.json ] || echo '{"private":true}' > .tools/package.json
  npm install --no-save --no-audit --no-fund --loglevel=error --prefix .tools "bun@$BUN_VERSION" >&2
fi

# Reinstall only when the lockfile changed since the last install.
stamp=node_modules/.openruntime-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s bun.lock "$stamp"; then
  echo "bootstrap: installing locked dependencies" >&2
  "$BUN" install --frozen-lockfile >&2
  cp bun.lock "$stamp"
fi

[ "${1:-}" = "test" ] || exit 0

agents=.tools/agents
want="claude-code@$CLAUDE_CODE_VERSION codex@$CODEX_VERSION"
if [ "$(cat "$agents/.versions" 2>/dev/null)" != "$want" ]; then
  echo "bootstrap: installing the agent CLIs used by the tests into $agents" >&2
  mkdir -p "$agents"
  [ -f "$agents/package.json" ] || echo '{"private":true}' > "$agents/package.json"
  npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$agents" \
    "@anthropic-ai/claude-code@$CLAUDE_CODE_VERSION" "@openai/codex@$CODEX_VERSION" >&2
  echo "$want" > "$agents/.versions"
fi

missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v bwrap >/dev/null 2>&1 || missing="$missing bubblewrap"
# The broker tests make a throw-away PostgreSQL cluster with Debian's initdb (tests/support/postgres.ts).
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing="$missing postgresql"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: apt-get install$missing" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >&2
  else
    echo "bootstrap: please install$missing (tests that need them will fail)" >&2
  fi
fi
