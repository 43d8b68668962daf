/* fuzz/fuzz_stream.c - the streaming reader on a FILE* (format and gzip sniffed from the
 * bytes, as for stdin), in chunks of 1 and then 7 records, with a fixed length. The chunks
 * must add up to what rbp_reader_count reports. */
#include "fuzz_common.h"

static void stream(const uint8_t *data, size_t size, size_t chunk, int32_t truncate)
{
    FILE *fp = fmemopen((void *)(uintptr_t)data, size, "rb");
    if (!fp)
        return; /* fmemopen of 0 bytes fails on some libcs */
    rbp_dataset_options o;
    fuzz_options(&o, RBP_FORMAT_AUTO);
    o.length = 12;
    o.truncate = truncate;
    o.require_target = chunk == 1; /* labelled and unlabelled reading */
    o.target_column = chunk == 1 ? o.target_column : NULL;
    rbp_reader *r = NULL;
    rbp_status st = rbp_reader_open_file(&r, fp, "fuzz-input", &o);
    fuzz_check(st);
    if (st == RBP_OK) {
        const rbp_dataset *c;
        int32_t rc;
        uint64_t total = 0;
        while ((rc = rbp_reader_next(r, chunk, &c)) == 1) {
            if (rbp_dataset_size(c) == 0 || rbp_dataset_size(c) > chunk)
                abort();
            total += rbp_dataset_size(c);
            fuzz_touch(c);
        }
        fuzz_check((rbp_status)(rc < 0 ? rc : 0));
        if (rc == 0 && total != rbp_reader_count(r))
            abort();
        (void)rbp_reader_progress(r);
    }
    rbp_reader_free(r);
    fclose(fp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    stream(data, size, 1, RBP_TRUNCATE_RIGHT);
    stream(data, size, 7, RBP_TRUNCATE_CENTER);
    return 0;
}
