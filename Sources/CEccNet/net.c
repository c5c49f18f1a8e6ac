// See include/CEccNet.h.
#define _GNU_SOURCE 1
#include "CEccNet.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

int ecc_udp_receive(int fd, void *buffers, size_t slot, int count, void *addrs, size_t addrsize, unsigned *addrlens,
                    int *lengths, int *truncated) {
    struct mmsghdr m[64];
    struct iovec io[64];
    if (count > 64) count = 64;
    for (int i = 0; i < count; i++) {
        io[i].iov_base = (char *)buffers + (size_t)i * slot;
        io[i].iov_len = slot;
        memset(&m[i], 0, sizeof m[i]);
        m[i].msg_hdr.msg_name = (char *)addrs + (size_t)i * addrsize;
        m[i].msg_hdr.msg_namelen = (socklen_t)addrsize;
        m[i].msg_hdr.msg_iov = &io[i];
        m[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(fd, m, (unsigned)count, MSG_DONTWAIT, NULL);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    for (int i = 0; i < n; i++) {
        lengths[i] = (int)m[i].msg_len;
        truncated[i] = (m[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
        addrlens[i] = m[i].msg_hdr.msg_namelen;
    }
    return n;
}
