/* fuzz/fuzz_lines.c - rbp_dataset_load of one lines file (format forced, so the parser always runs). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_load(data, size, RBP_FORMAT_LINES, "lines");
    return 0;
}
