#include "rh_zlib.h"
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct rh_zstream { z_stream z; int deflating; };

rh_zstream *rh_inflate_create(int window_bits) {
    rh_zstream *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    if (inflateInit2(&s->z, window_bits) != Z_OK) { free(s); return NULL; }
    return s;
}
int rh_inflate_reset(rh_zstream *s) { return inflateReset(&s->z); }

static int step(rh_zstream *s, const void *in, size_t in_len, size_t *in_used,
                void *out, size_t out_cap, size_t *out_used, int flush) {
    uInt ilen = in_len > 0x40000000u ? 0x40000000u : (uInt)in_len;
    uInt olen = out_cap > 0x40000000u ? 0x40000000u : (uInt)out_cap;
    s->z.next_in = (Bytef *)in; s->z.avail_in = ilen;
    s->z.next_out = (Bytef *)out; s->z.avail_out = olen;
    int rc = s->deflating ? deflate(&s->z, flush) : inflate(&s->z, flush);
    *in_used = ilen - s->z.avail_in;
    *out_used = olen - s->z.avail_out;
    return rc;
}
int rh_inflate_step(rh_zstream *s, const void *in, size_t in_len, size_t *in_used,
                    void *out, size_t out_cap, size_t *out_used) {
    return step(s, in, in_len, in_used, out, out_cap, out_used, Z_NO_FLUSH);
}
void rh_inflate_destroy(rh_zstream *s) { if (s) { inflateEnd(&s->z); free(s); } }

rh_zstream *rh_deflate_create(int level, int window_bits) {
    rh_zstream *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->deflating = 1;
    if (deflateInit2(&s->z, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK) { free(s); return NULL; }
    return s;
}
int rh_deflate_step(rh_zstream *s, const void *in, size_t in_len, size_t *in_used,
                    void *out, size_t out_cap, size_t *out_used, int finish) {
    return step(s, in, in_len, in_used, out, out_cap, out_used, finish ? Z_FINISH : Z_NO_FLUSH);
}
void rh_deflate_destroy(rh_zstream *s) { if (s) { deflateEnd(&s->z); free(s); } }
const char *rh_zstream_message(const rh_zstream *s) { return s ? s->z.msg : NULL; }
