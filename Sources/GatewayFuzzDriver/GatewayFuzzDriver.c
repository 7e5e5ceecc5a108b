#include "GatewayFuzzDriver.h"

// Weak: resolved only when -sanitize=fuzzer links libFuzzer, so a plain build links too.
// SwiftPM renames an executable's entry point to main, which would hide libFuzzer's own main;
// the Swift main calls the driver instead.
extern int LLVMFuzzerRunDriver(int *argc, char ***argv, gateway_fuzz_callback callback) __attribute__((weak));

int gateway_fuzz_driver_available(void) { return LLVMFuzzerRunDriver != NULL; }

int gateway_fuzz_run_driver(int *argc, char ***argv, gateway_fuzz_callback callback) {
    if (LLVMFuzzerRunDriver == NULL) {
        return -1;
    }
    return LLVMFuzzerRunDriver(argc, argv, callback);
}
