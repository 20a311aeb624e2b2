#include <drm_fourcc.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>
#include <wlr/render/allocator.h>
#include <wlr/render/pass.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/render/wlr_texture.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_cursor.h>
#include <wlr/types/wlr_ext_foreign_toplevel_list_v1.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/util/log.h>
#include <wlr/util/region.h>
#include "capture/internal.h"

/*
 * A toplevel source renders the window's scene subtree (surface, subsurfaces,
 * popups) offscreen, on a transparent background and at the scale of the
 * output it is shown on, so captures are sharp on HiDPI and keep alpha. This
 * never touches the outputs, so the desktop's frame pacing is unaffected.
 *
 * Damage is what the window's surfaces say changed: each surface's commits
 * are followed (desynchronized subsurfaces too, which commit on their own),
 * and a change of layout (a surface appearing, going, moving or resizing, the
 * extent or scale changing) damages the whole window.
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
	struct wl_list surfaces; /* toplevel_surface.link: the window's surfaces, last walk */
	pixman_region32_t pending_damage; /* source buffer pixels, since the last change */
	bool layout_changed; /* a followed surface went away */
	/* On a stepped clock: frames are presented at the last step of the window's output. */
	bool stepped;
	struct timespec step_time;
};

/* A surface of the window (main surface, subsurface, popup) whose commits are followed. */
struct toplevel_surface {
	struct capture_toplevel *toplevel;
	struct wlr_surface *surface;
	struct wlr_box box; /* logical, relative to the tree, as last seen */
	int bleed; /* capture pixels a change reaches past its damage (filtering) */
	bool seen; /* found by the current walk */
	struct wl_list link; /* capture_toplevel.surfaces */
	struct wl_listener commit;
	struct wl_listener destroy;
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
	struct capture_toplevel *toplevel = toplevel_from_source(source);
	if (toplevel->stepped) {
		*when = toplevel->step_time; /* the window as of its output's step */
		return true;
	}
	/* Offscreen content exists the moment it is rendered. */
	clock_gettime(CLOCK_MONOTONIC, when);
	return true;
}

static bool toplevel_step(struct capture_source *source) {
	struct capture_toplevel *toplevel = toplevel_from_source(source);
	struct pinhole_capture *capture = source->capture;
	return capture->config.step_toplevel != NULL &&
		capture->config.step_toplevel(capture->config.data, toplevel->handle);
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
	.step = toplevel_step,
	.copy = toplevel_copy,
	.has_content = toplevel_has_content,
	.presented = toplevel_presented,
	.get_cursor = toplevel_get_cursor,
};

static void toplevel_surface_destroy(struct toplevel_surface *ts) {
	wl_list_remove(&ts->commit.link);
	wl_list_remove(&ts->destroy.link);
	wl_list_remove(&ts->link);
	free(ts);
}

static void handle_surface_commit(struct wl_listener *listener, void *data) {
	struct toplevel_surface *ts = wl_container_of(listener, ts, commit);
	struct capture_toplevel *toplevel = ts->toplevel;
	if (wl_list_empty(&toplevel->base.sessions)) {
		return;
	}
	pixman_region32_t damage;
	pixman_region32_init(&damage);
	wlr_surface_get_effective_damage(ts->surface, &damage);
	pixman_region32_translate(&damage, ts->box.x - toplevel->extent.x,
		ts->box.y - toplevel->extent.y);
	wlr_region_scale(&damage, &damage, toplevel->scale);
	wlr_region_expand(&damage, &damage, ts->bleed);
	pixman_region32_union(&toplevel->pending_damage, &toplevel->pending_damage, &damage);
	pixman_region32_fini(&damage);
	capture_toplevel_content_changed(toplevel);
}

static void handle_surface_destroy(struct wl_listener *listener, void *data) {
	struct toplevel_surface *ts = wl_container_of(listener, ts, destroy);
	struct capture_toplevel *toplevel = ts->toplevel;
	toplevel->layout_changed = true;
	toplevel_surface_destroy(ts);
	capture_toplevel_content_changed(toplevel);
}

/*
 * Linear filtering spreads a buffer pixel into neighbours whenever a capture
 * pixel is not a whole number of buffer pixels: as far as half the upscale
 * (the rule wlroots' scene applies to output damage).
 */
static int filter_bleed(struct wlr_scene_buffer *scene_buffer, const struct wlr_box *box,
		float scale) {
	if (scene_buffer->filter_mode == WLR_SCALE_FILTER_NEAREST || scene_buffer->buffer == NULL) {
		return 0;
	}
	double src_width = scene_buffer->src_box.width, src_height = scene_buffer->src_box.height;
	if (src_width <= 0 || src_height <= 0) {
		bool rotated = scene_buffer->transform & WL_OUTPUT_TRANSFORM_90;
		src_width = rotated ? scene_buffer->buffer->height : scene_buffer->buffer->width;
		src_height = rotated ? scene_buffer->buffer->width : scene_buffer->buffer->height;
	}
	double upscale[2] = {scale * box->width / src_width, scale * box->height / src_height};
	int bleed = 0;
	for (int i = 0; i < 2; i++) {
		double per_pixel = 1.0 / upscale[i];
		if (floor(per_pixel) != per_pixel && (int)ceil(upscale[i] / 2) > bleed) {
			bleed = (int)ceil(upscale[i] / 2);
		}
	}
	return bleed;
}

static void follow_surface_iterator(struct wlr_scene_buffer *scene_buffer, int sx, int sy,
		void *data) {
	struct capture_toplevel *toplevel = data;
	struct wlr_scene_surface *scene_surface = wlr_scene_surface_try_from_buffer(scene_buffer);
	if (scene_surface == NULL) {
		return;
	}
	struct wlr_box box = {.x = sx, .y = sy};
	capture_scene_node_size(&scene_buffer->node, &box.width, &box.height);
	struct toplevel_surface *ts;
	wl_list_for_each(ts, &toplevel->surfaces, link) {
		if (ts->surface == scene_surface->surface) {
			if (!wlr_box_equal(&ts->box, &box)) {
				ts->box = box;
				toplevel->layout_changed = true;
			}
			ts->bleed = filter_bleed(scene_buffer, &box, toplevel->scale);
			ts->seen = true;
			return;
		}
	}
	ts = calloc(1, sizeof(*ts));
	if (ts == NULL) {
		toplevel->layout_changed = true;
		return;
	}
	ts->toplevel = toplevel;
	ts->surface = scene_surface->surface;
	ts->box = box;
	ts->bleed = filter_bleed(scene_buffer, &box, toplevel->scale);
	ts->seen = true;
	ts->commit.notify = handle_surface_commit;
	wl_signal_add(&ts->surface->events.commit, &ts->commit);
	ts->destroy.notify = handle_surface_destroy;
	wl_signal_add(&ts->surface->events.destroy, &ts->destroy);
	wl_list_insert(&toplevel->surfaces, &ts->link);
	toplevel->layout_changed = true;
}

/* Walks the window's surfaces as shown now; notes any change of layout. */
static void follow_surfaces(struct capture_toplevel *toplevel) {
	struct toplevel_surface *ts, *tmp;
	wl_list_for_each(ts, &toplevel->surfaces, link) {
		ts->seen = false;
	}
	wlr_scene_node_for_each_buffer(&toplevel->tree->node, follow_surface_iterator, toplevel);
	wl_list_for_each_safe(ts, tmp, &toplevel->surfaces, link) {
		if (!ts->seen) {
			toplevel->layout_changed = true;
			toplevel_surface_destroy(ts);
		}
	}
}

static void handle_changed_idle(void *data) {
	struct capture_toplevel *toplevel = data;
	toplevel->changed_idle = NULL;
	struct wlr_box old_extent = toplevel->extent;
	float old_scale = toplevel->scale;
	update_extent(toplevel);
	follow_surfaces(toplevel);
	bool moved = old_extent.x != toplevel->extent.x || old_extent.y != toplevel->extent.y ||
		old_scale != toplevel->scale;
	if (toplevel->layout_changed || moved) {
		capture_source_damage(&toplevel->base, NULL);
	} else if (!pixman_region32_empty(&toplevel->pending_damage)) {
		capture_source_damage(&toplevel->base, &toplevel->pending_damage);
	}
	pixman_region32_clear(&toplevel->pending_damage);
	toplevel->layout_changed = false;
}

void capture_toplevel_stepped(struct capture_toplevel *toplevel, const struct timespec *when) {
	if (toplevel == NULL) {
		return;
	}
	toplevel->stepped = true;
	toplevel->step_time = *when;
	/* What the step's clients drew may still wait to be coalesced: it belongs to this frame. */
	if (toplevel->changed_idle != NULL) {
		wl_event_source_remove(toplevel->changed_idle);
		handle_changed_idle(toplevel);
	}
	capture_source_step_committed(&toplevel->base);
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
	wl_list_init(&toplevel->surfaces);
	pixman_region32_init(&toplevel->pending_damage);
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
	struct toplevel_surface *ts, *tmp;
	wl_list_for_each_safe(ts, tmp, &toplevel->surfaces, link) {
		toplevel_surface_destroy(ts);
	}
	pixman_region32_fini(&toplevel->pending_damage);
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
	if (wl_list_empty(&toplevel->base.sessions)) {
		/* The first session: follow the surfaces from here on. */
		follow_surfaces(toplevel);
		toplevel->layout_changed = false;
	}
	return &toplevel->base;
}

bool capture_source_is_toplevel(struct capture_source *source) {
	return source->impl == &toplevel_source_impl;
}

void capture_toplevels_drop_renderer_state(struct pinhole_capture *capture) {
	struct capture_toplevel *toplevel;
	wl_list_for_each(toplevel, &capture->toplevels, link) {
		/* Rendered again, region by region, at the next copy. */
		wlr_buffer_drop(toplevel->render_buffer);
		toplevel->render_buffer = NULL;
	}
}
