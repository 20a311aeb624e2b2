/* Unit tests for the capture module's pixel conversion. */
#include <drm_fourcc.h>
#include <string.h>
#include "capture/internal.h"
#include "harness.h"

#define W 4
#define H 3

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 12);
	/* XRGB8888 words 0xXXRRGGBB with a junk X byte that must never leak as alpha. */
	uint32_t src[H][W];
	for (int y = 0; y < H; y++) {
		for (int x = 0; x < W; x++) {
			src[y][x] = 0x12000000u | (uint32_t)(0x10 * x) << 16 | (uint32_t)(0x20 * y) << 8 | 0xab;
		}
	}
	uint32_t dst[H][W + 2]; /* wider stride than needed */
	const int dst_stride = (W + 2) * 4;

	memset(dst, 0x5a, sizeof(dst));
	capture_copy_rect(dst, dst_stride, DRM_FORMAT_XRGB8888, src, W * 4, DRM_FORMAT_XRGB8888,
		0, 0, W, H);
	ph_ok(dst[2][3] == src[2][3] && dst[0][0] == src[0][0], "XRGB→XRGB copies words");
	ph_ok(dst[1][W] == 0x5a5a5a5au, "stride padding untouched");

	memset(dst, 0x5a, sizeof(dst));
	capture_copy_rect(dst, dst_stride, DRM_FORMAT_ARGB8888, src, W * 4, DRM_FORMAT_XRGB8888,
		0, 0, W, H);
	ph_ok(dst[2][3] == (src[2][3] | 0xff000000u), "XRGB→ARGB forces opaque alpha (0x%08x)",
		dst[2][3]);

	memset(dst, 0x5a, sizeof(dst));
	capture_copy_rect(dst, dst_stride, DRM_FORMAT_ABGR8888, src, W * 4, DRM_FORMAT_XRGB8888,
		0, 0, W, H);
	uint32_t s = src[2][3];
	uint32_t expect = 0xff000000u | (s & 0xff) << 16 | (s & 0xff00) | ((s >> 16) & 0xff);
	ph_ok(dst[2][3] == expect, "XRGB→ABGR swaps red and blue (0x%08x vs 0x%08x)", dst[2][3],
		expect);
	/* Byte order in memory for ABGR8888 is R, G, B, A. */
	const uint8_t *bytes = (const uint8_t *)&dst[2][3];
	ph_ok(bytes[0] == ((s >> 16) & 0xff) && bytes[1] == ((s >> 8) & 0xff) &&
		bytes[2] == (s & 0xff) && bytes[3] == 0xff, "ABGR8888 bytes are R,G,B,A");

	memset(dst, 0x5a, sizeof(dst));
	capture_copy_rect(dst, dst_stride, DRM_FORMAT_XBGR8888, src, W * 4, DRM_FORMAT_XRGB8888,
		1, 1, 2, 1);
	ph_ok(dst[0][0] == 0x5a5a5a5au && dst[1][0] == 0x5a5a5a5au && dst[1][3] == 0x5a5a5a5au &&
		dst[2][1] == 0x5a5a5a5au, "only the rectangle is written");
	ph_ok((dst[1][1] & 0x00ffffffu) == ((src[1][1] & 0xff) << 16 | (src[1][1] & 0xff00) |
		((src[1][1] >> 16) & 0xff)), "rectangle converted");

	uint32_t argb = 0x80402010u; /* premultiplied, alpha kept */
	uint32_t out = 0;
	capture_copy_rect(&out, 4, DRM_FORMAT_ARGB8888, &argb, 4, DRM_FORMAT_ARGB8888, 0, 0, 1, 1);
	ph_ok(out == argb, "ARGB→ARGB keeps alpha");
	capture_copy_rect(&out, 4, DRM_FORMAT_ABGR8888, &argb, 4, DRM_FORMAT_ARGB8888, 0, 0, 1, 1);
	ph_ok(out == 0x80102040u, "ARGB→ABGR keeps alpha, swaps (0x%08x)", out);

	/* Tight strides: full rows are copied as one block; only those rows. */
	uint32_t tight[H][W];
	memset(tight, 0x5a, sizeof(tight));
	capture_copy_rect(tight, W * 4, DRM_FORMAT_XRGB8888, src, W * 4, DRM_FORMAT_XRGB8888,
		0, 1, W, 2);
	ph_ok(memcmp(tight[1], src[1], sizeof(tight[1])) == 0 &&
		memcmp(tight[2], src[2], sizeof(tight[2])) == 0, "full rows 1-2 copied");
	ph_ok(tight[0][0] == 0x5a5a5a5au && tight[0][W - 1] == 0x5a5a5a5au,
		"row 0 untouched by a block copy of rows 1-2");

	ph_ok(capture_shm_format_to_drm(WL_SHM_FORMAT_ARGB8888) == DRM_FORMAT_ARGB8888 &&
		capture_shm_format_to_drm(WL_SHM_FORMAT_XRGB8888) == DRM_FORMAT_XRGB8888 &&
		capture_shm_format_to_drm(DRM_FORMAT_ABGR8888) == DRM_FORMAT_ABGR8888 &&
		capture_drm_format_to_shm(DRM_FORMAT_XRGB8888) == WL_SHM_FORMAT_XRGB8888,
		"wl_shm enum ↔ DRM fourcc");
	ph_ok(!capture_format_is_supported(DRM_FORMAT_RGB565), "RGB565 not a capture format");
	return ph_finish();
}
