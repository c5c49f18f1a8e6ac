#include "CEccProcess.h"

#include <malloc.h>

uint64_t ecc_heap_in_use(void) {
    struct mallinfo2 m = mallinfo2();
    return (uint64_t)m.uordblks + (uint64_t)m.hblkhd;
}

uint64_t ecc_heap_free(void) {
    struct mallinfo2 m = mallinfo2();
    return (uint64_t)m.fordblks;
}

int ecc_heap_trim(void) { return malloc_trim(0); }
