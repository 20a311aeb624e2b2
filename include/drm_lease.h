#ifndef PINHOLE_DRM_LEASE_H
#define PINHOLE_DRM_LEASE_H

#include <stdbool.h>

struct server;
struct drm_lease;
struct wlr_output;

/*
 * wp-drm-lease-v1 on the DRM backend: outputs marked non_desktop (VR
 * headsets) are not put into the layout but offered for lease, and every
 * lease request is granted. NULL (and no global) without a DRM backend.
 * Sandboxed clients do not see the global (server.c's filter).
 */
struct drm_lease *drm_lease_create(struct server *server);
/* Offers a non_desktop output; false if it cannot be (no DRM backend, or not DRM). */
bool drm_lease_offer_output(struct drm_lease *drm_lease, struct wlr_output *output);

#endif
