#ifndef PINHOLE_XDG_H
#define PINHOLE_XDG_H

#include <wayland-server-core.h>

struct server;

struct wlr_xdg_popup;

void xdg_init(struct server *server);
/*
 * Keeps a popup on its output: the usable area for popups of windows, the
 * whole output for popups of layer surfaces (a panel's menu may cover panels).
 */
void xdg_popup_unconstrain(struct server *server, struct wlr_xdg_popup *popup);
void xdg_finish(struct server *server);

#endif
