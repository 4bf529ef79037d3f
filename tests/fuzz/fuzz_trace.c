/*
 * Fuzz target: the trace reader of `dsim replay` (viz/jsonl.c) and the viewer's
 * model (viz/model.c). Any bytes must give an error or a store whose records
 * the model applies, forwards and by seeking back, without a crash. Built by
 * `make fuzz` with libFuzzer (FUZZ_MAIN defined); without it, tests/check_fuzz.c
 * runs fuzz_trace() on every file of tests/fuzz/trace/ (seeds and past crashes).
 */
#include <stddef.h>
#include <stdint.h>

#include "viz/model.h"
#include "viz/store.h"

int fuzz_trace(const uint8_t *data, size_t size);

int fuzz_trace(const uint8_t *data, size_t size)
{
    viz_store st;
    viz_store_init(&st);
    char err[200];
    if (viz_store_load_text(&st, (const char *)data, size, err, sizeof(err)) == 0) {
        viz_model m;
        viz_model_init(&m, &st);
        viz_model_seek(&m, st.count);
        viz_model_seek(&m, st.count / 2);
        viz_model_seek(&m, st.count);
        viz_model_free(&m);
    }
    viz_store_free(&st);
    return 0;
}

#ifdef FUZZ_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_trace(data, size); }
#endif
