# memsched and knumad: keep threads and their memory on one NUMA node.
# `make help` lists the targets.  Kernel sources and builds live in build/.

CONFIG ?= test
NODES ?= 2
CPUS ?= 4
MEM ?= 2G
S := scripts

.PHONY: help deps tree kernel qemu run shell test selftests stress bench clean distclean

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | \
		awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'
	@echo "  variables: CONFIG=test|bench|nomemsched NODES=$(NODES) CPUS=$(CPUS) MEM=$(MEM)"

deps: ## install the Debian packages the build and the VM need
	@$(S)/deps.sh

tree: deps ## assemble build/src: Debian's linux-source + patches/ + overlay
	@$(S)/tree.sh

kernel: tree ## build one kernel: build/$(CONFIG)/arch/x86/boot/bzImage
	@$(S)/kernel.sh $(CONFIG)

qemu: deps ## Debian's QEMU + tools/qemu/patches: build/qemu/qemu-system-x86_64
	@$(S)/qemu.sh

run: ## the demo: boot a 2-node guest and show memsched at work
	@$(MAKE) --no-print-directory kernel CONFIG=$(CONFIG)
	@$(S)/demo.sh

shell: kernel ## interactive shell in a guest (NODES, CPUS, MEM)
	@$(S)/vm-run --config $(CONFIG) --nodes $(NODES) --cpus $(CPUS) \
		--mem $(MEM) --interactive

test: tree ## everything CI runs; ends with "N passed, N failed"
	@$(S)/run-tests.sh

selftests: kernel ## build and run only the memsched kselftests (NODES...)
	@$(S)/kernel.sh $(CONFIG) headers >/dev/null
	@$(MAKE) --no-print-directory -C build/src/tools/testing/selftests \
		TARGETS=memsched O=$(CURDIR)/build/kselftest/out \
		KHDR_INCLUDES="-isystem $(CURDIR)/build/$(CONFIG)/usr/include" \
		INSTALL_PATH=$(CURDIR)/build/kselftest/install install >/dev/null
	@cd build/kselftest/install && $(CURDIR)/$(S)/vm-run --config $(CONFIG) \
		--nodes $(NODES) --cpus $(CPUS) --mem $(MEM) -- ./run_kselftest.sh

stress: tree ## fuzzing, fault injection, abuse, hotplug (STRESS_S per phase)
	@$(S)/stress.sh

bench: tree ## every workload x none/mainline/numad/knumad/memsched/hardbind (BENCH_*)
	@$(S)/bench.sh

clean: ## remove the kernel builds, keep the unpacked source
	rm -rf build/test build/bench build/nomemsched build/inner build/kselftest build/vm-logs \
		build/bench-results

distclean: ## remove everything under build/
	rm -rf build
