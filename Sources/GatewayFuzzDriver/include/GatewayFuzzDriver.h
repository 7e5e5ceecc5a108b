#ifndef GATEWAY_FUZZ_DRIVER_H
#define GATEWAY_FUZZ_DRIVER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's per-input callback (LLVMFuzzerTestOneInput's signature).
typedef int (*gateway_fuzz_callback)(const uint8_t *data, size_t size);

/// 1 when the binary was linked with libFuzzer (-sanitize=fuzzer), else 0.
int gateway_fuzz_driver_available(void);

/// Runs libFuzzer's driver (LLVMFuzzerRunDriver) with the command line; -1 when not linked.
int gateway_fuzz_run_driver(int *argc, char ***argv, gateway_fuzz_callback callback);

#endif
