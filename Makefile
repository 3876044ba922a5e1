# Kiln's entry points. `make demo` and `make test` set up a fresh Debian
# machine themselves (packages via apt-get when root, the kernel via
# apt-get download, Go modules via the module proxy).

GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
export PATH := $(dir $(GO)):$(PATH)
KERNEL_DEB := build/kernel/linux-image-cloud-amd64.deb
export KILN_TEST_KERNEL_DEB := $(CURDIR)/$(KERNEL_DEB)
# Test runs get their own cache so they start cold on purpose only.
TEST_CACHE ?= $(CURDIR)/build/test-cache

.PHONY: all build deps kernel test unit e2e vet fmt-check demo clean fuzz

all: build

build: bin/kiln

bin/kiln: FORCE
	$(GO) build -trimpath -o bin/kiln ./cmd/kiln

FORCE:

deps:
	@scripts/deps.sh

kernel: $(KERNEL_DEB)

$(KERNEL_DEB):
	scripts/fetch-kernel.sh build/kernel

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

# Everything: static checks, unit tests, then the QEMU end-to-end tests.
test: deps kernel fmt-check vet
	XDG_CACHE_HOME=$(TEST_CACHE) $(GO) test -count=1 -timeout 40m ./...

# Everything but the QEMU boots in e2e/.
unit: deps kernel
	$(GO) test -count=1 $$($(GO) list ./... | grep -v /e2e$$)

e2e: deps kernel
	XDG_CACHE_HOME=$(TEST_CACHE) $(GO) test -count=1 -timeout 30m -v ./e2e/

# Build the demo spec and boot it under QEMU until the agent is ready.
demo: deps kernel build
	bin/kiln build -f examples/demo/kiln.yaml -o out/demo
	bin/kiln run out/demo --accel auto --timeout 5m --append kiln.poweroff=ready

clean:
	rm -rf bin out build/test-cache
