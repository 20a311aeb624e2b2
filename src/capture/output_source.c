#include <drm_fourcc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wlr/render/allocator.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/render/wlr_texture.h>
#include <wlr/config.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/util/box.h>
#include <wlr/util/log.h>
#include <wlr/util/transform.h>
#include "capture/internal.h"
#if WLR_HAS_X11_BACKEND
#include <wlr/backend/x11.h>
#endif

/*
 * An output source reads what the output commits. It keeps the last committed
 * buffer locked, so the current screen can be copied at any time without
 * rendering again, and whatever produced it (composition or direct scan-out)
 * stays as it is.
 */
struct capture_output {
	struct capture_source base;
	struct wlr_output *output; /* NULL while detached */
	struct wlr_scene_output *scene_output;
	struct wl_list link; /* pinhole_capture.outputs or .detached_outputs */
	/* While detached: the name of the output it waits for (capture_output_detach). */
	char *detached_name;
	struct wlr_buffer *current; /* locked; NULL before the first commit */
	uint32_t current_seq; /* commit that produced current */
	bool presented;
	struct timespec present_time;
	/* Direct scan-out is off while a frame waits after a commit that was not a full frame. */
	bool scanout_locked;
	struct capture_cursor_image cursor_image;
	/*
	 * Where wlroots drew the pointer into current (a software cursor), in
	 * transformed output pixels; empty with a cursor plane. Copies render
	 * that part again without it: the cursor is painted only on request.
	 */
	struct wlr_box baked_cursor;
	struct wlr_buffer *unbake_buffer; /* offscreen, baked_cursor-sized */

	struct wl_listener commit;
	struct wl_listener present;
	/* Cursor moves and image changes: damage (software cursors) or needs_frame (planes). */
	struct wl_listener damage;
	struct wl_listener needs_frame;
};

static struct capture_output *output_from_source(struct capture_source *source) {
	return wl_container_of(source, (struct capture_output *)NULL, base);
}

static void output_request_frame(struct capture_source *source, bool force) {
	struct capture_output *output = output_from_source(source);
	struct pinhole_capture *capture = source->capture;
	if (output->output == NULL) {
		return; /* away: its frames wait until it is back */
	}
	/*
	 * A full-screen scan-out buffer can be copied as it is; only when the
	 * last commit was not a whole frame does the next one have to be composited.
	 */
	if (!output->scanout_locked && output->current == NULL) {
		wlr_output_lock_attach_render(output->output, true);
		output->scanout_locked = true;
	}
	if (capture->config.request_output_frame != NULL) {
		capture->config.request_output_frame(capture->config.data, output->output, force);
	}
}

static bool output_step(struct capture_source *source) {
	struct capture_output *output = output_from_source(source);
	struct pinhole_capture *capture = source->capture;
	if (output->output == NULL || capture->config.step_output == NULL ||
			!capture->config.step_output(capture->config.data, output->output)) {
		return false;
	}
	/* The step's commit is copied as it is only if it is a whole frame: make it one. */
	if (!output->scanout_locked) {
		wlr_output_lock_attach_render(output->output, true);
		output->scanout_locked = true;
	}
	return true;
}

static bool ensure_unbake_buffer(struct capture_output *output, int width, int height) {
	if (output->unbake_buffer != NULL && output->unbake_buffer->width == width &&
			output->unbake_buffer->height == height) {
		return true;
	}
	wlr_buffer_drop(output->unbake_buffer);
	uint64_t modifier = DRM_FORMAT_MOD_LINEAR;
	struct wlr_drm_format format = {
		.format = DRM_FORMAT_ARGB8888,
		.len = 1,
		.capacity = 1,
		.modifiers = &modifier,
	};
	output->unbake_buffer = wlr_allocator_create_buffer(output->base.capture->config.allocator,
		width, height, &format);
	return output->unbake_buffer != NULL;
}

/* Writes the scene under the software cursor, without it, into dst where region says. */
static bool unbake_cursor(struct capture_output *output, struct wlr_buffer *dst,
		const pixman_region32_t *region) {
	struct pinhole_capture *capture = output->base.capture;
	struct wlr_renderer *renderer = capture->config.renderer;
	const struct wlr_box *box = &output->baked_cursor;
	struct wlr_scene_output *scene_output = output->scene_output;
	float scale = output->output->scale;
	/* wlr_scene clears outputs to opaque black. */
	static const float black[4] = {0, 0, 0, 1};
	if (scene_output == NULL || !ensure_unbake_buffer(output, box->width, box->height) ||
			!capture_render_scene(renderer, output->unbake_buffer,
				&scene_output->scene->tree.node, scene_output->x + box->x / scale,
				scene_output->y + box->y / scale, scale, black, NULL)) {
		return false;
	}
	struct wlr_texture *texture = wlr_texture_from_buffer(renderer, output->unbake_buffer);
	if (texture != NULL && capture_buffer_is_dmabuf(dst)) {
		/* The renderer writes dma-bufs: place the pixels the way the output does. */
		struct capture_source *source = &output->base;
		int tw = source->width, th = source->height;
		if (source->transform & WL_OUTPUT_TRANSFORM_90) {
			tw = source->height;
			th = source->width;
		}
		struct wlr_box in_buffer;
		wlr_box_transform(&in_buffer, box, wlr_output_transform_invert(source->transform),
			tw, th);
		bool drawn = capture_dmabuf_draw(capture, dst, texture, &in_buffer,
			source->transform, region, false);
		wlr_texture_destroy(texture);
		return drawn;
	}
	uint32_t *pixels = malloc((size_t)box->width * box->height * 4);
	bool ok = pixels != NULL && texture != NULL &&
		wlr_texture_read_pixels(texture, &(struct wlr_texture_read_pixels_options){
			.data = pixels,
			.format = DRM_FORMAT_ARGB8888,
			.stride = (uint32_t)box->width * 4,
			.src_box = {0, 0, box->width, box->height},
		});
	wlr_texture_destroy(texture);
	void *data;
	uint32_t format;
	size_t stride;
	ok = ok && wlr_buffer_begin_data_ptr_access(dst, WLR_BUFFER_DATA_PTR_ACCESS_WRITE,
		&data, &format, &stride);
	if (ok) {
		struct capture_source *source = &output->base;
		for (int j = 0; j < box->height; j++) {
			for (int i = 0; i < box->width; i++) {
				int x = box->x + i, y = box->y + j;
				capture_transformed_to_buffer(&x, &y, source->transform, source->width,
					source->height);
				if (pixman_region32_contains_point(region, x, y, NULL)) {
					uint32_t *d = (uint32_t *)((uint8_t *)data + (size_t)y * stride) + x;
					*d = capture_pixel_from_argb(pixels[(size_t)j * box->width + i] |
						0xff000000u, format);
				}
			}
		}
		wlr_buffer_end_data_ptr_access(dst);
	}
	free(pixels);
	return ok;
}

static bool output_copy(struct capture_source *source, struct wlr_buffer *dst,
		const pixman_region32_t *region) {
	struct capture_output *output = output_from_source(source);
	if (output->current == NULL) {
		return false;
	}
	/* What the output shows is opaque, whatever alpha a scanned-out buffer carries. */
	if (!capture_copy_buffer(source->capture, dst, output->current, region, true)) {
		return false;
	}
	if (wlr_box_empty(&output->baked_cursor)) {
		return true;
	}
	pixman_region32_t under;
	pixman_region32_init(&under);
	capture_transformed_box_to_buffer(&output->baked_cursor, source->transform, source->width,
		source->height, &under);
	pixman_region32_intersect(&under, &under, region);
	bool ok = pixman_region32_empty(&under) || unbake_cursor(output, dst, &under);
	if (!ok) {
		wlr_log(WLR_ERROR, "capture output %s: cannot remove the software cursor from a copy",
			output->output->name);
	}
	pixman_region32_fini(&under);
	return ok;
}

static bool output_has_content(struct capture_source *source) {
	struct capture_output *output = output_from_source(source);
	/*
	 * With changes not rendered yet (a window just closed, a mode just
	 * changed), the last committed frame is stale: wait for the next one,
	 * which request_frame makes come at once where nothing paces it. An
	 * output switched off shows nothing: frames wait until it is on again.
	 */
	return output->output != NULL && output->current != NULL && output->output->enabled &&
		(output->scene_output == NULL ||
		!wlr_scene_output_needs_frame(output->scene_output));
}

static bool output_presented(struct capture_source *source, struct timespec *when) {
	struct capture_output *output = output_from_source(source);
	*when = output->present_time;
	return output->presented;
}

void capture_output_get_cursor(struct capture_source *source, struct capture_cursor *cursor) {
	struct capture_output *output = output_from_source(source);
	*cursor = (struct capture_cursor){0};
	if (output->output == NULL) {
		return; /* away: no cursor on it */
	}
	struct wlr_output_cursor *output_cursor = capture_output_pointer_cursor(output->output);
	capture_cursor_image_update(&output->cursor_image, source->capture->config.renderer,
		output_cursor);
	if (output_cursor == NULL || output->cursor_image.pixels == NULL) {
		return;
	}
	/* wlr_output_cursor already works in scaled, transformed output pixels. */
	*cursor = (struct capture_cursor){
		.visible = output_cursor->visible,
		.x = (int)output_cursor->x,
		.y = (int)output_cursor->y,
		.hotspot_x = output_cursor->hotspot_x,
		.hotspot_y = output_cursor->hotspot_y,
		.width = output->cursor_image.width,
		.height = output->cursor_image.height,
		.pixels = output->cursor_image.pixels,
		.image_serial = output->cursor_image.serial,
	};
}

struct capture_source *capture_output_source_under_cursor(struct pinhole_capture *capture) {
	struct capture_output *output;
	wl_list_for_each(output, &capture->outputs, link) {
		struct wlr_output_cursor *cursor = capture_output_pointer_cursor(output->output);
		int width, height;
		wlr_output_transformed_resolution(output->output, &width, &height);
		if (cursor != NULL && cursor->x >= 0 && cursor->y >= 0 && cursor->x < width &&
				cursor->y < height) {
			return &output->base;
		}
	}
	return NULL;
}

static const struct capture_source_impl output_source_impl = {
	.request_frame = output_request_frame,
	.step = output_step,
	.copy = output_copy,
	.has_content = output_has_content,
	.presented = output_presented,
	.get_cursor = capture_output_get_cursor,
};

static void update_constraints(struct capture_output *output) {
	struct wlr_output *wlr_output = output->output;
	capture_source_set_constraints(&output->base, wlr_output->width, wlr_output->height,
		wlr_output->transform);
}

/*
 * A directly scanned-out client buffer may be smaller than the output and
 * placed with a source crop and destination box; only a buffer that is the
 * whole screen can be copied as it is.
 */
static bool is_full_frame(struct wlr_output *wlr_output, const struct wlr_output_state *state) {
	const struct wlr_buffer *buffer = state->buffer;
	const struct wlr_fbox *src = &state->buffer_src_box;
	const struct wlr_box *dst = &state->buffer_dst_box;
	bool src_whole = (src->width == 0 && src->height == 0) ||
		(src->x == 0 && src->y == 0 && src->width == buffer->width &&
			src->height == buffer->height);
	bool dst_whole = (dst->width == 0 && dst->height == 0) ||
		(dst->x == 0 && dst->y == 0 && dst->width == wlr_output->width &&
			dst->height == wlr_output->height);
	return src_whole && dst_whole && buffer->width == wlr_output->width &&
		buffer->height == wlr_output->height && !(state->committed & WLR_OUTPUT_STATE_LAYERS);
}

static void record_baked_cursor(struct capture_output *output) {
	struct wlr_output *wlr_output = output->output;
	struct wlr_output_cursor *cursor = capture_output_pointer_cursor(wlr_output);
	output->baked_cursor = (struct wlr_box){0};
	if (output->current == NULL || cursor == NULL || !cursor->visible ||
			wlr_output->hardware_cursor == cursor) {
		return;
	}
	/* The box wlroots drew, truncated the way wlroots truncates it. */
	struct wlr_box drawn = {
		.x = (int)(cursor->x - cursor->hotspot_x),
		.y = (int)(cursor->y - cursor->hotspot_y),
		.width = (int)cursor->width,
		.height = (int)cursor->height,
	};
	struct wlr_box screen = {0};
	wlr_output_transformed_resolution(wlr_output, &screen.width, &screen.height);
	wlr_box_intersection(&output->baked_cursor, &drawn, &screen);
}

static void unlock_scanout_if_idle(struct capture_output *output) {
	if (output->scanout_locked && !capture_source_is_wanted(&output->base)) {
		wlr_output_lock_attach_render(output->output, false);
		output->scanout_locked = false;
	}
}

static void handle_commit(struct wl_listener *listener, void *data) {
	struct capture_output *output = wl_container_of(listener, output, commit);
	const struct wlr_output_event_commit *event = data;
	const struct wlr_output_state *state = event->state;

	if (state->committed & (WLR_OUTPUT_STATE_MODE | WLR_OUTPUT_STATE_TRANSFORM |
			WLR_OUTPUT_STATE_ENABLED)) {
		update_constraints(output);
	}
	/* A scale or mode change moves and resizes the cursor too. */
	capture_cursor_schedule_update(output->base.capture);
	if (!(state->committed & WLR_OUTPUT_STATE_BUFFER) || state->buffer == NULL) {
		return;
	}
	if (output->current != NULL) {
		wlr_buffer_unlock(output->current);
		output->current = NULL;
	}
	/* Not a full frame: frames wait for the next composite, which the lock forces. */
	if (is_full_frame(output->output, state)) {
		output->current = wlr_buffer_lock(state->buffer);
	}
	record_baked_cursor(output);
	output->current_seq = output->output->commit_seq;
	output->presented = false;

	capture_source_damage(&output->base,
		(state->committed & WLR_OUTPUT_STATE_DAMAGE) ? &state->damage : NULL);
	capture_source_step_committed(&output->base);
	if (output->current == NULL && capture_source_is_wanted(&output->base)) {
		output_request_frame(&output->base, true);
	}
	unlock_scanout_if_idle(output);
}

static void handle_present(struct wl_listener *listener, void *data) {
	struct capture_output *output = wl_container_of(listener, output, present);
	const struct wlr_output_event_present *event = data;
	uint32_t seq = event->commit_seq;
#if WLR_HAS_X11_BACKEND
	/*
	 * wlroots' X11 backend (0.20.2, and master as of 2026-07) numbers its
	 * present events with wlr_output.commit_seq as it was before the commit;
	 * the other backends, wlr_presentation and the header use the value after
	 * it. Without this, a frame on a still X11 output waits forever for a
	 * present of the commit that produced it.
	 */
	if (wlr_output_is_x11(output->output)) {
		seq++;
	}
#endif
	if (output->current == NULL || output->presented || seq < output->current_seq) {
		return;
	}
	output->presented = true;
	if (event->presented) {
		output->present_time = event->when;
	} else {
		/* Discarded (e.g. disabled output): the content is still what was captured. */
		clock_gettime(CLOCK_MONOTONIC, &output->present_time);
	}
	capture_source_presented(&output->base, &output->present_time);
}

static void handle_damage(struct wl_listener *listener, void *data) {
	struct capture_output *output = wl_container_of(listener, output, damage);
	capture_cursor_schedule_update(output->base.capture);
}

static void handle_needs_frame(struct wl_listener *listener, void *data) {
	struct capture_output *output = wl_container_of(listener, output, needs_frame);
	capture_cursor_schedule_update(output->base.capture);
}

static void output_attach(struct capture_output *output, struct wlr_output *wlr_output,
		struct wlr_scene_output *scene_output) {
	output->output = wlr_output;
	output->scene_output = scene_output;
	update_constraints(output);
	output->commit.notify = handle_commit;
	wl_signal_add(&wlr_output->events.commit, &output->commit);
	output->present.notify = handle_present;
	wl_signal_add(&wlr_output->events.present, &output->present);
	output->damage.notify = handle_damage;
	wl_signal_add(&wlr_output->events.damage, &output->damage);
	output->needs_frame.notify = handle_needs_frame;
	wl_signal_add(&wlr_output->events.needs_frame, &output->needs_frame);
	wl_list_insert(&output->base.capture->outputs, &output->link);
}

/* Lets go of the output and of the buffers it committed; the source stays. */
static void output_release(struct capture_output *output) {
	wl_list_remove(&output->link);
	wl_list_init(&output->link);
	if (output->output == NULL) {
		return;
	}
	if (output->scanout_locked) {
		wlr_output_lock_attach_render(output->output, false);
		output->scanout_locked = false;
	}
	wl_list_remove(&output->commit.link);
	wl_list_remove(&output->present.link);
	wl_list_remove(&output->damage.link);
	wl_list_remove(&output->needs_frame.link);
	if (output->current != NULL) {
		wlr_buffer_unlock(output->current);
		output->current = NULL;
	}
	output->output = NULL;
	output->scene_output = NULL;
	output->baked_cursor = (struct wlr_box){0};
}

/* The detached source waiting for an output of this name, taken off the list. */
static struct capture_output *take_detached(struct pinhole_capture *capture, const char *name) {
	struct capture_output *output;
	wl_list_for_each(output, &capture->detached_outputs, link) {
		if (strcmp(output->detached_name, name) == 0) {
			wl_list_remove(&output->link);
			wl_list_init(&output->link);
			free(output->detached_name);
			output->detached_name = NULL;
			return output;
		}
	}
	return NULL;
}

struct capture_output *capture_output_create(struct pinhole_capture *capture,
		struct wlr_output *wlr_output, struct wlr_scene_output *scene_output) {
	if (capture == NULL) {
		return NULL;
	}
	struct capture_output *output = take_detached(capture, wlr_output->name);
	if (output != NULL) {
		/* Sessions get new constraints first if the size is not what it was. */
		output_attach(output, wlr_output, scene_output);
		wlr_log(WLR_INFO, "capture output %s: back, %d session(s) go on", wlr_output->name,
			wl_list_length(&output->base.sessions));
		/* What it shows now has nothing to do with what it showed before it went. */
		capture_source_content_replaced(&output->base);
		return output;
	}
	output = calloc(1, sizeof(*output));
	if (output == NULL) {
		return NULL;
	}
	capture_source_init(&output->base, capture, &output_source_impl);
	output_attach(output, wlr_output, scene_output);
	return output;
}

void capture_output_destroy(struct capture_output *output) {
	if (output == NULL) {
		return;
	}
	capture_source_finish(&output->base);
	output_release(output);
	capture_cursor_image_finish(&output->cursor_image);
	wlr_buffer_drop(output->unbake_buffer);
	free(output->detached_name);
	free(output);
}

void capture_output_detach(struct capture_output *output) {
	if (output == NULL) {
		return;
	}
	struct pinhole_capture *capture = output->base.capture;
	char *name = strdup(output->output->name);
	if (name == NULL) {
		capture_output_destroy(output);
		return;
	}
	/* One source per name: an older one still waiting is not coming back. */
	capture_output_destroy(take_detached(capture, name));
	/*
	 * A frame copied from the last commit holds what was on screen; the
	 * present event it waits for will not come from a destroyed output.
	 */
	if (output->current != NULL && !output->presented) {
		output->presented = true;
		clock_gettime(CLOCK_MONOTONIC, &output->present_time);
		capture_source_presented(&output->base, &output->present_time);
	}
	output_release(output);
	wlr_buffer_drop(output->unbake_buffer);
	output->unbake_buffer = NULL;
	output->detached_name = name;
	wl_list_insert(&capture->detached_outputs, &output->link);
	wlr_log(WLR_INFO, "capture output %s: away, %d session(s) kept for its return", name,
		wl_list_length(&output->base.sessions));
}

void capture_outputs_drop_detached(struct pinhole_capture *capture) {
	if (capture == NULL) {
		return;
	}
	struct capture_output *output, *tmp;
	wl_list_for_each_safe(output, tmp, &capture->detached_outputs, link) {
		wlr_log(WLR_INFO, "capture output %s: did not come back, its sessions are stopped",
			output->detached_name);
		capture_output_destroy(output);
	}
}

void capture_outputs_forget_content(struct pinhole_capture *capture) {
	struct capture_output *output;
	wl_list_for_each(output, &capture->outputs, link) {
		/* It may show windows; frames wait for the next commit (request_frame forces one). */
		if (output->current != NULL) {
			wlr_buffer_unlock(output->current);
			output->current = NULL;
		}
		output->presented = false;
		output->baked_cursor = (struct wlr_box){0};
	}
}

bool capture_output_wants_frame(struct capture_output *output) {
	return output != NULL && capture_source_is_wanted(&output->base);
}

struct capture_source *capture_output_source(struct pinhole_capture *capture,
		struct wlr_output *wlr_output) {
	struct capture_output *output;
	wl_list_for_each(output, &capture->outputs, link) {
		if (output->output == wlr_output) {
			return &output->base;
		}
	}
	return NULL;
}

void capture_outputs_drop_renderer_state(struct pinhole_capture *capture) {
	capture_outputs_forget_content(capture);
	struct capture_output *output;
	wl_list_for_each(output, &capture->outputs, link) {
		wlr_buffer_drop(output->unbake_buffer);
		output->unbake_buffer = NULL;
	}
}
