#ifndef PINHOLE_VIEW_H
#define PINHOLE_VIEW_H

#include <stdbool.h>
#include <wayland-server-core.h>
#include <wlr/util/box.h>

struct server;
struct wlr_surface;
struct capture_toplevel;

enum view_type {
	VIEW_XDG,
	VIEW_XWAYLAND,
};

struct view;

/* What differs between xdg-shell and X11 windows; everything else is shared. */
struct view_impl {
	const char *(*get_title)(struct view *view);
	const char *(*get_app_id)(struct view *view);
	void (*set_activated)(struct view *view, bool activated);
	/* Asks the client for a new size; 0x0 lets it choose. */
	void (*configure)(struct view *view, int x, int y, int width, int height);
	void (*set_fullscreen)(struct view *view, bool fullscreen);
	/* The window's geometry relative to its surface origin (excludes shadows). */
	void (*get_geometry)(struct view *view, struct wlr_box *box);
	void (*close)(struct view *view);
};

struct view {
	struct server *server;
	enum view_type type;
	const struct view_impl *impl;
	struct wl_list link; /* server.views */
	struct wlr_surface *surface;
	struct wlr_scene_tree *scene_tree;
	int x, y; /* layout position of the surface origin */
	bool mapped;
	bool fullscreen;
	struct wlr_box saved_box; /* geometry before fullscreen */

	struct wlr_ext_foreign_toplevel_handle_v1 *foreign_toplevel;
	struct capture_toplevel *capture;
};

void view_init(struct view *view, struct server *server, enum view_type type,
	const struct view_impl *impl, struct wlr_surface *surface);
void view_finish(struct view *view);
void view_map(struct view *view, struct wlr_scene_tree *tree);
void view_unmap(struct view *view);
void view_focus(struct view *view);
void view_move(struct view *view, int x, int y);
void view_set_fullscreen(struct view *view, bool fullscreen);
/* Title or app id changed. */
void view_update_identity(struct view *view);
/* The client committed new content somewhere in the window. */
void view_content_changed(struct view *view);
/* Topmost view under layout coordinates, and the surface + surface coordinates there. */
struct view *view_at(struct server *server, double lx, double ly,
	struct wlr_surface **surface, double *sx, double *sy);
void view_cycle_focus(struct server *server);
struct view *view_from_surface(struct server *server, struct wlr_surface *surface);
/* The output under the centre of the window's geometry, or NULL. */
struct wlr_output *view_output(struct view *view);

#endif
