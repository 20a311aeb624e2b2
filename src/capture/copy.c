#include <drm_fourcc.h>
#include <string.h>
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

void capture_copy_rect(void *dst, int dst_stride, uint32_t dst_format,
		const void *src, int src_stride, uint32_t src_format, int x, int y, int width, int height) {
	bool swap = format_is_bgr(src_format) != format_is_bgr(dst_format);
	/* An X channel is undefined: make it opaque when the reader sees alpha. */
	uint32_t opaque = capture_format_has_alpha(dst_format) &&
		!capture_format_has_alpha(src_format) ? 0xff000000u : 0;
	size_t row_bytes = (size_t)width * 4;
	if (!swap && opaque == 0 && x == 0 && (size_t)src_stride == row_bytes &&
			(size_t)dst_stride == row_bytes) {
		/*
		 * Whole rows without padding are one block. One large memcpy
		 * lets libc write around the cache (non-temporal stores); row by
		 * row, every destination line is read into the cache before it
		 * is written, and a full frame took 1.5-2x as long (profile and
		 * figures in docs/benchmarks.md).
		 */
		memcpy((uint8_t *)dst + (size_t)y * row_bytes, (const uint8_t *)src +
			(size_t)y * row_bytes, row_bytes * height);
		return;
	}
	for (int row = y; row < y + height; row++) {
		const uint32_t *s = (const uint32_t *)((const uint8_t *)src +
			(size_t)row * src_stride) + x;
		uint32_t *d = (uint32_t *)((uint8_t *)dst + (size_t)row * dst_stride) + x;
		if (!swap && opaque == 0) {
			memcpy(d, s, (size_t)width * 4);
			continue;
		}
		for (int i = 0; i < width; i++) {
			uint32_t p = s[i];
			if (swap) {
				p = (p & 0xff00ff00u) | ((p >> 16) & 0xffu) | ((p & 0xffu) << 16);
			}
			d[i] = p | opaque;
		}
	}
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

bool capture_copy_from_memory(struct wlr_buffer *dst, const void *src, uint32_t src_format,
		int src_stride, const pixman_region32_t *region) {
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
		capture_copy_rect(dst_data, (int)dst_stride, dst_format, src, src_stride,
			src_format, rects[i].x1, rects[i].y1, rects[i].x2 - rects[i].x1,
			rects[i].y2 - rects[i].y1);
	}
	wlr_buffer_end_data_ptr_access(dst);
	return true;
}

static bool copy_cpu(struct wlr_buffer *dst, struct wlr_buffer *src,
		const pixman_region32_t *region, bool opaque) {
	void *src_data;
	uint32_t src_format;
	size_t src_stride;
	if (!wlr_buffer_begin_data_ptr_access(src, WLR_BUFFER_DATA_PTR_ACCESS_READ,
			&src_data, &src_format, &src_stride)) {
		return false;
	}
	bool ok = capture_copy_from_memory(dst, src_data,
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
			capture_copy_rect(dst_data, (int)dst_stride, dst_format, dst_data,
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
	if (copy_cpu(dst, src, region, opaque)) {
		return true;
	}
	return copy_texture(capture, dst, src, region, opaque);
}
