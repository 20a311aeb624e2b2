#include <stdlib.h>
#include <wlr/backend/drm.h>
#include <wlr/types/wlr_drm_lease_v1.h>
#include <wlr/types/wlr_output.h>
#include <wlr/util/log.h>
#include "drm_lease.h"
#include "server.h"

struct drm_lease {
	struct wlr_drm_lease_v1_manager *manager;
	struct wl_listener request;
	struct wl_listener destroy;
};

static void handle_request(struct wl_listener *listener, void *data) {
	struct wlr_drm_lease_request_v1 *request = data;
	struct wlr_drm_lease_v1 *lease = wlr_drm_lease_request_v1_grant(request);
	if (lease == NULL) {
		/* Another lease holds one of the connectors. */
		wlr_log(WLR_ERROR, "drm-lease: could not grant a lease of %zu connector(s)",
			request->n_connectors);
		wlr_drm_lease_request_v1_reject(request);
		return;
	}
	wlr_log(WLR_INFO, "drm-lease: leased %zu connector(s)", request->n_connectors);
}

/* The manager goes with the display. */
static void handle_destroy(struct wl_listener *listener, void *data) {
	struct drm_lease *drm_lease = wl_container_of(listener, drm_lease, destroy);
	wl_list_remove(&drm_lease->request.link);
	wl_list_remove(&drm_lease->destroy.link);
	free(drm_lease);
}

struct drm_lease *drm_lease_create(struct server *server) {
	struct wlr_drm_lease_v1_manager *manager =
		wlr_drm_lease_v1_manager_create(server->display, server->backend);
	if (manager == NULL) {
		wlr_log(WLR_DEBUG, "drm-lease: no DRM backend, no wp_drm_lease_device_v1");
		return NULL;
	}
	struct drm_lease *drm_lease = calloc(1, sizeof(*drm_lease));
	if (drm_lease == NULL) {
		return NULL;
	}
	drm_lease->manager = manager;
	drm_lease->request.notify = handle_request;
	wl_signal_add(&manager->events.request, &drm_lease->request);
	drm_lease->destroy.notify = handle_destroy;
	wl_signal_add(&manager->events.destroy, &drm_lease->destroy);
	return drm_lease;
}

bool drm_lease_offer_output(struct drm_lease *drm_lease, struct wlr_output *output) {
	if (drm_lease == NULL || !wlr_output_is_drm(output)) {
		return false;
	}
	return wlr_drm_lease_v1_manager_offer_output(drm_lease->manager, output);
}
