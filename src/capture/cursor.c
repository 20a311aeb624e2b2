#include <assert.h>
#include <drm_fourcc.h>
#include <stdlib.h>
#include <string.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/render/wlr_texture.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/util/box.h>
#include <wlr/util/log.h>
#include <wlr/util/transform.h>
#include "capture/internal.h"
#include "ext-image-copy-capture-v1-protocol.h"

/*
 * Pointer cursor sessions and painted cursors.
 *
 * The cursor is read from the output's wlr_output_cursor, which wlroots keeps
 * up to date whether the cursor is on a hardware plane (headless, nested
 * Wayland, DRM with a cursor plane) or drawn in software (X11, DRM without a
 * plane). So cursor sessions enter and follow the pointer in every case, and
 * paint_cursors is done by compositing the cursor into that one session's
 * copy: the output itself never has to fall back to software cursors.
 */

/* The cursor image as a capture source of its own: what get_capture_session captures. */
struct cursor_image_source {
	struct capture_source base;
	struct cursor_session *cursor_session;
	uint64_t image_serial; /* of the image the last damage was for */
};

struct cursor_session {
	struct wl_resource *resource;
	struct capture_source *source; /* NULL once the source is gone */
	struct wl_list source_link; /* capture_source.cursor_sessions */
	struct cursor_image_source *image_source; /* NULL until get_capture_session */
	bool has_capture_session;
	bool entered;
	int x, y; /* last position sent */
	int hotspot_x, hotspot_y; /* last hotspot sent */
	struct capture_cursor cursor; /* as of the last update */
};

static const struct ext_image_copy_capture_cursor_session_v1_interface cursor_session_impl;

static struct cursor_session *cursor_session_from_resource(struct wl_resource *resource) {
	assert(wl_resource_instance_of(resource,
		&ext_image_copy_capture_cursor_session_v1_interface, &cursor_session_impl));
	return wl_resource_get_user_data(resource);
}

/* Cursor images */

struct wlr_output_cursor *capture_output_pointer_cursor(struct wlr_output *output) {
	/*
	 * pinhole has one pointer, so an output has one cursor. A compositor with
	 * tablet-tool cursors would have to say which one is the pointer's.
	 */
	struct wlr_output_cursor *cursor;
	wl_list_for_each(cursor, &output->cursors, link) {
		if (cursor->enabled && cursor->texture != NULL) {
			return cursor;
		}
	}
	return NULL;
}

static bool read_texture_scaled(struct wlr_texture *texture, const struct wlr_fbox *src_box,
		int width, int height, uint32_t *out) {
	struct wlr_box box = {
		.x = (int)src_box->x,
		.y = (int)src_box->y,
		.width = (int)src_box->width,
		.height = (int)src_box->height,
	};
	if (box.width <= 0 || box.height <= 0) {
		box = (struct wlr_box){0, 0, (int)texture->width, (int)texture->height};
	}
	if (box.width == width && box.height == height) {
		return wlr_texture_read_pixels(texture, &(struct wlr_texture_read_pixels_options){
			.data = out,
			.format = DRM_FORMAT_ARGB8888,
			.stride = (uint32_t)width * 4,
			.src_box = box,
		});
	}
	/* A buffer-scale 1 cursor on a scale 2 output: scale like the output would. */
	uint32_t *raw = malloc((size_t)box.width * box.height * 4);
	if (raw == NULL) {
		return false;
	}
	bool ok = wlr_texture_read_pixels(texture, &(struct wlr_texture_read_pixels_options){
		.data = raw,
		.format = DRM_FORMAT_ARGB8888,
		.stride = (uint32_t)box.width * 4,
		.src_box = box,
	});
	if (ok) {
		pixman_image_t *src = pixman_image_create_bits(PIXMAN_a8r8g8b8, box.width,
			box.height, raw, box.width * 4);
		pixman_image_t *dst = pixman_image_create_bits(PIXMAN_a8r8g8b8, width, height,
			out, width * 4);
		pixman_transform_t scale;
		pixman_transform_init_scale(&scale,
			pixman_double_to_fixed((double)box.width / width),
			pixman_double_to_fixed((double)box.height / height));
		pixman_image_set_transform(src, &scale);
		pixman_image_set_filter(src, PIXMAN_FILTER_BILINEAR, NULL, 0);
		/* Edges keep their colour instead of fading into what lies outside the image. */
		pixman_image_set_repeat(src, PIXMAN_REPEAT_PAD);
		pixman_image_composite32(PIXMAN_OP_SRC, src, NULL, dst, 0, 0, 0, 0, 0, 0,
			width, height);
		pixman_image_unref(src);
		pixman_image_unref(dst);
	}
	free(raw);
	return ok;
}

void capture_cursor_image_update(struct capture_cursor_image *image,
		struct wlr_renderer *renderer, struct wlr_output_cursor *cursor) {
	int width = cursor != NULL ? (int)cursor->width : 0;
	int height = cursor != NULL ? (int)cursor->height : 0;
	uint32_t *pixels = NULL;
	if (width > 0 && height > 0) {
		pixels = calloc((size_t)width * height, 4);
		if (pixels != NULL && !read_texture_scaled(cursor->texture, &cursor->src_box,
				width, height, pixels)) {
			wlr_log(WLR_ERROR, "capture: cannot read the cursor image on %s",
				cursor->output->name);
			free(pixels);
			pixels = NULL;
		}
	}
	if (pixels == NULL) {
		width = height = 0;
	}
	/*
	 * A client's cursor surface may change its pixels in the same texture,
	 * so the pixels themselves say whether the image changed.
	 */
	bool same = width == image->width && height == image->height &&
		(pixels == NULL || memcmp(pixels, image->pixels, (size_t)width * height * 4) == 0);
	if (same) {
		free(pixels);
		return;
	}
	free(image->pixels);
	image->pixels = pixels;
	image->width = width;
	image->height = height;
	image->serial++;
}

void capture_cursor_image_finish(struct capture_cursor_image *image) {
	free(image->pixels);
	image->pixels = NULL;
}

/* Painting */

void capture_transformed_to_buffer(int *x, int *y, enum wl_output_transform transform,
		int source_width, int source_height) {
	int tw = source_width, th = source_height;
	if (transform & WL_OUTPUT_TRANSFORM_90) {
		tw = source_height;
		th = source_width;
	}
	/* Map a one-pixel box the way outputs map their boxes, so both agree to the pixel. */
	struct wlr_box px = {*x, *y, 1, 1};
	wlr_box_transform(&px, &px, wlr_output_transform_invert(transform), tw, th);
	*x = px.x;
	*y = px.y;
}

void capture_transformed_box_to_buffer(const struct wlr_box *box,
		enum wl_output_transform transform, int source_width, int source_height,
		pixman_region32_t *region) {
	int tw = source_width, th = source_height;
	if (transform & WL_OUTPUT_TRANSFORM_90) {
		tw = source_height;
		th = source_width;
	}
	struct wlr_box in_buffer;
	wlr_box_transform(&in_buffer, box, wlr_output_transform_invert(transform), tw, th);
	pixman_region32_fini(region);
	pixman_region32_init_rect(region, in_buffer.x, in_buffer.y,
		(unsigned int)in_buffer.width, (unsigned int)in_buffer.height);
	pixman_region32_intersect_rect(region, region, 0, 0, (unsigned int)source_width,
		(unsigned int)source_height);
}

void capture_cursor_buffer_box(const struct capture_cursor *cursor,
		enum wl_output_transform transform, int source_width, int source_height,
		pixman_region32_t *box) {
	pixman_region32_clear(box);
	if (!cursor->visible || cursor->pixels == NULL) {
		return;
	}
	struct wlr_box image = {
		.x = cursor->x - cursor->hotspot_x,
		.y = cursor->y - cursor->hotspot_y,
		.width = cursor->width,
		.height = cursor->height,
	};
	capture_transformed_box_to_buffer(&image, transform, source_width, source_height, box);
}

static uint32_t blend_over(uint32_t src, uint32_t dst, bool dst_has_alpha) {
	uint32_t inv = 255 - (src >> 24);
	uint32_t out = 0;
	for (int shift = 0; shift < 32; shift += 8) {
		uint32_t s = (src >> shift) & 0xff, d = (dst >> shift) & 0xff;
		uint32_t c = s + (d * inv + 127) / 255;
		out |= (c > 255 ? 255 : c) << shift;
	}
	return dst_has_alpha ? out : (out | 0xff000000u);
}

/* The cursor drawn by the renderer, the way wlroots draws software cursors. */
static bool paint_cursor_render(struct pinhole_capture *capture, struct wlr_buffer *dst,
		const struct capture_cursor *cursor, enum wl_output_transform transform,
		int source_width, int source_height) {
	struct wlr_texture *texture = wlr_texture_from_pixels(capture->config.renderer,
		DRM_FORMAT_ARGB8888, (uint32_t)cursor->width * 4, (uint32_t)cursor->width,
		(uint32_t)cursor->height, cursor->pixels);
	if (texture == NULL) {
		return false;
	}
	int tw = source_width, th = source_height;
	if (transform & WL_OUTPUT_TRANSFORM_90) {
		tw = source_height;
		th = source_width;
	}
	struct wlr_box box = {
		.x = cursor->x - cursor->hotspot_x,
		.y = cursor->y - cursor->hotspot_y,
		.width = cursor->width,
		.height = cursor->height,
	};
	wlr_box_transform(&box, &box, wlr_output_transform_invert(transform), tw, th);
	bool ok = capture_dmabuf_draw(capture, dst, texture, &box, transform, NULL, true);
	wlr_texture_destroy(texture);
	return ok;
}

bool capture_paint_cursor(struct pinhole_capture *capture, struct wlr_buffer *dst,
		const struct capture_cursor *cursor, enum wl_output_transform transform,
		int source_width, int source_height) {
	if (!cursor->visible || cursor->pixels == NULL) {
		return true;
	}
	void *data;
	uint32_t format;
	size_t stride;
	if (!wlr_buffer_begin_data_ptr_access(dst, WLR_BUFFER_DATA_PTR_ACCESS_WRITE,
			&data, &format, &stride)) {
		return capture_buffer_is_dmabuf(dst) && paint_cursor_render(capture, dst, cursor,
			transform, source_width, source_height);
	}
	if (!capture_format_is_supported(format)) {
		wlr_buffer_end_data_ptr_access(dst);
		return false;
	}
	bool has_alpha = capture_format_has_alpha(format);
	int left = cursor->x - cursor->hotspot_x, top = cursor->y - cursor->hotspot_y;
	/* Cursors are small: map each image pixel the way the output maps boxes. */
	for (int j = 0; j < cursor->height; j++) {
		for (int i = 0; i < cursor->width; i++) {
			uint32_t src = cursor->pixels[(size_t)j * cursor->width + i];
			if (src == 0) {
				continue;
			}
			int bx = left + i, by = top + j;
			capture_transformed_to_buffer(&bx, &by, transform, source_width, source_height);
			if (bx < 0 || by < 0 || bx >= source_width || by >= source_height) {
				continue;
			}
			uint32_t *d = (uint32_t *)((uint8_t *)data + (size_t)by * stride) + bx;
			uint32_t under = capture_pixel_to_argb(*d, format);
			uint32_t out = blend_over(src, has_alpha ? under : (under | 0xff000000u),
				has_alpha);
			*d = capture_pixel_from_argb(out, format);
		}
	}
	wlr_buffer_end_data_ptr_access(dst);
	return true;
}

/* The cursor image source */

static struct cursor_image_source *image_source_from_source(struct capture_source *source) {
	return wl_container_of(source, (struct cursor_image_source *)NULL, base);
}

static void image_source_request_frame(struct capture_source *source, bool force) {
	/* Cursor updates arrive on their own; a waiting frame completes with the next one. */
	capture_cursor_schedule_update(source->capture);
}

static bool image_source_copy(struct capture_source *source, struct wlr_buffer *dst,
		const pixman_region32_t *region) {
	const struct capture_cursor *cursor =
		&image_source_from_source(source)->cursor_session->cursor;
	if (cursor->pixels == NULL || cursor->width != source->width ||
			cursor->height != source->height) {
		return false;
	}
	return capture_copy_from_memory(NULL, dst, cursor->pixels, DRM_FORMAT_ARGB8888,
		cursor->width * 4, region);
}

static bool image_source_has_content(struct capture_source *source) {
	const struct capture_cursor *cursor =
		&image_source_from_source(source)->cursor_session->cursor;
	return cursor->pixels != NULL && cursor->width == source->width &&
		cursor->height == source->height;
}

static bool image_source_presented(struct capture_source *source, struct timespec *when) {
	clock_gettime(CLOCK_MONOTONIC, when);
	return true;
}

static void image_source_get_cursor(struct capture_source *source,
		struct capture_cursor *cursor) {
	/* A cursor image does not contain a cursor. */
	*cursor = (struct capture_cursor){0};
}

static const struct capture_source_impl image_source_impl = {
	.request_frame = image_source_request_frame,
	.copy = image_source_copy,
	.has_content = image_source_has_content,
	.presented = image_source_presented,
	.get_cursor = image_source_get_cursor,
};

static void image_source_update(struct cursor_image_source *image_source) {
	const struct capture_cursor *cursor = &image_source->cursor_session->cursor;
	if (cursor->pixels == NULL) {
		/* Hidden: frames wait for the next image; the constraints stay as they were. */
		return;
	}
	capture_source_set_constraints(&image_source->base, cursor->width, cursor->height,
		WL_OUTPUT_TRANSFORM_NORMAL);
	if (cursor->image_serial != image_source->image_serial) {
		image_source->image_serial = cursor->image_serial;
		capture_source_damage(&image_source->base, NULL);
	}
}

static void image_source_destroy(struct cursor_image_source *image_source) {
	if (image_source == NULL) {
		return;
	}
	capture_source_finish(&image_source->base);
	free(image_source);
}

/* Cursor sessions */

static void cursor_session_send_state(struct cursor_session *cursor_session) {
	const struct capture_cursor *cursor = &cursor_session->cursor;
	struct wl_resource *resource = cursor_session->resource;
	if (!cursor->visible) {
		if (cursor_session->entered) {
			ext_image_copy_capture_cursor_session_v1_send_leave(resource);
			cursor_session->entered = false;
		}
		return;
	}
	bool entering = !cursor_session->entered;
	if (entering) {
		ext_image_copy_capture_cursor_session_v1_send_enter(resource);
		cursor_session->entered = true;
	}
	if (entering || cursor->x != cursor_session->x || cursor->y != cursor_session->y) {
		ext_image_copy_capture_cursor_session_v1_send_position(resource, cursor->x, cursor->y);
		cursor_session->x = cursor->x;
		cursor_session->y = cursor->y;
	}
	if (entering || cursor->hotspot_x != cursor_session->hotspot_x ||
			cursor->hotspot_y != cursor_session->hotspot_y) {
		ext_image_copy_capture_cursor_session_v1_send_hotspot(resource, cursor->hotspot_x,
			cursor->hotspot_y);
		cursor_session->hotspot_x = cursor->hotspot_x;
		cursor_session->hotspot_y = cursor->hotspot_y;
	}
}

static void cursor_session_update(struct cursor_session *cursor_session,
		const struct capture_cursor *cursor) {
	cursor_session->cursor = *cursor;
	cursor_session_send_state(cursor_session);
	if (cursor_session->image_source != NULL) {
		image_source_update(cursor_session->image_source);
	}
}

static void cursor_session_detach(struct cursor_session *cursor_session) {
	if (cursor_session->source == NULL) {
		return;
	}
	wl_list_remove(&cursor_session->source_link);
	cursor_session->source = NULL;
	image_source_destroy(cursor_session->image_source);
	cursor_session->image_source = NULL;
	cursor_session->cursor = (struct capture_cursor){0};
}

void capture_source_finish_cursor_sessions(struct capture_source *source) {
	struct cursor_session *cursor_session, *tmp;
	wl_list_for_each_safe(cursor_session, tmp, &source->cursor_sessions, source_link) {
		if (cursor_session->entered) {
			ext_image_copy_capture_cursor_session_v1_send_leave(cursor_session->resource);
			cursor_session->entered = false;
		}
		cursor_session_detach(cursor_session);
	}
}

static void cursor_session_handle_destroy(struct wl_client *client,
		struct wl_resource *resource) {
	wl_resource_destroy(resource);
}

static void cursor_session_handle_get_capture_session(struct wl_client *client,
		struct wl_resource *resource, uint32_t id) {
	struct cursor_session *cursor_session = cursor_session_from_resource(resource);
	uint32_t version = wl_resource_get_version(resource);
	if (cursor_session == NULL) {
		capture_session_create(client, version, id, NULL, 0);
		return;
	}
	if (cursor_session->has_capture_session) {
		capture_post_error(resource,
			EXT_IMAGE_COPY_CAPTURE_CURSOR_SESSION_V1_ERROR_DUPLICATE_SESSION,
			"get_capture_session sent twice");
		return;
	}
	cursor_session->has_capture_session = true;
	if (cursor_session->source == NULL) {
		capture_session_create(client, version, id, NULL, 0);
		return;
	}
	struct cursor_image_source *image_source = calloc(1, sizeof(*image_source));
	if (image_source == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	capture_source_init(&image_source->base, cursor_session->source->capture,
		&image_source_impl);
	image_source->base.prefer_alpha = true;
	image_source->base.cpu_content = true;
	image_source->cursor_session = cursor_session;
	cursor_session->image_source = image_source;
	const struct capture_cursor *cursor = &cursor_session->cursor;
	/* Before the first image, a cursor-sized guess; it renegotiates when one shows up. */
	int width = cursor->pixels != NULL ? cursor->width : 24;
	int height = cursor->pixels != NULL ? cursor->height : 24;
	image_source->image_serial = cursor->image_serial;
	capture_source_set_constraints(&image_source->base, width, height,
		WL_OUTPUT_TRANSFORM_NORMAL);
	capture_session_create(client, version, id, &image_source->base, 0);
}

static const struct ext_image_copy_capture_cursor_session_v1_interface cursor_session_impl = {
	.destroy = cursor_session_handle_destroy,
	.get_capture_session = cursor_session_handle_get_capture_session,
};

static void cursor_session_handle_resource_destroy(struct wl_resource *resource) {
	struct cursor_session *cursor_session = cursor_session_from_resource(resource);
	if (cursor_session == NULL) {
		return;
	}
	cursor_session_detach(cursor_session);
	free(cursor_session);
}

void capture_cursor_session_create(struct wl_client *client, uint32_t version, uint32_t id,
		struct capture_source *source, struct wl_resource *pointer) {
	struct wl_resource *resource = wl_resource_create(client,
		&ext_image_copy_capture_cursor_session_v1_interface, version, id);
	if (resource == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	struct cursor_session *cursor_session = calloc(1, sizeof(*cursor_session));
	if (cursor_session == NULL) {
		wl_resource_destroy(resource);
		wl_client_post_no_memory(client);
		return;
	}
	cursor_session->resource = resource;
	wl_list_init(&cursor_session->source_link);
	wl_resource_set_implementation(resource, &cursor_session_impl, cursor_session,
		cursor_session_handle_resource_destroy);

	/* Only the pointer of the seat the module follows has a cursor to report. */
	struct pinhole_capture *capture = source != NULL ? source->capture : NULL;
	struct wlr_seat_client *seat_client = wlr_seat_client_from_pointer_resource(pointer);
	if (capture == NULL || seat_client == NULL || seat_client->seat != capture->config.seat) {
		wlr_log(WLR_DEBUG, "cursor session %p: %s; it will never enter",
			(void *)cursor_session, capture == NULL ? "source is gone" :
			"the pointer is not of the captured seat");
		return;
	}
	cursor_session->source = source;
	wl_list_insert(&source->cursor_sessions, &cursor_session->source_link);
	wlr_log(WLR_DEBUG, "cursor session %p: created", (void *)cursor_session);
	/* Where the cursor is right now, without waiting for it to move. */
	struct capture_cursor cursor;
	source->impl->get_cursor(source, &cursor);
	cursor_session_update(cursor_session, &cursor);
}

/* Updates */

static bool source_follows_cursor(struct capture_source *source) {
	return !wl_list_empty(&source->cursor_sessions) ||
		capture_source_has_painting_sessions(source);
}

static void source_update_cursor(struct capture_source *source) {
	if (!source_follows_cursor(source)) {
		return;
	}
	struct capture_cursor cursor;
	source->impl->get_cursor(source, &cursor);
	struct cursor_session *cursor_session, *cursor_tmp;
	wl_list_for_each_safe(cursor_session, cursor_tmp, &source->cursor_sessions, source_link) {
		cursor_session_update(cursor_session, &cursor);
	}
	capture_source_cursor_update(source, &cursor);
}

static void handle_cursor_idle(void *data) {
	struct pinhole_capture *capture = data;
	capture->cursor_idle = NULL;
	struct capture_source *source, *tmp;
	wl_list_for_each_safe(source, tmp, &capture->sources, link) {
		source_update_cursor(source);
	}
}

static bool capture_follows_cursor(struct pinhole_capture *capture) {
	struct capture_source *source;
	wl_list_for_each(source, &capture->sources, link) {
		if (source_follows_cursor(source)) {
			return true;
		}
	}
	return false;
}

void capture_cursor_schedule_update(struct pinhole_capture *capture) {
	/* Called on every commit: nothing to schedule while no session cares. */
	if (capture->cursor_idle != NULL || !capture_follows_cursor(capture)) {
		return;
	}
	struct wl_event_loop *loop = wl_display_get_event_loop(capture->config.display);
	capture->cursor_idle = wl_event_loop_add_idle(loop, handle_cursor_idle, capture);
}
