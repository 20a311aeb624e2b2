#ifndef PINHOLE_VIEW_H
#define PINHOLE_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <wayland-server-core.h>
#include <wlr/util/box.h>

struct server;
struct wlr_surface;
struct capture_toplevel;
struct foreign_toplevel;

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
	void (*set_maximized)(struct view *view, bool maximized);
	/* NULL when the shell cannot tell the client (xdg-shell has no minimized state). */
	void (*set_minimized)(struct view *view, bool minimized);
	/* The view this one is a dialog or child window of, or NULL. */
	struct view *(*get_parent)(struct view *view);
	/* NULL when the shell has no urgency state to tell (xdg-shell has none). */
	void (*set_urgent)(struct view *view, bool urgent);
	/* The window's geometry relative to its surface origin (excludes shadows). */
	void (*get_geometry)(struct view *view, struct wlr_box *box);
	/*
	 * Where the client asked its new window's surface origin to go, in
	 * layout coordinates (X11 USPosition/PPosition); false, or NULL, for
	 * windows placed by pinhole's --placement policy.
	 */
	bool (*get_requested_position)(struct view *view, int *x, int *y);
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
	bool maximized;
	bool minimized; /* hidden from the scene until restored */
	bool urgent; /* asked for activation without the right to it; cleared by focus */
	/* Surface origin and geometry size while neither maximized nor fullscreen. */
	struct wlr_box saved_box;
	/* The area a maximized or fullscreen view's geometry fills. */
	struct wlr_box state_box;
	/*
	 * The output that box belongs to, so that it is refitted to that output
	 * when it changes (NULL while unmapped or once the output is gone).
	 */
	struct wlr_output *state_output;

	struct wlr_ext_foreign_toplevel_handle_v1 *foreign_toplevel;
	struct capture_toplevel *capture;
	struct foreign_toplevel *foreign_management; /* wlr-foreign-toplevel-management */
};

void view_init(struct view *view, struct server *server, enum view_type type,
	const struct view_impl *impl, struct wlr_surface *surface);
void view_finish(struct view *view);
void view_map(struct view *view, struct wlr_scene_tree *tree);
void view_unmap(struct view *view);
void view_focus(struct view *view);
void view_move(struct view *view, int x, int y);
/* Moves a floating view's surface origin and asks the client for a geometry size. */
void view_move_resize(struct view *view, int x, int y, int width, int height);
void view_set_fullscreen(struct view *view, bool fullscreen);
/* Fills the usable area of the view's output (see output_usable_area()). */
void view_set_maximized(struct view *view, bool maximized);
/* Hides the view and hands keyboard focus to the next window. */
void view_set_minimized(struct view *view, bool minimized);
/* Restores a minimized view, raises and focuses it: taskbars, activation, cycling. */
void view_activate(struct view *view);
/*
 * Marks a view that asked for attention it may not take (focus clears it;
 * the focused view is never marked). Alt+Tab goes to urgent views first.
 */
void view_set_urgent(struct view *view, bool urgent);
/* Maximized (not fullscreen) windows fill their output's usable area again. */
void view_arrange_maximized(struct server *server);
/*
 * Maximized and fullscreen views take their output's current box (the
 * nearest output's, if theirs went away) where it differs from the one they
 * have: a new mode, scale, transform, position or usable area; with
 * orphans_only, only the views whose box is on no output any more.
 */
void view_arrange_states(struct server *server, bool orphans_only);
/* An output of the layout: its box at the last layout change and now. */
struct view_output_move {
	struct wlr_output *output;
	struct wlr_box old_box, new_box;
};
/*
 * Windows go with the output they overlapped most if it moved, keeping
 * their offset from its top-left corner; floating windows that stick out
 * of an output that shrank are moved back inside its usable area.
 * Maximized and fullscreen windows only carry their floating place along
 * (brought inside a shrunk output the same way): view_arrange_states()
 * refits their box after.
 */
void view_follow_outputs(struct server *server, const struct view_output_move *moves,
	size_t moves_len);
/*
 * After the layout changed: windows on no output (theirs was removed, turned
 * off or moved away) are centred on the nearest remaining output; maximized
 * and fullscreen ones take its box and their floating place moves there too.
 */
void view_rescue_orphans(struct server *server);
/* The output is going away: views stop referring to it. */
void view_forget_output(struct server *server, struct wlr_output *wlr_output);
/* The client committed: maximized and fullscreen views keep their geometry in place. */
void view_committed(struct view *view);
/* The shell reported a new parent window. */
void view_parent_changed(struct view *view);
/* The output under the middle of the view's geometry, or the first output. */
struct wlr_output *view_output(struct view *view);
/* Title or app id changed. */
void view_update_identity(struct view *view);
/* The client committed new content somewhere in the window. */
void view_content_changed(struct view *view);
/* Topmost view under layout coordinates, and the surface + surface coordinates there. */
struct view *view_at(struct server *server, double lx, double ly,
	struct wlr_surface **surface, double *sx, double *sy);
void view_cycle_focus(struct server *server);
struct view *view_from_surface(struct server *server, struct wlr_surface *surface);

#endif
