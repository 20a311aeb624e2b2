#ifndef PINHOLE_XDG_H
#define PINHOLE_XDG_H

#include <wayland-server-core.h>

struct server;

void xdg_init(struct server *server);
void xdg_finish(struct server *server);

#endif
