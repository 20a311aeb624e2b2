#include <stdlib.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_idle_inhibit_v1.h>
#include <wlr/types/wlr_idle_notify_v1.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_scene.h>
#include <wlr/util/log.h>
#include "idle.h"
#include "server.h"

/* Points per side of the grid an inhibiting surface's visibility is sampled on. */
#define VISIBILITY_SAMPLES 9

struct idle {
	struct server *server;
	struct wlr_idle_notifier_v1 *notifier;
	struct wlr_idle_inhibit_manager_v1 *inhibit_manager;
	struct wl_list inhibitors; /* struct inhibitor.link */
	bool inhibited;
	struct wl_listener new_inhibitor;
};

struct inhibitor {
	struct idle *idle;
	struct wlr_idle_inhibitor_v1 *wlr_inhibitor;
	struct wl_list link; /* idle.inhibitors */
	struct wl_listener commit; /* maps, unmaps and output enter/leave follow commits */
	struct wl_listener destroy;
};

struct find_buffer {
	struct wlr_surface *surface;
	struct wlr_scene_buffer *buffer;
	int x, y; /* layout coordinates */
};

static void find_buffer_iterator(struct wlr_scene_buffer *buffer, int sx, int sy, void *data) {
	struct find_buffer *find = data;
	struct wlr_scene_surface *scene_surface = wlr_scene_surface_try_from_buffer(buffer);
	if (find->buffer == NULL && scene_surface != NULL &&
			scene_surface->surface == find->surface) {
		find->buffer = buffer;
		find->x = sx;
		find->y = sy;
	}
}

/*
 * Whether some of the surface shows on an enabled output, not covered by
 * windows above it or the lock screen. wl_surface.enter is no measure: wlroots
 * keeps a completely covered buffer entered on the outputs under it. Instead
 * the scene is asked what is on top at a grid of points of the surface.
 */
static bool inhibitor_visible(struct idle *idle, struct inhibitor *inhibitor) {
	struct server *server = idle->server;
	struct find_buffer find = {.surface = inhibitor->wlr_inhibitor->surface};
	if (!find.surface->mapped) {
		return false;
	}
	/* Only enabled nodes are walked: a hidden window's surfaces are not found. */
	wlr_scene_node_for_each_buffer(&server->scene->tree.node, find_buffer_iterator, &find);
	if (find.buffer == NULL) {
		return false;
	}
	int width = find.buffer->dst_width > 0 ? find.buffer->dst_width : find.surface->current.width;
	int height = find.buffer->dst_height > 0 ? find.buffer->dst_height :
		find.surface->current.height;
	for (int j = 0; j < VISIBILITY_SAMPLES; j++) {
		for (int i = 0; i < VISIBILITY_SAMPLES; i++) {
			double lx = find.x + (width - 1) * (double)i / (VISIBILITY_SAMPLES - 1) + 0.5;
			double ly = find.y + (height - 1) * (double)j / (VISIBILITY_SAMPLES - 1) + 0.5;
			struct wlr_output *output =
				wlr_output_layout_output_at(server->output_layout, lx, ly);
			if (output == NULL || !output->enabled) {
				continue;
			}
			double sx, sy;
			struct wlr_scene_node *node =
				wlr_scene_node_at(&server->scene->tree.node, lx, ly, &sx, &sy);
			if (node == &find.buffer->node) {
				return true;
			}
		}
	}
	return false;
}

void idle_update_inhibit(struct idle *idle) {
	if (idle == NULL) {
		return;
	}
	bool inhibited = false;
	struct inhibitor *inhibitor;
	wl_list_for_each(inhibitor, &idle->inhibitors, link) {
		inhibited = inhibited || inhibitor_visible(idle, inhibitor);
	}
	if (inhibited != idle->inhibited) {
		idle->inhibited = inhibited;
		wlr_log(WLR_DEBUG, "idle: %s", inhibited ? "inhibited by a visible surface" :
			"no visible inhibitor");
		wlr_idle_notifier_v1_set_inhibited(idle->notifier, inhibited);
	}
}

static void inhibitor_destroy(struct inhibitor *inhibitor) {
	wl_list_remove(&inhibitor->commit.link);
	wl_list_remove(&inhibitor->destroy.link);
	wl_list_remove(&inhibitor->link);
	free(inhibitor);
}

static void handle_inhibitor_commit(struct wl_listener *listener, void *data) {
	struct inhibitor *inhibitor = wl_container_of(listener, inhibitor, commit);
	idle_update_inhibit(inhibitor->idle);
}

static void handle_inhibitor_destroy(struct wl_listener *listener, void *data) {
	struct inhibitor *inhibitor = wl_container_of(listener, inhibitor, destroy);
	struct idle *idle = inhibitor->idle;
	inhibitor_destroy(inhibitor);
	idle_update_inhibit(idle);
}

static void handle_new_inhibitor(struct wl_listener *listener, void *data) {
	struct idle *idle = wl_container_of(listener, idle, new_inhibitor);
	struct wlr_idle_inhibitor_v1 *wlr_inhibitor = data;
	struct inhibitor *inhibitor = calloc(1, sizeof(*inhibitor));
	if (inhibitor == NULL) {
		wl_resource_post_no_memory(wlr_inhibitor->resource);
		return;
	}
	inhibitor->idle = idle;
	inhibitor->wlr_inhibitor = wlr_inhibitor;
	inhibitor->commit.notify = handle_inhibitor_commit;
	wl_signal_add(&wlr_inhibitor->surface->events.commit, &inhibitor->commit);
	inhibitor->destroy.notify = handle_inhibitor_destroy;
	wl_signal_add(&wlr_inhibitor->events.destroy, &inhibitor->destroy);
	wl_list_insert(&idle->inhibitors, &inhibitor->link);
	idle_update_inhibit(idle);
}

void idle_notify_activity(struct idle *idle, struct wlr_seat *seat) {
	if (idle != NULL) {
		wlr_idle_notifier_v1_notify_activity(idle->notifier, seat);
	}
}

struct idle *idle_create(struct server *server) {
	struct idle *idle = calloc(1, sizeof(*idle));
	if (idle == NULL) {
		return NULL;
	}
	idle->server = server;
	wl_list_init(&idle->inhibitors);
	idle->notifier = wlr_idle_notifier_v1_create(server->display);
	idle->inhibit_manager = wlr_idle_inhibit_v1_create(server->display);
	if (idle->notifier == NULL || idle->inhibit_manager == NULL) {
		free(idle);
		return NULL;
	}
	idle->new_inhibitor.notify = handle_new_inhibitor;
	wl_signal_add(&idle->inhibit_manager->events.new_inhibitor, &idle->new_inhibitor);
	return idle;
}

void idle_destroy(struct idle *idle) {
	if (idle == NULL) {
		return;
	}
	struct inhibitor *inhibitor, *tmp;
	wl_list_for_each_safe(inhibitor, tmp, &idle->inhibitors, link) {
		inhibitor_destroy(inhibitor);
	}
	wl_list_remove(&idle->new_inhibitor.link);
	free(idle);
}
