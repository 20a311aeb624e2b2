/* Unit tests for the capture module's pixel conversion and shared copies. */
#define _GNU_SOURCE /* sched_getaffinity */
#include <drm_fourcc.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "capture/internal.h"
#include "harness.h"

#define W 4
#define H 3


/* A word no pattern pixel has: what a copy must leave alone. */
#define SENTINEL 0x5a5a5a5au

static uint32_t pattern(int x, int y) {
	/* Different in every pixel of a 4K frame, and never the sentinel. */
	return (uint32_t)y * 4099u + (uint32_t)x * 2654435761u + 0x01000000u * (uint32_t)(x & 0x3f);
}

/* What one pixel of src becomes in dst_format, from the formats alone. */
static uint32_t expected(uint32_t p, uint32_t src_format, uint32_t dst_format) {
	bool src_bgr = src_format == DRM_FORMAT_XBGR8888 || src_format == DRM_FORMAT_ABGR8888;
	bool dst_bgr = dst_format == DRM_FORMAT_XBGR8888 || dst_format == DRM_FORMAT_ABGR8888;
	if (src_bgr != dst_bgr) {
		uint8_t *b = (uint8_t *)&p;
		uint8_t t = b[0];
		b[0] = b[2];
		b[2] = t;
	}
	bool src_alpha = src_format == DRM_FORMAT_ARGB8888 || src_format == DRM_FORMAT_ABGR8888;
	bool dst_alpha = dst_format == DRM_FORMAT_ARGB8888 || dst_format == DRM_FORMAT_ABGR8888;
	if (dst_alpha && !src_alpha) {
		p |= 0xff000000u;
	}
	return p;
}

/*
 * A large copy through the worker, checked pixel by pixel: the rectangle
 * converted, everything else (padding, other rows, the bytes before a
 * misaligned destination) untouched. Returns a description of the first
 * wrong pixel, or NULL.
 */
static const char *check_large_copy(struct capture_copy_worker *worker, int width, int height,
		int dst_pad_px, int dst_misalign, uint32_t src_format, uint32_t dst_format,
		int x, int y, int w, int h, char *why, size_t why_len) {
	size_t src_stride = (size_t)width * 4, dst_stride = (size_t)(width + dst_pad_px) * 4;
	uint32_t *src = malloc(src_stride * height);
	uint8_t *dst_mem = malloc(dst_stride * height + 64);
	if (src == NULL || dst_mem == NULL) {
		snprintf(why, why_len, "out of memory");
		free(src);
		free(dst_mem);
		return why;
	}
	for (int row = 0; row < height; row++) {
		for (int col = 0; col < width; col++) {
			src[(size_t)row * width + col] = pattern(col, row);
		}
	}
	memset(dst_mem, 0x5a, dst_stride * height + 64);
	uint8_t *dst = dst_mem + 64 - dst_misalign;
	capture_copy_rect(worker, dst, (int)dst_stride, dst_format, src, (int)src_stride,
		src_format, x, y, w, h);
	const char *result = NULL;
	for (size_t i = 0; i < (size_t)(64 - dst_misalign) && result == NULL; i++) {
		if (dst_mem[i] != 0x5a) {
			snprintf(why, why_len, "byte %zu before the destination written", i);
			result = why;
		}
	}
	for (int row = 0; row < height && result == NULL; row++) {
		for (int col = 0; col < width + dst_pad_px; col++) {
			uint32_t got;
			memcpy(&got, dst + (size_t)row * dst_stride + (size_t)col * 4, 4);
			bool inside = col >= x && col < x + w && row >= y && row < y + h;
			uint32_t want = inside ? expected(pattern(col, row), src_format, dst_format) :
				SENTINEL;
			if (got != want) {
				snprintf(why, why_len, "pixel %d,%d is 0x%08x, want 0x%08x (%s)", col, row,
					got, want, inside ? "copied" : "untouched");
				result = why;
				break;
			}
		}
	}
	free(src);
	free(dst_mem);
	return result;
}

struct band_log {
	int bands;
	pthread_t caller;
	atomic_int runs[64];
	atomic_int by_helper;
};

/* Band 0 (the caller's first) holds on until the helper has copied a band,
 * so the check does not depend on who is faster: 5 s without one is a fail. */
static void log_band(void *data, int band) {
	struct band_log *log = data;
	atomic_fetch_add(&log->runs[band], 1);
	if (!pthread_equal(pthread_self(), log->caller)) {
		atomic_fetch_add(&log->by_helper, 1);
		return;
	}
	if (band != 0) {
		return;
	}
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		if (atomic_load(&log->by_helper) > 0) {
			return;
		}
		sched_yield();
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - start.tv_sec < 5);
}

static void test_shared_copies(void) {
	cpu_set_t allowed;
	int cpus = sched_getaffinity(0, sizeof(allowed), &allowed) == 0 ? CPU_COUNT(&allowed) : 1;
	struct capture_copy_worker *worker = capture_copy_worker_create();
	ph_ok(worker != NULL || cpus < 2, "copy helper thread started (%d CPUs usable)%s", cpus,
		cpus < 2 ? "; one CPU: the shared-copy checks below run on one thread" : "");

	if (worker != NULL) {
		struct band_log log = {.bands = 40, .caller = pthread_self()};
		capture_copy_worker_run(worker, log.bands, log_band, &log);
		int once = 0;
		for (int i = 0; i < log.bands; i++) {
			once += atomic_load(&log.runs[i]) == 1;
		}
		ph_ok(once == log.bands && atomic_load(&log.by_helper) > 0,
			"40 bands: each run once (%d of 40), %d by the helper thread", once,
			atomic_load(&log.by_helper));
	} else {
		ph_ok(true, "40 bands: no helper on one CPU # SKIP needs two usable CPUs");
	}

	static const struct {
		const char *what;
		int width, height, dst_pad_px, dst_misalign;
		uint32_t src_format, dst_format;
		int x, y, w, h;
	} cases[] = {
		{"1920x1080 tight XRGB block, shared", 1920, 1080, 0, 0,
			DRM_FORMAT_XRGB8888, DRM_FORMAT_XRGB8888, 0, 0, 1920, 1080},
		{"rows 7-1007 into a destination 4 bytes off alignment", 1920, 1080, 0, 4,
			DRM_FORMAT_XRGB8888, DRM_FORMAT_XRGB8888, 0, 7, 1920, 1001},
		{"1900x1000 at 3,5 into a padded stride, row by row", 1920, 1080, 13, 0,
			DRM_FORMAT_XRGB8888, DRM_FORMAT_XRGB8888, 3, 5, 1900, 1000},
		{"1280x1024 XRGB into ABGR (swap, opaque alpha), shared", 1280, 1024, 3, 0,
			DRM_FORMAT_XRGB8888, DRM_FORMAT_ABGR8888, 0, 0, 1280, 1024},
		{"3840x2160 ARGB block, shared", 3840, 2160, 0, 0,
			DRM_FORMAT_ARGB8888, DRM_FORMAT_ARGB8888, 0, 0, 3840, 2160},
		/* Below the size worth sharing: the one-thread path, same answer. */
		{"640x480 block (one thread)", 640, 480, 0, 0,
			DRM_FORMAT_XRGB8888, DRM_FORMAT_XRGB8888, 0, 0, 640, 480},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char why[160];
		const char *err = check_large_copy(worker, cases[i].width, cases[i].height,
			cases[i].dst_pad_px, cases[i].dst_misalign, cases[i].src_format,
			cases[i].dst_format, cases[i].x, cases[i].y, cases[i].w, cases[i].h, why,
			sizeof(why));
		ph_ok(err == NULL, "%s: every pixel (%s)", cases[i].what, err ? err : "ok");
	}
	capture_copy_worker_destroy(worker);
}

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
	capture_copy_rect(NULL, dst, dst_stride, DRM_FORMAT_XRGB8888, src, W * 4, DRM_FORMAT_XRGB8888,
		0, 0, W, H);
	ph_ok(dst[2][3] == src[2][3] && dst[0][0] == src[0][0], "XRGB→XRGB copies words");
	ph_ok(dst[1][W] == 0x5a5a5a5au, "stride padding untouched");

	memset(dst, 0x5a, sizeof(dst));
	capture_copy_rect(NULL, dst, dst_stride, DRM_FORMAT_ARGB8888, src, W * 4, DRM_FORMAT_XRGB8888,
		0, 0, W, H);
	ph_ok(dst[2][3] == (src[2][3] | 0xff000000u), "XRGB→ARGB forces opaque alpha (0x%08x)",
		dst[2][3]);

	memset(dst, 0x5a, sizeof(dst));
	capture_copy_rect(NULL, dst, dst_stride, DRM_FORMAT_ABGR8888, src, W * 4, DRM_FORMAT_XRGB8888,
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
	capture_copy_rect(NULL, dst, dst_stride, DRM_FORMAT_XBGR8888, src, W * 4, DRM_FORMAT_XRGB8888,
		1, 1, 2, 1);
	ph_ok(dst[0][0] == 0x5a5a5a5au && dst[1][0] == 0x5a5a5a5au && dst[1][3] == 0x5a5a5a5au &&
		dst[2][1] == 0x5a5a5a5au, "only the rectangle is written");
	ph_ok((dst[1][1] & 0x00ffffffu) == ((src[1][1] & 0xff) << 16 | (src[1][1] & 0xff00) |
		((src[1][1] >> 16) & 0xff)), "rectangle converted");

	uint32_t argb = 0x80402010u; /* premultiplied, alpha kept */
	uint32_t out = 0;
	capture_copy_rect(NULL, &out, 4, DRM_FORMAT_ARGB8888, &argb, 4, DRM_FORMAT_ARGB8888, 0, 0, 1, 1);
	ph_ok(out == argb, "ARGB→ARGB keeps alpha");
	capture_copy_rect(NULL, &out, 4, DRM_FORMAT_ABGR8888, &argb, 4, DRM_FORMAT_ARGB8888, 0, 0, 1, 1);
	ph_ok(out == 0x80102040u, "ARGB→ABGR keeps alpha, swaps (0x%08x)", out);

	/* Tight strides: full rows are copied as one block; only those rows. */
	uint32_t tight[H][W];
	memset(tight, 0x5a, sizeof(tight));
	capture_copy_rect(NULL, tight, W * 4, DRM_FORMAT_XRGB8888, src, W * 4, DRM_FORMAT_XRGB8888,
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

	test_shared_copies();
	return ph_finish();
}
