#include <math.h>
#include <wlr/render/pass.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/render/wlr_texture.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/util/transform.h>
#include "capture/internal.h"

/*
 * Offscreen rendering of part of a scene graph, bottom to top like
 * wlr_scene's own output rendering, for the sources that cannot take their
 * pixels from what an output committed: toplevels (rendered alone) and the
 * few output pixels under a software cursor (rendered again without it).
 */

void capture_scene_node_size(struct wlr_scene_node *node, int *width, int *height) {
	*width = *height = 0;
	if (node->type == WLR_SCENE_NODE_RECT) {
		struct wlr_scene_rect *rect = wlr_scene_rect_from_node(node);
		*width = rect->width;
		*height = rect->height;
	} else if (node->type == WLR_SCENE_NODE_BUFFER) {
		struct wlr_scene_buffer *scene_buffer = wlr_scene_buffer_from_node(node);
		*width = scene_buffer->dst_width;
		*height = scene_buffer->dst_height;
		if (*width == 0 && scene_buffer->buffer != NULL) {
			bool rotated = scene_buffer->transform & WL_OUTPUT_TRANSFORM_90;
			*width = rotated ? scene_buffer->buffer->height : scene_buffer->buffer->width;
			*height = rotated ? scene_buffer->buffer->width : scene_buffer->buffer->height;
		}
	}
}

struct render_context {
	struct wlr_renderer *renderer;
	struct wlr_render_pass *pass;
	double origin_x, origin_y; /* scene position drawn at the pass's 0,0 */
	float scale;
	const pixman_region32_t *clip;
};

static void render_rect(struct render_context *ctx, const struct wlr_box *box,
		float r, float g, float b, float a) {
	wlr_render_pass_add_rect(ctx->pass, &(struct wlr_render_rect_options){
		.box = *box,
		.color = {r, g, b, a},
		.clip = ctx->clip,
	});
}

static void render_buffer(struct render_context *ctx, struct wlr_scene_buffer *scene_buffer,
		const struct wlr_box *box) {
	if (scene_buffer->buffer == NULL) {
		return;
	}
	struct wlr_client_buffer *client_buffer = wlr_client_buffer_get(scene_buffer->buffer);
	struct wlr_texture *texture = client_buffer != NULL ? client_buffer->texture : NULL;
	bool own_texture = false;
	if (texture == NULL) {
		texture = wlr_texture_from_buffer(ctx->renderer, scene_buffer->buffer);
		own_texture = true;
	}
	if (texture == NULL) {
		return;
	}
	wlr_render_pass_add_texture(ctx->pass, &(struct wlr_render_texture_options){
		.texture = texture,
		.src_box = scene_buffer->src_box,
		.dst_box = *box,
		/* The buffer transform says how the buffer was turned: render it back. */
		.transform = wlr_output_transform_invert(scene_buffer->transform),
		.alpha = &scene_buffer->opacity,
		.clip = ctx->clip,
		.filter_mode = scene_buffer->filter_mode,
		.blend_mode = WLR_RENDER_BLEND_MODE_PREMULTIPLIED,
	});
	if (own_texture) {
		wlr_texture_destroy(texture);
	}
}

static void render_node(struct render_context *ctx, struct wlr_scene_node *node, int x, int y) {
	if (!node->enabled) {
		return;
	}
	x += node->x;
	y += node->y;
	if (node->type == WLR_SCENE_NODE_TREE) {
		struct wlr_scene_tree *tree = wlr_scene_tree_from_node(node);
		struct wlr_scene_node *child;
		wl_list_for_each(child, &tree->children, link) {
			render_node(ctx, child, x, y);
		}
		return;
	}
	int width, height;
	capture_scene_node_size(node, &width, &height);
	if (width <= 0 || height <= 0) {
		return;
	}
	float s = ctx->scale;
	double left = (x - ctx->origin_x) * s, top = (y - ctx->origin_y) * s;
	struct wlr_box box = {
		.x = (int)floor(left),
		.y = (int)floor(top),
		.width = (int)ceil(left + width * s) - (int)floor(left),
		.height = (int)ceil(top + height * s) - (int)floor(top),
	};
	if (node->type == WLR_SCENE_NODE_RECT) {
		const float *c = wlr_scene_rect_from_node(node)->color;
		render_rect(ctx, &box, c[0], c[1], c[2], c[3]);
	} else if (node->type == WLR_SCENE_NODE_BUFFER) {
		render_buffer(ctx, wlr_scene_buffer_from_node(node), &box);
	}
}

bool capture_render_scene(struct wlr_renderer *renderer, struct wlr_buffer *dst,
		struct wlr_scene_node *node, double origin_x, double origin_y, float scale,
		const float background[4], const pixman_region32_t *clip) {
	struct wlr_render_pass *pass = wlr_renderer_begin_buffer_pass(renderer, dst, NULL);
	if (pass == NULL) {
		return false;
	}
	wlr_render_pass_add_rect(pass, &(struct wlr_render_rect_options){
		.box = {0, 0, dst->width, dst->height},
		.color = {background[0], background[1], background[2], background[3]},
		.clip = clip,
		.blend_mode = WLR_RENDER_BLEND_MODE_NONE,
	});
	struct render_context ctx = {
		.renderer = renderer,
		.pass = pass,
		.origin_x = origin_x,
		.origin_y = origin_y,
		.scale = scale,
		.clip = clip,
	};
	render_node(&ctx, node, 0, 0);
	return wlr_render_pass_submit(pass);
}
