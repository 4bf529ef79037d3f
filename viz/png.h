/*
 * PNG files without libpng or zlib: the headless frames (--frames), the textbook
 * screenshots, and the tests that look at them.
 *
 * The writer emits 8-bit RGB with one zlib stream of fixed-Huffman deflate (LZ77
 * with a hash chain): a 1280x800 frame of flat panels packs into ~100 KB instead of
 * the 3 MB of stored blocks. The reader decodes stored and fixed-Huffman blocks
 * (what this writer and any "level 0..1" encoder emit) and all five row filters,
 * checking every CRC and the Adler-32; a dynamic-Huffman file is refused.
 */
#ifndef VIZ_PNG_H
#define VIZ_PNG_H

#include <stddef.h>
#include <stdint.h>

/* Encodes w x h pixels 0xAARRGGBB (pitch in pixels; alpha ignored) as PNG bytes
 * (malloc'ed). Returns 0 or SIM_ENOMEM. */
int viz_png_encode(const uint32_t *px, int w, int h, int pitch, uint8_t **out, size_t *out_len);
/* Writes the PNG to path. Returns 0, SIM_ENOMEM or SIM_EIO. */
int viz_png_write(const char *path, const uint32_t *px, int w, int h, int pitch);

/* Decodes a PNG into malloc'ed RGB bytes (3 per pixel, row after row). Returns 0,
 * SIM_EINVAL for a file it cannot read (bad CRC, not RGB8, dynamic Huffman...). */
int viz_png_decode(const uint8_t *data, size_t len, uint8_t **rgb, int *w, int *h);
/* Reads and decodes path; SIM_ENOENT when it cannot be opened. */
int viz_png_read(const char *path, uint8_t **rgb, int *w, int *h);

/* CRC-32 as PNG and zlib define it, continued from crc (0 to start). */
uint32_t viz_crc32(uint32_t crc, const uint8_t *p, size_t n);

/* DEFLATE's length and distance code tables (RFC 1951, 3.2.5), for the writer
 * and the reader alike. */
extern const uint16_t viz_deflate_len_base[29];
extern const uint8_t viz_deflate_len_extra[29];
extern const uint16_t viz_deflate_dist_base[30];
extern const uint8_t viz_deflate_dist_extra[30];

#endif
