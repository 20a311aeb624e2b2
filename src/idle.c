#include <stdlib.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_idle_inhibit_v1.h>
#include <wlr/types/wlr_idle_notify_v1.h>
#include <wlr/types/wlr_output.h>
#include <wlr/util/log.h>
#include "idle.h"
#include "server.h"

struct idle {
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

/*
 * wlr_scene sends wl_surface.enter only for enabled outputs where some of the
 * surface is not covered by opaque content: current_outputs is where it shows.
 */
static bool inhibitor_visible(struct inhibitor *inhibitor) {
	struct wlr_surface *surface = inhibitor->wlr_inhibitor->surface;
	if (!surface->mapped) {
		return false;
	}
	struct wlr_surface_output *surface_output;
	wl_list_for_each(surface_output, &surface->current_outputs, link) {
		if (surface_output->output->enabled) {
			return true;
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
		inhibited = inhibited || inhibitor_visible(inhibitor);
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
