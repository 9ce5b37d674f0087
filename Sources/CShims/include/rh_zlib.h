#ifndef RH_ZLIB_H
#define RH_ZLIB_H
#include <stddef.h>

/// Opaque zlib stream, wrapped so Swift never sees zlib's macros (inflateInit2 and friends).
typedef struct rh_zstream rh_zstream;

/// Return codes (zlib's, re-exported): 0 ok, 1 stream end, negative = error.
enum { RH_Z_OK = 0, RH_Z_STREAM_END = 1, RH_Z_NEED_DICT = 2, RH_Z_BUF_ERROR = -5, RH_Z_DATA_ERROR = -3, RH_Z_MEM_ERROR = -4 };

/// window_bits as for zlib's inflateInit2: 15 zlib, -15 raw deflate, 31 gzip, 47 zlib or gzip (auto).
rh_zstream *rh_inflate_create(int window_bits);
/// Resets for a new stream, keeping the allocated window (no allocation).
int rh_inflate_reset(rh_zstream *s);
/// One inflate step. Consumes at most in_len bytes, produces at most out_cap bytes.
int rh_inflate_step(rh_zstream *s, const void *in, size_t in_len, size_t *in_used,
                    void *out, size_t out_cap, size_t *out_used);
void rh_inflate_destroy(rh_zstream *s);

/// level 0-9, window_bits 31 for gzip.
rh_zstream *rh_deflate_create(int level, int window_bits);
/// finish != 0 flushes and ends the stream.
int rh_deflate_step(rh_zstream *s, const void *in, size_t in_len, size_t *in_used,
                    void *out, size_t out_cap, size_t *out_used, int finish);
void rh_deflate_destroy(rh_zstream *s);
/// zlib's message for the last error, or NULL.
const char *rh_zstream_message(const rh_zstream *s);

#endif
