#ifndef PINHOLE_SURFACE_COMMITS_H
#define PINHOLE_SURFACE_COMMITS_H

#include <wayland-server-core.h>

struct seat;
struct wlr_compositor;

/*
 * Follows every wl_surface commit and, once the scene shows it, lets the
 * pointer focus follow what is under the pointer now (seat_pointer_rebase):
 * a new size, input region, buffer, subsurface position or stacking order
 * can put another surface under a pointer that did not move. After a
 * surface is destroyed, it does the same once the event loop is idle.
 */
struct surface_commits *surface_commits_create(struct wl_event_loop *event_loop,
	struct wlr_compositor *compositor, struct seat *seat);
void surface_commits_destroy(struct surface_commits *commits);

#endif
