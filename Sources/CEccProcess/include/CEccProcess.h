// C shim for what eccd reports about its own process that Swift's Glibc module does not expose.
#ifndef CECCPROCESS_H
#define CECCPROCESS_H

#include <stdint.h>

/// Bytes of heap the process's allocations hold right now (glibc's mallinfo2: in-use arena blocks and
/// mmapped blocks), as opposed to its resident set, which also keeps what was freed but not returned.
uint64_t ecc_heap_in_use(void);

#endif
