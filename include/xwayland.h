#ifndef PINHOLE_XWAYLAND_H
#define PINHOLE_XWAYLAND_H

struct server;

/* Starts XWayland lazily (on the first X11 client) and sets DISPLAY. */
struct xwayland *xwayland_create(struct server *server);
void xwayland_destroy(struct xwayland *xwayland);
struct wlr_xwayland *xwayland_get_wlr(struct xwayland *xwayland);

#endif
