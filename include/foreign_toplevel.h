#ifndef PINHOLE_FOREIGN_TOPLEVEL_H
#define PINHOLE_FOREIGN_TOPLEVEL_H

/*
 * wlr-foreign-toplevel-management-v1: what taskbars see of each mapped view
 * (title, app id, states, outputs, parent) and what they ask of it
 * (activate, close, minimize, maximize, fullscreen).
 */

struct server;
struct view;
struct foreign_toplevel;
struct wlr_output;

void foreign_toplevel_manager_init(struct server *server);
/* A handle for a view being mapped; NULL if out of memory. */
struct foreign_toplevel *foreign_toplevel_create(struct view *view);
void foreign_toplevel_destroy(struct foreign_toplevel *toplevel);
/* Sends what changed in the view since the last update (nothing if nothing did). */
void foreign_toplevel_update(struct foreign_toplevel *toplevel);
/*
 * The output leaves the layout (turned off): the handle leaves it now, while
 * clients still have its wl_output (wlroots removes the global with it).
 */
void foreign_toplevel_leave_output(struct foreign_toplevel *toplevel,
	struct wlr_output *output);

#endif
