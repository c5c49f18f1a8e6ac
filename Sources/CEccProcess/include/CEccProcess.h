// C shim for what eccd reports about its own process that Swift's Glibc module does not expose.
#ifndef CECCPROCESS_H
#define CECCPROCESS_H

#include <stdint.h>

/// Bytes of heap the process's allocations hold right now (glibc's mallinfo2: in-use arena blocks and
/// mmapped blocks), as opposed to its resident set, which also keeps what was freed but not returned.
uint64_t ecc_heap_in_use(void);

/// Bytes the allocator holds free inside its arenas (glibc's mallinfo2 `fordblks`): memory the process
/// keeps after a burst although nothing uses it.
uint64_t ecc_heap_free(void);

/// Gives the allocator's free memory back to the kernel (glibc's malloc_trim(0)); returns 1 if some was.
int ecc_heap_trim(void);

#endif
