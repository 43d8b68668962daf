/* fuzz/fuzz_affys.c - RNAcompete: a FASTA file and its .affys values (split at "\n=====\n");
 * also the FASTA alone with the values in the headers. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n1, off2;
    fuzz_split(data, size, &n1, &off2);
    const char *fa = fuzz_write("rc-fa", data, n1);
    const char *affys = fuzz_write("rc-affys", data + off2, size - off2);
    rbp_dataset_options o;
    fuzz_options(&o, RBP_FORMAT_RNACOMPETE);
    o.affinity_path = affys;
    rbp_dataset *ds = NULL;
    rbp_status st = rbp_dataset_load(&ds, fa, &o);
    fuzz_check(st);
    if (st == RBP_OK)
        fuzz_touch(ds);
    rbp_dataset_free(ds);
    ds = NULL;
    o.affinity_path = NULL;
    st = rbp_dataset_load(&ds, fa, &o);
    fuzz_check(st);
    if (st == RBP_OK)
        fuzz_touch(ds);
    rbp_dataset_free(ds);
    return 0;
}
