/* fuzz/fuzz_graphprot.c - rbp_dataset_load_pair: positives and negatives FASTA (the input is
 * split in two at "\n=====\n"), then the same pair through the streaming reader. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n1, off2;
    fuzz_split(data, size, &n1, &off2);
    const char *pos = fuzz_write("gp-pos", data, n1);
    const char *neg = fuzz_write("gp-neg", data + off2, size - off2);
    rbp_dataset_options o;
    fuzz_options(&o, RBP_FORMAT_AUTO);
    rbp_dataset *ds = NULL;
    rbp_status st = rbp_dataset_load_pair(&ds, pos, neg, &o);
    fuzz_check(st);
    if (st == RBP_OK)
        fuzz_touch(ds);
    rbp_dataset_free(ds);
    rbp_reader *r = NULL;
    o.length = 16; /* the streaming reader needs a fixed length */
    st = rbp_reader_open_pair(&r, pos, neg, &o);
    fuzz_check(st);
    if (st == RBP_OK) {
        const rbp_dataset *c;
        int32_t rc;
        while ((rc = rbp_reader_next(r, 3, &c)) == 1)
            fuzz_touch(c);
        fuzz_check((rbp_status)(rc < 0 ? rc : 0));
    }
    rbp_reader_free(r);
    return 0;
}
