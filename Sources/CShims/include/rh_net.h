#ifndef RH_NET_H
#define RH_NET_H
#include <stddef.h>
#include <stdint.h>

/// Largest batch one rh_sendmmsg / rh_recv_many call handles (headers live on the C stack).
#define RH_MAX_BATCH 256

/// One datagram to send: a pointer into the caller's memory (the mapped capture) and a length.
typedef struct {
    const void *base;
    uint32_t length;
} rh_datagram;

/// What one received datagram was: where it came from, its length, the kernel's receive time.
typedef struct {
    /// Datagram length; larger than the slot when MSG_TRUNC cut it (`truncated` = 1).
    uint32_t length;
    uint16_t socket_index;
    uint8_t truncated;
    uint8_t family;       /* 4 or 6 */
    /// Kernel receive time (SO_TIMESTAMPNS, CLOCK_REALTIME ns); 0 when the kernel gave none.
    int64_t kernel_ns;
    uint8_t source[16];   /* IPv4 in the first 4 bytes, network order */
    uint16_t source_port;
    /// Datagrams dropped on this socket since it opened (SO_RXQ_OVFL), as of this datagram.
    uint32_t drops;
} rh_received;

/// Socket options for a sender.
typedef struct {
    int send_buffer;           /* SO_SNDBUF bytes, 0 = leave */
    int multicast_ttl;         /* -1 = leave */
    int multicast_loop;        /* -1 = leave, 0/1 */
    const uint8_t *interface_v4;  /* IP_MULTICAST_IF address (4 bytes) or NULL */
    int interface_index;       /* IPV6_MULTICAST_IF, 0 = none */
} rh_sender_options;

/// A UDP socket connected to addr:port (IPv4 when family 4, IPv6 when 6; address in network order).
/// Returns the descriptor or -errno.
int rh_udp_connect(int family, const uint8_t *address, uint16_t port, const rh_sender_options *options);

/// A UDP socket bound to addr:port with SO_TIMESTAMPNS and SO_RXQ_OVFL on, SO_REUSEADDR, and the given
/// receive buffer (0 = leave; SO_RCVBUFFORCE is tried first so root gets more than rmem_max). Returns the descriptor or -errno.
int rh_udp_bind(int family, const uint8_t *address, uint16_t port, int receive_buffer);

/// Joins multicast group `group` on the interface with IPv4 address `interface_v4` (IPv4) or index
/// `interface_index` (IPv6); source-specific when `source` is not NULL. 0 or -errno.
int rh_udp_join(int fd, int family, const uint8_t *group, const uint8_t *interface_v4, int interface_index,
                const uint8_t *source);

/// The local port a socket is bound to, or -errno.
int rh_local_port(int fd);

/// Sends `count` (≤ RH_MAX_BATCH) datagrams on a connected socket with one sendmmsg.
/// Returns how many were sent (≥ 1), or -errno when the first failed.
int rh_sendmmsg(int fd, const rh_datagram *datagrams, unsigned count);

/// Waits up to `timeout_ns` (0: do not wait) for any of `fd_count` sockets to be readable, then receives up to
/// `capacity` (≤ RH_MAX_BATCH) datagrams from the ready ones with recvmmsg, each into its own
/// `slot_size`-byte slot of `buffer`. Returns the number received (0 on timeout) or -errno.
int rh_recv_many(const int *fds, int fd_count, uint8_t *buffer, uint32_t slot_size, rh_received *info,
                 unsigned capacity, int64_t timeout_ns);

/// Index of the interface with this name, 0 when none.
unsigned rh_interface_index(const char *name);
#endif

#ifndef RH_NET_TCP
#define RH_NET_TCP
/// A non-blocking TCP listening socket on addr:port (SO_REUSEADDR). The descriptor or -errno.
int rh_tcp_listen(int family, const uint8_t *address, uint16_t port, int backlog);
/// Accepts one pending connection, non-blocking with TCP_NODELAY. The descriptor, or -errno (-EAGAIN: none).
int rh_tcp_accept(int fd);
/// Connects to addr:port within `timeout_ms`; the socket is returned non-blocking with TCP_NODELAY.
/// The descriptor or -errno (-ETIMEDOUT, -ECONNREFUSED…).
int rh_tcp_connect(int family, const uint8_t *address, uint16_t port, int timeout_ms);
/// send() without SIGPIPE: bytes sent, or -errno (-EAGAIN when the socket buffer is full).
long rh_tcp_send(int fd, const void *bytes, size_t length);
/// recv(): bytes received, 0 at end of stream, or -errno (-EAGAIN when nothing is there).
long rh_tcp_receive(int fd, void *buffer, size_t capacity);
#endif

#ifndef RH_NET_POLL
#define RH_NET_POLL
struct pollfd;
/// ppoll with a nanosecond timeout (0: do not wait). Ready count, 0 on timeout, or -errno (EINTR → 0).
int rh_poll_ns(struct pollfd *fds, unsigned long count, int64_t timeout_ns);
#endif
