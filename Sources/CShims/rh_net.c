#define _GNU_SOURCE
#include "rh_net.h"
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

static socklen_t fill_address(struct sockaddr_storage *storage, int family, const uint8_t *address, uint16_t port) {
    memset(storage, 0, sizeof *storage);
    if (family == 6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)storage;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        memcpy(&a->sin6_addr, address, 16);
        return sizeof *a;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)storage;
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    memcpy(&a->sin_addr, address, 4);
    return sizeof *a;
}

static int fail(int fd) {
    int e = errno;
    if (fd >= 0) close(fd);
    return -e;
}

int rh_udp_connect(int family, const uint8_t *address, uint16_t port, const rh_sender_options *o) {
    int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    if (o->send_buffer > 0 && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &o->send_buffer, sizeof(int)) < 0) return fail(fd);
    if (family == 6) {
        if (o->multicast_ttl >= 0 && setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &o->multicast_ttl, sizeof(int)) < 0) return fail(fd);
        if (o->multicast_loop >= 0 && setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &o->multicast_loop, sizeof(int)) < 0) return fail(fd);
        if (o->interface_index > 0 && setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &o->interface_index, sizeof(int)) < 0) return fail(fd);
    } else {
        if (o->multicast_ttl >= 0) {
            unsigned char ttl = (unsigned char)o->multicast_ttl;
            if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, 1) < 0) return fail(fd);
        }
        if (o->multicast_loop >= 0) {
            unsigned char loop = (unsigned char)o->multicast_loop;
            if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, 1) < 0) return fail(fd);
        }
        if (o->interface_v4) {
            struct in_addr a; memcpy(&a, o->interface_v4, 4);
            if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &a, sizeof a) < 0) return fail(fd);
        }
    }
    struct sockaddr_storage s;
    socklen_t length = fill_address(&s, family, address, port);
    if (connect(fd, (struct sockaddr *)&s, length) < 0) return fail(fd);
    return fd;
}

int rh_udp_bind(int family, const uint8_t *address, uint16_t port, int receive_buffer) {
    int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) return fail(fd);
    if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) < 0) return fail(fd);
    if (setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one) < 0) return fail(fd);
    if (receive_buffer > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &receive_buffer, sizeof(int)) < 0 &&
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(int)) < 0) return fail(fd);
    struct sockaddr_storage s;
    socklen_t length = fill_address(&s, family, address, port);
    if (bind(fd, (struct sockaddr *)&s, length) < 0) return fail(fd);
    return fd;
}

int rh_udp_join(int fd, int family, const uint8_t *group, const uint8_t *interface_v4, int interface_index,
                const uint8_t *source) {
    if (family == 6) {
        if (source) {
            struct group_source_req r; memset(&r, 0, sizeof r);
            r.gsr_interface = interface_index;
            fill_address(&r.gsr_group, 6, group, 0);
            fill_address(&r.gsr_source, 6, source, 0);
            return setsockopt(fd, IPPROTO_IPV6, MCAST_JOIN_SOURCE_GROUP, &r, sizeof r) < 0 ? -errno : 0;
        }
        struct ipv6_mreq m; memset(&m, 0, sizeof m);
        memcpy(&m.ipv6mr_multiaddr, group, 16);
        m.ipv6mr_interface = interface_index;
        return setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m, sizeof m) < 0 ? -errno : 0;
    }
    if (source) {
        struct ip_mreq_source m; memset(&m, 0, sizeof m);
        memcpy(&m.imr_multiaddr, group, 4);
        memcpy(&m.imr_sourceaddr, source, 4);
        if (interface_v4) memcpy(&m.imr_interface, interface_v4, 4);
        return setsockopt(fd, IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP, &m, sizeof m) < 0 ? -errno : 0;
    }
    struct ip_mreq m; memset(&m, 0, sizeof m);
    memcpy(&m.imr_multiaddr, group, 4);
    if (interface_v4) memcpy(&m.imr_interface, interface_v4, 4);
    return setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m) < 0 ? -errno : 0;
}

int rh_local_port(int fd) {
    struct sockaddr_storage s; socklen_t length = sizeof s;
    if (getsockname(fd, (struct sockaddr *)&s, &length) < 0) return -errno;
    if (s.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&s)->sin6_port);
    return ntohs(((struct sockaddr_in *)&s)->sin_port);
}

int rh_sendmmsg(int fd, const rh_datagram *datagrams, unsigned count) {
    struct mmsghdr headers[RH_MAX_BATCH];
    struct iovec vectors[RH_MAX_BATCH];
    if (count > RH_MAX_BATCH) count = RH_MAX_BATCH;
    for (unsigned i = 0; i < count; i++) {
        vectors[i].iov_base = (void *)datagrams[i].base;
        vectors[i].iov_len = datagrams[i].length;
        memset(&headers[i].msg_hdr, 0, sizeof headers[i].msg_hdr);
        headers[i].msg_hdr.msg_iov = &vectors[i];
        headers[i].msg_hdr.msg_iovlen = 1;
    }
    int sent = sendmmsg(fd, headers, count, 0);
    return sent < 0 ? -errno : sent;
}

int rh_recv_many(const int *fds, int fd_count, uint8_t *buffer, uint32_t slot_size, rh_received *info,
                 unsigned capacity, int64_t timeout_ns) {
    if (fd_count <= 0 || fd_count > 64) return -EINVAL;
    if (capacity > RH_MAX_BATCH) capacity = RH_MAX_BATCH;
    struct pollfd polls[64];
    for (int i = 0; i < fd_count; i++) { polls[i].fd = fds[i]; polls[i].events = POLLIN; polls[i].revents = 0; }
    if (timeout_ns < 0) timeout_ns = 0;
    struct timespec timeout = { (time_t)(timeout_ns / 1000000000), (long)(timeout_ns % 1000000000) };
    int ready = ppoll(polls, (nfds_t)fd_count, &timeout, NULL);
    if (ready < 0) return errno == EINTR ? 0 : -errno;
    if (ready == 0) return 0;
    struct mmsghdr headers[RH_MAX_BATCH];
    struct iovec vectors[RH_MAX_BATCH];
    struct sockaddr_storage sources[RH_MAX_BATCH];
    char controls[RH_MAX_BATCH][128];
    unsigned total = 0;
    for (int s = 0; s < fd_count && total < capacity; s++) {
        if (!(polls[s].revents & (POLLIN | POLLERR))) continue;
        unsigned room = capacity - total;
        for (unsigned i = 0; i < room; i++) {
            unsigned k = total + i;
            vectors[i].iov_base = buffer + (size_t)k * slot_size;
            vectors[i].iov_len = slot_size;
            memset(&headers[i].msg_hdr, 0, sizeof headers[i].msg_hdr);
            headers[i].msg_hdr.msg_iov = &vectors[i];
            headers[i].msg_hdr.msg_iovlen = 1;
            headers[i].msg_hdr.msg_name = &sources[i];
            headers[i].msg_hdr.msg_namelen = sizeof sources[i];
            headers[i].msg_hdr.msg_control = controls[i];
            headers[i].msg_hdr.msg_controllen = sizeof controls[i];
        }
        int got = recvmmsg(fds[s], headers, room, MSG_DONTWAIT | MSG_TRUNC, NULL);
        if (got < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNREFUSED) continue;
            if (total > 0) break;
            return -errno;
        }
        for (int i = 0; i < got; i++) {
            rh_received *r = &info[total + i];
            memset(r, 0, sizeof *r);
            r->length = headers[i].msg_len;
            r->truncated = (headers[i].msg_hdr.msg_flags & MSG_TRUNC) || headers[i].msg_len > slot_size;
            r->socket_index = (uint16_t)s;
            for (struct cmsghdr *c = CMSG_FIRSTHDR(&headers[i].msg_hdr); c; c = CMSG_NXTHDR(&headers[i].msg_hdr, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
                    struct timespec t; memcpy(&t, CMSG_DATA(c), sizeof t);
                    r->kernel_ns = (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
                } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
                    memcpy(&r->drops, CMSG_DATA(c), sizeof r->drops);
                }
            }
            if (sources[i].ss_family == AF_INET6) {
                struct sockaddr_in6 *a = (struct sockaddr_in6 *)&sources[i];
                r->family = 6; memcpy(r->source, &a->sin6_addr, 16); r->source_port = ntohs(a->sin6_port);
            } else {
                struct sockaddr_in *a = (struct sockaddr_in *)&sources[i];
                r->family = 4; memcpy(r->source, &a->sin_addr, 4); r->source_port = ntohs(a->sin_port);
            }
        }
        total += (unsigned)got;
    }
    return (int)total;
}

unsigned rh_interface_index(const char *name) { return if_nametoindex(name); }

#include <fcntl.h>
#include <netinet/tcp.h>

static void no_delay(int fd) { int one = 1; setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); }

int rh_tcp_listen(int family, const uint8_t *address, uint16_t port, int backlog) {
    int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -errno;
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) return fail(fd);
    struct sockaddr_storage s;
    socklen_t length = fill_address(&s, family, address, port);
    if (bind(fd, (struct sockaddr *)&s, length) < 0) return fail(fd);
    if (listen(fd, backlog) < 0) return fail(fd);
    return fd;
}

int rh_tcp_accept(int fd) {
    int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (c < 0) return -errno;
    no_delay(c);
    return c;
}

int rh_tcp_connect(int family, const uint8_t *address, uint16_t port, int timeout_ms) {
    int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -errno;
    no_delay(fd);
    struct sockaddr_storage s;
    socklen_t length = fill_address(&s, family, address, port);
    if (connect(fd, (struct sockaddr *)&s, length) < 0) {
        if (errno != EINPROGRESS) return fail(fd);
        struct pollfd p = { fd, POLLOUT, 0 };
        int r = poll(&p, 1, timeout_ms);
        if (r == 0) { close(fd); return -ETIMEDOUT; }
        if (r < 0) return fail(fd);
        int error = 0; socklen_t el = sizeof error;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &el);
        if (error) { close(fd); return -error; }
    }
    return fd;
}

long rh_tcp_send(int fd, const void *bytes, size_t length) {
    ssize_t n = send(fd, bytes, length, MSG_NOSIGNAL);
    return n < 0 ? -errno : n;
}

long rh_tcp_receive(int fd, void *buffer, size_t capacity) {
    ssize_t n = recv(fd, buffer, capacity, 0);
    return n < 0 ? -errno : n;
}

int rh_poll_ns(struct pollfd *fds, unsigned long count, int64_t timeout_ns) {
    if (timeout_ns < 0) timeout_ns = 0;
    struct timespec t = { (time_t)(timeout_ns / 1000000000), (long)(timeout_ns % 1000000000) };
    int r = ppoll(fds, (nfds_t)count, &t, NULL);
    if (r < 0) return errno == EINTR ? 0 : -errno;
    return r;
}
