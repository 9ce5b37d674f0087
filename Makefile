# Rehearse — build, test and demo on a fresh Debian machine with the Swift toolchain.
#   make demo   the whole story on loopback: synth, reference platforms old and new, a scenario run
#               (feed bench, gateway replay, A/B compare), a capacity ramp, report.html and the history
#   make test   run the test suite (installs libpcap-dev, zlib and SQLite headers, chromium, poppler-utils, and Python's hdrhistogram and prometheus-client, when missing)
SWIFT ?= swift
CONFIG ?= release
BIN = .build/$(CONFIG)/rehearse

.PHONY: all deps build test layers demo bench fuzz instructions clean

all: build

# System libraries: libpcap (BPF filters, live capture), zlib headers (gzip captures, compressed OMD-D),
# SQLite headers (the run history, through GRDB); for the tests, headless Chromium and pdftotext (the
# report laid out, measured and printed to PDF).
deps:
	@missing=""; \
	pkg-config --exists libpcap 2>/dev/null || [ -f /usr/include/pcap/pcap.h ] || missing="$$missing libpcap-dev"; \
	[ -f /usr/include/zlib.h ] || missing="$$missing zlib1g-dev"; \
	[ -f /usr/include/sqlite3.h ] || missing="$$missing libsqlite3-dev"; \
	command -v pkg-config >/dev/null || missing="$$missing pkg-config"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	command -v jq >/dev/null || missing="$$missing jq"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
	@# Independent readers of what we write, for the tests: HdrHistogram's Python implementation (our
	@# interval logs) and the Prometheus client's text-format parser (our metrics endpoint).
	@# The Kubernetes API's schemas, offline (deploy/kubernetes is validated against them).
	@python3 -c 'import hdrh, prometheus_client, kubernetes_validate' 2>/dev/null || { echo "installing: hdrhistogram, prometheus-client, kubernetes-validate (PyPI)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  python3 -m pip --version >/dev/null 2>&1 || { $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq python3-pip >/dev/null; }; \
	  python3 -m pip install -q hdrhistogram==0.10.3 prometheus-client==0.26.0 kubernetes-validate==1.37.0 2>/dev/null \
	    || python3 -m pip install -q --break-system-packages hdrhistogram==0.10.3 prometheus-client==0.26.0 kubernetes-validate==1.37.0; }

# Release builds link the Swift runtime and Foundation statically (`--static-swift-stdlib`, also in
# scripts/): the binary runs on a machine without a Swift toolchain and starts faster (no dynamic
# binding of ~20 libraries). Use the same flags for every release build, or SwiftPM rebuilds all.
STATIC = $(if $(filter release,$(CONFIG)),--static-swift-stdlib,)

build: deps
	$(SWIFT) build -c $(CONFIG) $(STATIC)

test: deps layers
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --parallel
	.build/debug/FeedBenchExample
	@# Every `rehearse …` example in README.md, on loopback, exiting as the README says.
	python3 scripts/readme-examples.py .build/debug/rehearse

# Every import points downwards (docs/ARCHITECTURE.md); the self-test proves a bad import is caught.
layers:
	python3 scripts/check-layers.py
	python3 scripts/check-layers.py --self-test

demo: build
	scripts/demo.sh $(BIN)

bench: build
	scripts/bench-inspect.sh
	scripts/bench-replay.sh
	scripts/bench-gateway.sh
	scripts/bench-compare.sh
	SECTIONS=keep-up scripts/bench-watch.sh

fuzz:
	scripts/fuzz-reader.sh 600

# Instruction counts of the hot paths at two revisions: make instructions BEFORE=<rev> [AFTER=HEAD]
instructions:
	scripts/instructions.sh $(BEFORE) $(or $(AFTER),HEAD)

clean:
	rm -rf .build out
