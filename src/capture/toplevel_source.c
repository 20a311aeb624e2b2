#include <drm_fourcc.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>
#include <wlr/render/allocator.h>
#include <wlr/render/pass.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/render/wlr_texture.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/types/wlr_cursor.h>
#include <wlr/types/wlr_ext_foreign_toplevel_list_v1.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/util/log.h>
#include "capture/internal.h"

/*
 * A toplevel source renders the window's scene subtree (surface, subsurfaces,
 * popups) offscreen, on a transparent background and at the scale of the
 * output it is shown on, so captures are sharp on HiDPI and keep alpha. This
 * never touches the outputs, so the desktop's frame pacing is unaffected.
 */
struct capture_toplevel {
	struct capture_source base;
	struct wlr_ext_foreign_toplevel_handle_v1 *handle;
	struct wlr_scene_tree *tree;
	struct wl_list link; /* pinhole_capture.toplevels */
	float scale;
	struct wlr_box extent; /* logical, relative to the tree */
	struct wlr_buffer *render_buffer; /* offscreen ARGB8888, source-sized */
	struct wl_event_source *changed_idle;
};

static struct capture_toplevel *toplevel_from_source(struct capture_source *source) {
	return wl_container_of(source, (struct capture_toplevel *)NULL, base);
}

struct extent_state {
	struct wlr_box box;
	bool empty;
	float scale;
};

static void extent_iterator(struct wlr_scene_buffer *scene_buffer, int sx, int sy, void *data) {
	struct extent_state *state = data;
	int width, height;
	capture_scene_node_size(&scene_buffer->node, &width, &height);
	if (width <= 0 || height <= 0) {
		return;
	}
	struct wlr_box box = {sx, sy, width, height};
	if (state->empty) {
		state->box = box;
		state->empty = false;
	} else {
		int x1 = box.x < state->box.x ? box.x : state->box.x;
		int y1 = box.y < state->box.y ? box.y : state->box.y;
		int x2 = box.x + box.width > state->box.x + state->box.width ?
			box.x + box.width : state->box.x + state->box.width;
		int y2 = box.y + box.height > state->box.y + state->box.height ?
			box.y + box.height : state->box.y + state->box.height;
		state->box = (struct wlr_box){x1, y1, x2 - x1, y2 - y1};
	}
	if (scene_buffer->primary_output != NULL &&
			scene_buffer->primary_output->output->scale > state->scale) {
		state->scale = scene_buffer->primary_output->output->scale;
	}
}

/* Recomputes size and scale; renegotiates with sessions if they changed. */
static void update_extent(struct capture_toplevel *toplevel) {
	struct extent_state state = {.empty = true, .scale = 0};
	wlr_scene_node_for_each_buffer(&toplevel->tree->node, extent_iterator, &state);
	if (state.scale > 0) {
		/* Not on any output keeps the scale it was last shown at. */
		toplevel->scale = state.scale;
	}
	if (state.empty) {
		state.box = (struct wlr_box){0, 0, 1, 1};
	}
	toplevel->extent = state.box;
	int width = (int)ceilf(state.box.width * toplevel->scale);
	int height = (int)ceilf(state.box.height * toplevel->scale);
	capture_source_set_constraints(&toplevel->base, width, height, WL_OUTPUT_TRANSFORM_NORMAL);
}

static bool ensure_render_buffer(struct capture_toplevel *toplevel) {
	struct capture_source *source = &toplevel->base;
	if (toplevel->render_buffer != NULL &&
			toplevel->render_buffer->width == source->width &&
			toplevel->render_buffer->height == source->height) {
		return true;
	}
	wlr_buffer_drop(toplevel->render_buffer);
	struct wlr_drm_format format = {.format = DRM_FORMAT_ARGB8888};
	uint64_t modifier = DRM_FORMAT_MOD_LINEAR;
	format.len = 1;
	format.capacity = 1;
	format.modifiers = &modifier;
	toplevel->render_buffer = wlr_allocator_create_buffer(source->capture->config.allocator,
		source->width, source->height, &format);
	return toplevel->render_buffer != NULL;
}

static bool toplevel_render(struct capture_toplevel *toplevel, const pixman_region32_t *region) {
	if (!ensure_render_buffer(toplevel)) {
		wlr_log(WLR_ERROR, "capture toplevel %p: no offscreen buffer", (void *)toplevel);
		return false;
	}
	/* Transparent where the window has no pixels, so ARGB captures keep its shape. */
	static const float transparent[4] = {0, 0, 0, 0};
	return capture_render_scene(toplevel->base.capture->config.renderer,
		toplevel->render_buffer, &toplevel->tree->node, toplevel->extent.x,
		toplevel->extent.y, toplevel->scale, transparent, region);
}

static bool toplevel_copy(struct capture_source *source, struct wlr_buffer *dst,
		const pixman_region32_t *region) {
	struct capture_toplevel *toplevel = toplevel_from_source(source);
	if (!toplevel_render(toplevel, region)) {
		return false;
	}
	return capture_copy_buffer(source->capture, dst, toplevel->render_buffer, region, false);
}

static void toplevel_request_frame(struct capture_source *source, bool force) {
	/* Rendered on demand at copy time: nothing to schedule. */
}

static bool toplevel_has_content(struct capture_source *source) {
	return true;
}

static bool toplevel_presented(struct capture_source *source, struct timespec *when) {
	/* Offscreen content exists the moment it is rendered. */
	clock_gettime(CLOCK_MONOTONIC, when);
	return true;
}

static void toplevel_get_cursor(struct capture_source *source, struct capture_cursor *cursor) {
	struct capture_toplevel *toplevel = toplevel_from_source(source);
	struct pinhole_capture *capture = source->capture;
	*cursor = (struct capture_cursor){0};
	/* The image is the one the output under the pointer shows, at that output's scale. */
	struct capture_source *output = capture_output_source_under_cursor(capture);
	struct wlr_cursor *wlr_cursor = capture->config.cursor;
	if (output == NULL || wlr_cursor == NULL) {
		return;
	}
	struct capture_cursor on_output;
	capture_output_get_cursor(output, &on_output);
	if (on_output.pixels == NULL) {
		return;
	}
	int lx, ly;
	if (!wlr_scene_node_coords(&toplevel->tree->node, &lx, &ly)) {
		return; /* hidden: the pointer cannot be over it */
	}
	*cursor = on_output;
	cursor->x = (int)floor((wlr_cursor->x - lx - toplevel->extent.x) * toplevel->scale);
	cursor->y = (int)floor((wlr_cursor->y - ly - toplevel->extent.y) * toplevel->scale);
	int left = cursor->x - cursor->hotspot_x, top = cursor->y - cursor->hotspot_y;
	cursor->visible = left < source->width && top < source->height &&
		left + cursor->width > 0 && top + cursor->height > 0;
}

static const struct capture_source_impl toplevel_source_impl = {
	.request_frame = toplevel_request_frame,
	.copy = toplevel_copy,
	.has_content = toplevel_has_content,
	.presented = toplevel_presented,
	.get_cursor = toplevel_get_cursor,
};

static void handle_changed_idle(void *data) {
	struct capture_toplevel *toplevel = data;
	toplevel->changed_idle = NULL;
	update_extent(toplevel);
	/* Commits may move subsurfaces and popups: treat the whole window as changed. */
	capture_source_damage(&toplevel->base, NULL);
}

void capture_toplevel_content_changed(struct capture_toplevel *toplevel) {
	if (toplevel == NULL || toplevel->changed_idle != NULL ||
			wl_list_empty(&toplevel->base.sessions)) {
		return;
	}
	/* Coalesce the commits of a window's surfaces into one change. */
	struct wl_event_loop *loop = wl_display_get_event_loop(toplevel->base.capture->config.display);
	toplevel->changed_idle = wl_event_loop_add_idle(loop, handle_changed_idle, toplevel);
}

struct capture_toplevel *capture_toplevel_create(struct pinhole_capture *capture,
		struct wlr_ext_foreign_toplevel_handle_v1 *handle, struct wlr_scene_tree *tree) {
	if (capture == NULL) {
		return NULL;
	}
	struct capture_toplevel *toplevel = calloc(1, sizeof(*toplevel));
	if (toplevel == NULL) {
		return NULL;
	}
	capture_source_init(&toplevel->base, capture, &toplevel_source_impl);
	toplevel->handle = handle;
	toplevel->tree = tree;
	toplevel->scale = 1;
	update_extent(toplevel);
	wl_list_insert(&capture->toplevels, &toplevel->link);
	return toplevel;
}

void capture_toplevel_destroy(struct capture_toplevel *toplevel) {
	if (toplevel == NULL) {
		return;
	}
	capture_source_finish(&toplevel->base);
	if (toplevel->changed_idle != NULL) {
		wl_event_source_remove(toplevel->changed_idle);
	}
	wlr_buffer_drop(toplevel->render_buffer);
	wl_list_remove(&toplevel->link);
	free(toplevel);
}

struct capture_toplevel *capture_toplevel_from_handle(struct pinhole_capture *capture,
		struct wlr_ext_foreign_toplevel_handle_v1 *handle) {
	struct capture_toplevel *toplevel;
	wl_list_for_each(toplevel, &capture->toplevels, link) {
		if (toplevel->handle == handle) {
			return toplevel;
		}
	}
	return NULL;
}

struct capture_source *capture_toplevel_source(struct capture_toplevel *toplevel) {
	if (toplevel == NULL) {
		return NULL;
	}
	/* The window may have changed since its last capture; sessions start from now. */
	update_extent(toplevel);
	return &toplevel->base;
}

bool capture_source_is_toplevel(struct capture_source *source) {
	return source->impl == &toplevel_source_impl;
}
