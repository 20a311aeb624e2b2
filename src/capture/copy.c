#include <drm_fourcc.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <wlr/render/wlr_renderer.h>
#include <wlr/render/wlr_texture.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/util/log.h>
#include "capture/internal.h"

/*
 * The 32-bit formats capture deals in. On little-endian machines a pixel of
 * XRGB8888 is the word 0xXXRRGGBB and one of XBGR8888 is 0xXXBBGGRR, so a
 * conversion is at most a red/blue swap plus forcing alpha opaque.
 */

uint32_t capture_shm_format_to_drm(uint32_t shm_format) {
	switch (shm_format) {
	case WL_SHM_FORMAT_ARGB8888:
		return DRM_FORMAT_ARGB8888;
	case WL_SHM_FORMAT_XRGB8888:
		return DRM_FORMAT_XRGB8888;
	default:
		return shm_format;
	}
}

uint32_t capture_drm_format_to_shm(uint32_t drm_format) {
	switch (drm_format) {
	case DRM_FORMAT_ARGB8888:
		return WL_SHM_FORMAT_ARGB8888;
	case DRM_FORMAT_XRGB8888:
		return WL_SHM_FORMAT_XRGB8888;
	default:
		return drm_format;
	}
}

bool capture_format_is_supported(uint32_t drm_format) {
	switch (drm_format) {
	case DRM_FORMAT_XRGB8888:
	case DRM_FORMAT_ARGB8888:
	case DRM_FORMAT_XBGR8888:
	case DRM_FORMAT_ABGR8888:
		return true;
	default:
		return false;
	}
}

bool capture_format_has_alpha(uint32_t drm_format) {
	return drm_format == DRM_FORMAT_ARGB8888 || drm_format == DRM_FORMAT_ABGR8888;
}

static bool format_is_bgr(uint32_t drm_format) {
	return drm_format == DRM_FORMAT_XBGR8888 || drm_format == DRM_FORMAT_ABGR8888;
}

/*
 * Copies with streaming (non-temporal) stores, which go around the cache:
 * the destination is not read before it is written and the copy does not
 * evict what the compositor works with. glibc's memcpy does the same above
 * a few MiB, but a band of a shared copy is smaller than that. Two pages at a
 * time, like glibc's large copies: a hand-written one-page loop was about
 * 10% slower here.
 */
#ifdef __SSE2__
static inline void stream_64_bytes(uint8_t *dst, const uint8_t *src) {
	const __m128i *s = (const __m128i *)src;
	__m128i *d = (__m128i *)dst;
	__m128i a = _mm_loadu_si128(s), b = _mm_loadu_si128(s + 1);
	__m128i c = _mm_loadu_si128(s + 2), e = _mm_loadu_si128(s + 3);
	_mm_stream_si128(d, a);
	_mm_stream_si128(d + 1, b);
	_mm_stream_si128(d + 2, c);
	_mm_stream_si128(d + 3, e);
}
#endif

static void copy_streaming(uint8_t *dst, const uint8_t *src, size_t n) {
#ifdef __SSE2__
	/* Streaming stores need an aligned destination. */
	size_t head = (size_t)(-(uintptr_t)dst & 63);
	if (head > n) {
		head = n;
	}
	memcpy(dst, src, head);
	dst += head;
	src += head;
	n -= head;
	for (; n >= 8192; dst += 8192, src += 8192, n -= 8192) {
		for (size_t o = 0; o < 4096; o += 64) {
			_mm_prefetch((const char *)src + o + 256, _MM_HINT_T0);
			_mm_prefetch((const char *)src + 4096 + o + 256, _MM_HINT_T0);
			stream_64_bytes(dst + o, src + o);
			stream_64_bytes(dst + 4096 + o, src + 4096 + o);
		}
	}
	for (; n >= 64; dst += 64, src += 64, n -= 64) {
		stream_64_bytes(dst, src);
	}
	/* Streaming stores are weakly ordered: fence before anyone reads. */
	_mm_sfence();
#endif
	memcpy(dst, src, n);
}

struct rect_copy {
	uint8_t *dst;
	const uint8_t *src;
	size_t dst_stride, src_stride;
	int x, y, width, height;
	bool swap;
	uint32_t opaque;
	bool block; /* whole rows without padding: one contiguous block */
	bool streaming; /* bands of a shared copy: write around the cache */
	int band_rows;
};

static void copy_rows(const struct rect_copy *c, int first, int count) {
	size_t row_bytes = (size_t)c->width * 4;
	if (c->block) {
		/*
		 * One large memcpy lets libc write around the cache (non-temporal
		 * stores); row by row, every destination line is read into the
		 * cache before it is written, and a full frame took 1.5-2x as long
		 * (profile and figures in docs/benchmarks.md).
		 */
		size_t offset = (size_t)first * row_bytes;
		if (c->streaming) {
			copy_streaming(c->dst + offset, c->src + offset, row_bytes * count);
		} else {
			memcpy(c->dst + offset, c->src + offset, row_bytes * count);
		}
		return;
	}
	for (int row = first; row < first + count; row++) {
		const uint32_t *s = (const uint32_t *)(c->src + (size_t)row * c->src_stride) + c->x;
		uint32_t *d = (uint32_t *)(c->dst + (size_t)row * c->dst_stride) + c->x;
		if (!c->swap && c->opaque == 0) {
			if (c->streaming) {
				copy_streaming((uint8_t *)d, (const uint8_t *)s, row_bytes);
			} else {
				memcpy(d, s, row_bytes);
			}
			continue;
		}
		for (int i = 0; i < c->width; i++) {
			uint32_t p = s[i];
			if (c->swap) {
				p = (p & 0xff00ff00u) | ((p >> 16) & 0xffu) | ((p & 0xffu) << 16);
			}
			d[i] = p | c->opaque;
		}
	}
}

static void copy_band(void *data, int band) {
	const struct rect_copy *c = data;
	int first = c->y + band * c->band_rows;
	int count = c->y + c->height - first;
	copy_rows(c, first, count < c->band_rows ? count : c->band_rows);
}

void capture_copy_rect(struct capture_copy_worker *worker, void *dst, int dst_stride,
		uint32_t dst_format, const void *src, int src_stride, uint32_t src_format,
		int x, int y, int width, int height) {
	size_t row_bytes = (size_t)width * 4;
	struct rect_copy c = {
		.dst = dst,
		.src = src,
		.dst_stride = (size_t)dst_stride,
		.src_stride = (size_t)src_stride,
		.x = x,
		.y = y,
		.width = width,
		.height = height,
		.swap = format_is_bgr(src_format) != format_is_bgr(dst_format),
		/* An X channel is undefined: make it opaque when the reader sees alpha. */
		.opaque = capture_format_has_alpha(dst_format) &&
			!capture_format_has_alpha(src_format) ? 0xff000000u : 0,
	};
	c.block = !c.swap && c.opaque == 0 && x == 0 && (size_t)src_stride == row_bytes &&
		(size_t)dst_stride == row_bytes;
	size_t bytes = row_bytes * (size_t)height;
	if (worker == NULL || bytes < CAPTURE_SHARED_COPY_MIN_BYTES) {
		copy_rows(&c, y, height);
		return;
	}
	c.streaming = true;
	c.band_rows = (int)(CAPTURE_SHARED_COPY_BAND_BYTES / row_bytes);
	if (c.band_rows < 1) {
		c.band_rows = 1;
	}
	capture_copy_worker_run(worker, (height + c.band_rows - 1) / c.band_rows, copy_band, &c);
}

uint32_t capture_pixel_from_argb(uint32_t argb, uint32_t dst_format) {
	if (format_is_bgr(dst_format)) {
		argb = (argb & 0xff00ff00u) | ((argb >> 16) & 0xffu) | ((argb & 0xffu) << 16);
	}
	return argb;
}

uint32_t capture_pixel_to_argb(uint32_t pixel, uint32_t src_format) {
	/* The swap is its own inverse. */
	return capture_pixel_from_argb(pixel, src_format);
}

static uint32_t opaque_variant(uint32_t drm_format) {
	switch (drm_format) {
	case DRM_FORMAT_ARGB8888:
		return DRM_FORMAT_XRGB8888;
	case DRM_FORMAT_ABGR8888:
		return DRM_FORMAT_XBGR8888;
	default:
		return drm_format;
	}
}

bool capture_copy_from_memory(struct capture_copy_worker *worker, struct wlr_buffer *dst,
		const void *src, uint32_t src_format, int src_stride, const pixman_region32_t *region) {
	void *dst_data;
	uint32_t dst_format;
	size_t dst_stride;
	if (!capture_format_is_supported(src_format) ||
			!wlr_buffer_begin_data_ptr_access(dst, WLR_BUFFER_DATA_PTR_ACCESS_WRITE,
				&dst_data, &dst_format, &dst_stride)) {
		return false;
	}
	if (!capture_format_is_supported(dst_format)) {
		wlr_buffer_end_data_ptr_access(dst);
		return false;
	}
	int nrects;
	const pixman_box32_t *rects = pixman_region32_rectangles(region, &nrects);
	for (int i = 0; i < nrects; i++) {
		capture_copy_rect(worker, dst_data, (int)dst_stride, dst_format, src, src_stride,
			src_format, rects[i].x1, rects[i].y1, rects[i].x2 - rects[i].x1,
			rects[i].y2 - rects[i].y1);
	}
	wlr_buffer_end_data_ptr_access(dst);
	return true;
}

static bool copy_cpu(struct pinhole_capture *capture, struct wlr_buffer *dst,
		struct wlr_buffer *src,
		const pixman_region32_t *region, bool opaque) {
	void *src_data;
	uint32_t src_format;
	size_t src_stride;
	if (!wlr_buffer_begin_data_ptr_access(src, WLR_BUFFER_DATA_PTR_ACCESS_READ,
			&src_data, &src_format, &src_stride)) {
		return false;
	}
	bool ok = capture_copy_from_memory(capture_copy_worker_get(capture), dst, src_data,
		opaque ? opaque_variant(src_format) : src_format, (int)src_stride, region);
	wlr_buffer_end_data_ptr_access(src);
	return ok;
}

/* For buffers the CPU cannot read (GPU render targets, dmabufs). */
static bool copy_texture(struct pinhole_capture *capture, struct wlr_buffer *dst,
		struct wlr_buffer *src, const pixman_region32_t *region, bool opaque) {
	struct wlr_texture *texture = wlr_texture_from_buffer(capture->config.renderer, src);
	if (texture == NULL) {
		return false;
	}
	void *dst_data;
	uint32_t dst_format;
	size_t dst_stride;
	if (!wlr_buffer_begin_data_ptr_access(dst, WLR_BUFFER_DATA_PTR_ACCESS_WRITE,
			&dst_data, &dst_format, &dst_stride)) {
		wlr_texture_destroy(texture);
		return false;
	}
	bool ok = true;
	int nrects;
	const pixman_box32_t *rects = pixman_region32_rectangles(region, &nrects);
	for (int i = 0; i < nrects && ok; i++) {
		struct wlr_texture_read_pixels_options options = {
			.data = dst_data,
			.format = dst_format,
			.stride = (uint32_t)dst_stride,
			.dst_x = (uint32_t)rects[i].x1,
			.dst_y = (uint32_t)rects[i].y1,
			.src_box = {
				.x = rects[i].x1,
				.y = rects[i].y1,
				.width = rects[i].x2 - rects[i].x1,
				.height = rects[i].y2 - rects[i].y1,
			},
		};
		ok = wlr_texture_read_pixels(texture, &options);
	}
	if (ok && capture_format_has_alpha(dst_format) && (opaque ||
			!capture_format_has_alpha(wlr_texture_preferred_read_format(texture)))) {
		/* Readers of an opaque source must not see the undefined X byte as alpha. */
		for (int i = 0; i < nrects; i++) {
			capture_copy_rect(NULL, dst_data, (int)dst_stride, dst_format, dst_data,
				(int)dst_stride, opaque_variant(dst_format),
				rects[i].x1, rects[i].y1, rects[i].x2 - rects[i].x1,
				rects[i].y2 - rects[i].y1);
		}
	}
	wlr_buffer_end_data_ptr_access(dst);
	wlr_texture_destroy(texture);
	return ok;
}

bool capture_copy_buffer(struct pinhole_capture *capture, struct wlr_buffer *dst,
		struct wlr_buffer *src, const pixman_region32_t *region, bool opaque) {
	if (capture_buffer_is_dmabuf(dst)) {
		return capture_dmabuf_copy(capture, dst, src, region, opaque);
	}
	if (copy_cpu(capture, dst, src, region, opaque)) {
		return true;
	}
	return copy_texture(capture, dst, src, region, opaque);
}
