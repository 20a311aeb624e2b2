#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <wlr/render/allocator.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/util/log.h>
#include "capture/capture.h"
#include "output.h"
#include "renderer_recovery.h"
#include "seat.h"
#include "server.h"

struct renderer_recovery {
	struct server *server;
	struct wl_event_source *recreate_idle;
	struct wl_event_source *debug_signal; /* PINHOLE_DEBUG_RENDERER_LOSS only */
	int recoveries;
	struct wl_listener lost;
};

/*
 * A surface's scene buffer whose texture went with the old renderer draws
 * nothing, and the client's next commit would damage only what the client
 * changed: the rest of the window would stay blank on screen and in capture
 * damage. Dropping the buffer makes that commit a new mapping, drawn and
 * damaged whole. Hidden (disabled) nodes too: they are walked by hand.
 */
static void forget_lost_textures(struct wlr_scene_node *node) {
	if (node->type == WLR_SCENE_NODE_TREE) {
		struct wlr_scene_tree *tree = wlr_scene_tree_from_node(node);
		struct wlr_scene_node *child;
		wl_list_for_each(child, &tree->children, link) {
			forget_lost_textures(child);
		}
		return;
	}
	if (node->type != WLR_SCENE_NODE_BUFFER) {
		return;
	}
	struct wlr_scene_buffer *scene_buffer = wlr_scene_buffer_from_node(node);
	struct wlr_client_buffer *client_buffer = scene_buffer->buffer != NULL ?
		wlr_client_buffer_get(scene_buffer->buffer) : NULL;
	if (client_buffer != NULL && client_buffer->texture == NULL) {
		wlr_scene_buffer_set_buffer(scene_buffer, NULL);
	}
}

/*
 * What holds the renderer, and what follows it here: wlr_compositor (client
 * buffers are uploaded with it), every output (swapchains, the cursor plane),
 * the capture module (offscreen buffers, DMA-BUF constraints, GPU waits).
 * Scene buffers and client buffers drop their textures when the old renderer
 * is destroyed: a window is shown again, whole, from its next commit. wl_shm and
 * linux-dmabuf copied the formats and the device at start and hold no
 * renderer; the new renderer comes from the same backend, so the same device.
 */
static void recreate_renderer(void *data) {
	struct renderer_recovery *recovery = data;
	struct server *server = recovery->server;
	recovery->recreate_idle = NULL;

	struct wlr_renderer *renderer = wlr_renderer_autocreate(server->backend);
	struct wlr_allocator *allocator = renderer != NULL ?
		wlr_allocator_autocreate(server->backend, renderer) : NULL;
	if (allocator == NULL) {
		wlr_log(WLR_ERROR, "GPU reset: cannot create a new %s; exiting",
			renderer == NULL ? "renderer" : "allocator");
		if (renderer != NULL) {
			wlr_renderer_destroy(renderer);
		}
		server_terminate(server, 1);
		return;
	}
	struct wlr_renderer *old_renderer = server->renderer;
	struct wlr_allocator *old_allocator = server->allocator;
	server->renderer = renderer;
	server->allocator = allocator;
	wl_list_remove(&recovery->lost.link);
	wl_signal_add(&renderer->events.lost, &recovery->lost);

	wlr_compositor_set_renderer(server->compositor, renderer);
	struct output *output;
	wl_list_for_each(output, &server->outputs, link) {
		if (!wlr_output_init_render(output->wlr_output, allocator, renderer)) {
			wlr_log(WLR_ERROR, "GPU reset: output %s cannot render with the new renderer",
				output->wlr_output->name);
		}
	}
	/* Before the old renderer goes: its EGL fences and buffers are released with it. */
	capture_set_renderer(server->capture, renderer, allocator);
	/*
	 * The output cursors' textures belong to the old renderer; wlr_cursor
	 * would skip setting the same image again, so unset it and let the
	 * pointer's focus (or the desktop) set it anew.
	 */
	seat_reset_cursor_image(server->seat);
	wlr_allocator_destroy(old_allocator);
	wlr_renderer_destroy(old_renderer);
	forget_lost_textures(&server->scene->tree.node);

	/* New swapchains have no history: the next frame of every output is drawn whole. */
	wl_list_for_each(output, &server->outputs, link) {
		if (output->wlr_output->enabled) {
			output_damage_whole(output);
		}
	}
	recovery->recoveries++;
	wlr_log(WLR_INFO, "GPU reset: renderer and allocator recreated (recovery %d)",
		recovery->recoveries);
}

static void handle_lost(struct wl_listener *listener, void *data) {
	struct renderer_recovery *recovery = wl_container_of(listener, recovery, lost);
	/* Not inside the emitter: it may be the renderer itself, mid-frame. */
	if (recovery->recreate_idle != NULL) {
		return;
	}
	wlr_log(WLR_ERROR, "GPU reset: the renderer was lost; recreating it");
	recovery->recreate_idle = wl_event_loop_add_idle(recovery->server->event_loop,
		recreate_renderer, recovery);
	if (recovery->recreate_idle == NULL) {
		server_terminate(recovery->server, 1);
	}
}

static int handle_debug_signal(int signal, void *data) {
	struct renderer_recovery *recovery = data;
	wlr_log(WLR_INFO, "PINHOLE_DEBUG_RENDERER_LOSS: emitting the renderer's lost signal");
	wl_signal_emit_mutable(&recovery->server->renderer->events.lost, NULL);
	return 0;
}

struct renderer_recovery *renderer_recovery_create(struct server *server) {
	struct renderer_recovery *recovery = calloc(1, sizeof(*recovery));
	if (recovery == NULL) {
		return NULL;
	}
	recovery->server = server;
	recovery->lost.notify = handle_lost;
	wl_signal_add(&server->renderer->events.lost, &recovery->lost);
	const char *debug = getenv("PINHOLE_DEBUG_RENDERER_LOSS");
	if (debug != NULL && strcmp(debug, "1") == 0) {
		recovery->debug_signal = wl_event_loop_add_signal(server->event_loop, SIGRTMIN,
			handle_debug_signal, recovery);
		wlr_log(WLR_INFO, "PINHOLE_DEBUG_RENDERER_LOSS=1: signal %d emits the renderer's "
			"lost signal", SIGRTMIN);
	}
	return recovery;
}

void renderer_recovery_destroy(struct renderer_recovery *recovery) {
	if (recovery == NULL) {
		return;
	}
	if (recovery->recreate_idle != NULL) {
		wl_event_source_remove(recovery->recreate_idle);
	}
	if (recovery->debug_signal != NULL) {
		wl_event_source_remove(recovery->debug_signal);
	}
	wl_list_remove(&recovery->lost.link);
	free(recovery);
}
