SHELL := /bin/bash
# tcplua — `make run` serves examples/seed on port 6666 of every interface (the seed says `listen 6666;`);
# `make test` builds and runs every test.
# Both install what is missing first (Debian packages, the Python test runner).

SWIFT ?= swift
PYTHON ?= python3
APT_PACKAGES := libluajit2-5.1-dev lua-cjson pkg-config gcc libpcre2-dev libssl-dev
# Real servers the cosocket tests drive through Debian's Lua client libraries.
TEST_PACKAGES := redis-server memcached dnsmasq-base python3-websockets
# Debian's pure-Lua cosocket clients, unpacked (not installed: they depend on nginx-extras) for the tests.
LUA_DEBS := lua-nginx-redis lua-nginx-memcached lua-nginx-dns lua-nginx-websocket lua-resty-lrucache
LUA_DEPS := .deps/lua
# The benchmark peers; `make test` checks their configs too, so it installs them as well.
BENCH_PACKAGES := haproxy nginx libnginx-mod-http-lua valgrind
BIN_RELEASE := .build/release/tcplua
BIN_DEBUG := .build/debug/tcplua

.PHONY: deps bench-deps test-deps lua-deps apt build release run test unit integration bench bench-instructions bench-tools clean

## Installs the Debian packages and the Python test runner when missing.
deps:
	@$(MAKE) --no-print-directory apt PACKAGES="$(APT_PACKAGES)"

bench-deps:
	@$(MAKE) --no-print-directory apt PACKAGES="$(APT_PACKAGES) $(BENCH_PACKAGES)"
	@$(PYTHON) -c "import pytest" 2>/dev/null || $(PYTHON) -m pip install -q pytest

test-deps:
	@$(MAKE) --no-print-directory apt PACKAGES="$(TEST_PACKAGES)"
	@$(MAKE) --no-print-directory lua-deps

## Fetches Debian's lua-nginx-* client libraries and lua-resty-lrucache with `apt-get download` and unpacks them
## into .deps/lua.
lua-deps:
	@if [ ! -f $(LUA_DEPS)/nginx/redis.lua ] || [ ! -f $(LUA_DEPS)/nginx/memcached.lua ] || \
	    [ ! -f $(LUA_DEPS)/nginx/dns/resolver.lua ] || [ ! -f $(LUA_DEPS)/nginx/websocket/client.lua ] || \
	    [ ! -f $(LUA_DEPS)/resty/lrucache/pureffi.lua ]; then \
		rm -rf .deps/debs && mkdir -p .deps/debs $(LUA_DEPS) && cd .deps/debs && \
		{ apt-get download $(LUA_DEBS) >/dev/null 2>&1 || { apt-get update -qq && apt-get download $(LUA_DEBS); }; } && \
		for f in *.deb; do dpkg -x $$f root; done && cp -r root/usr/share/lua/5.1/nginx root/usr/share/lua/5.1/resty ../lua/; \
	fi

apt:
	@missing=""; for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

build: deps
	$(SWIFT) build --build-tests

release: deps
	$(SWIFT) build -c release

## Serves examples/seed (its config, init_by_lua.lua and test.lua) in the foreground on port 6666 of every
## interface (the seed's `listen 6666;`).
run: release
	mkdir -p examples/seed/logs
	$(BIN_RELEASE) -p examples/seed/ -c conf/tcplua.conf -g 'daemon off; error_log stderr info;'

test: build bench-tools test-deps
	$(SWIFT) test --skip-build 2>&1 | tail -n 40; test $${PIPESTATUS[0]} -eq 0
	TCPLUA_BIN=$(abspath $(BIN_DEBUG)) $(PYTHON) -m pytest -q tests/integration

unit: build
	$(SWIFT) test --skip-build

integration: build test-deps
	TCPLUA_BIN=$(abspath $(BIN_DEBUG)) $(PYTHON) -m pytest -q tests/integration

## Compiles the load generator and the C floor server.
bench-tools: bench-deps
	mkdir -p bench/out
	gcc -O2 -Wall -Werror -o bench/out/loadgen bench/tools/loadgen.c
	gcc -O2 -Wall -Werror -o bench/out/echo_floor bench/tools/echo_floor.c
	gcc -O2 -Wall -Werror -shared -fPIC -o bench/out/malloc_count.so tests/support/malloc_count.c

## Side-by-side benchmark (about 10 minutes; QUICK=1: about one minute). Results: bench/out/results.md.
bench: release bench-tools
	LD_PRELOAD=$(abspath bench/out/malloc_count.so) .build/release/tcplua-microbench $(if $(QUICK),50000,500000)
	$(PYTHON) bench/run.py $(if $(QUICK),--quick) $(if $(ONLY),--only $(ONLY))
	$(PYTHON) bench/callgrind.py --requests $(if $(QUICK),5000,20000)
	$(PYTHON) bench/callgrind.py --inflight --access-log off --peers --requests $(if $(QUICK),5000,20000)
	@if command -v perf >/dev/null; then $(PYTHON) bench/syscalls.py; \
	else echo "bench/syscalls.py skipped: perf is not installed (Debian: linux-perf)"; fi
	$(PYTHON) bench/timers.py $(if $(QUICK),--timers 2000 --reps 1)

## User-space instructions per W1 request (callgrind), tcplua against the C floor and the Lua peers.
bench-instructions: release bench-tools
	$(PYTHON) bench/callgrind.py
	$(PYTHON) bench/callgrind.py --inflight --access-log off --peers

clean:
	rm -rf .build
