// C shim for the datagram receivers (SNMP traps today): many datagrams per system call with recvmmsg,
// which Swift's Glibc module does not export.
#ifndef CECCNET_H
#define CECCNET_H

#include <stddef.h>

/// Receives up to `count` datagrams without waiting (recvmmsg): datagram i lands in `buffers + i * slot`,
/// its length in `lengths[i]`, 1 in `truncated[i]` if it was longer than `slot`, the sender in `addrs`
/// (`addrsize` bytes each) with its length in `addrlens[i]`. Returns how many, 0 when none, -1 on error.
int ecc_udp_receive(int fd, void *buffers, size_t slot, int count, void *addrs, size_t addrsize, unsigned *addrlens,
                    int *lengths, int *truncated);

#endif
