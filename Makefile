# The two commands of the README: `make run` and `make test`. Both install what they need
# from Debian's packages first, so they work on a fresh machine and in CI's clean clone.

SWIFT        ?= swift
CONFIG       ?= debug
DATA         ?= ./data
BIN           = .build/$(CONFIG)/chat
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
VENV          = .build/python-venv
WEB_VENV      = .build/web-venv

# Debian packages: librdkafka and the codecs the broker decompresses when compacting,
# OpenSSL's libcrypto (hashes, tokens), SQLite for projections, kcat for tests and for
# inspecting topics, Python for the client-compatibility suite, Chromium and its WebDriver for
# the web client's browser test, curl for streamed uploads in the media tests.
PACKAGES = pkg-config librdkafka-dev kcat libssl-dev zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev libsqlite3-dev \
           python3 python3-venv chromium chromium-driver curl

.PHONY: all deps build run test test-swift test-python test-web bench clean

all: build

deps:
	@missing="$$(for package in $(PACKAGES); do dpkg -s $$package >/dev/null 2>&1 || echo $$package; done)"; \
	if [ -n "$$missing" ]; then \
		echo "Installing:" $$missing; \
		$(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build -c $(CONFIG) --product chat

## Starts the whole system on this machine: embedded broker, processor and gateway, data in $(DATA).
run: build
	$(BIN) serve --data $(DATA)

## Builds everything and runs every test: Swift suites, the Python client suite, the web client in Chromium.
test: test-swift test-python test-web

## The failures are printed again at the end, where a log cut to its last lines still shows them.
test-swift: deps
	$(SWIFT) build --build-tests
	@{ $(SWIFT) test --skip-build 2>&1; echo $$? > .build/swift-test.status; } | tee .build/swift-test.log; \
	status=$$(cat .build/swift-test.status); \
	if [ "$$status" != 0 ]; then echo "--- failures:"; grep -E '✘|error:|Fatal' .build/swift-test.log | tail -n 40; fi; \
	exit $$status

test-python: deps
	$(SWIFT) build --product chat
	@[ -x $(VENV)/bin/python ] || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -r Tests/python/requirements.txt
	CHAT_BINARY=.build/debug/chat $(VENV)/bin/python -m pytest -q Tests/python

## The web client in two headless Chromium sessions against a real server; screenshots go to
## .build/web-screenshots/.
test-web: deps
	$(SWIFT) build --product chat
	@[ -x $(WEB_VENV)/bin/python ] || python3 -m venv $(WEB_VENV)
	$(WEB_VENV)/bin/pip install -q -r Tests/web/requirements.txt
	CHAT_BINARY=.build/debug/chat $(WEB_VENV)/bin/python -m pytest -q Tests/web

## Benchmarks (release build); figures go to docs/benchmarks.md.
bench: deps
	$(SWIFT) build -c release --product chat
	$(SWIFT) build -c release --product chat-bench
	.build/release/chat-bench kafka
	.build/release/chat-bench chat
	.build/release/chat-bench replay

clean:
	rm -rf .build
