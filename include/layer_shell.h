#ifndef PINHOLE_LAYER_SHELL_H
#define PINHOLE_LAYER_SHELL_H

#include <stdbool.h>

struct server;
struct layer_shell;
struct output;
struct wlr_surface;
struct wlr_box;

/*
 * wlr-layer-shell-unstable-v1: panels, wallpapers, notifications and
 * launchers. Their scene trees (server.layer_trees) are created by the server
 * in stacking order; this module places the surfaces on their outputs, keeps
 * each output's usable area (struct output.usable_area) and decides keyboard
 * focus among layer surfaces and windows.
 */
struct layer_shell *layer_shell_create(struct server *server);
void layer_shell_destroy(struct layer_shell *shell);

/* Places the layer surfaces of an output again and recomputes its usable area. */
void layer_shell_arrange(struct layer_shell *shell, struct output *output);

/*
 * Whether a layer surface holds the keyboard exclusively (keyboard
 * interactivity "exclusive" on the top or overlay layer): windows may be
 * raised then, but not focused.
 */
bool layer_shell_has_exclusive_focus(struct layer_shell *shell);

/* A click on a surface: layer surfaces that accept the keyboard take focus. */
void layer_shell_handle_click(struct layer_shell *shell, struct wlr_surface *surface);

/*
 * For popups whose root is a layer surface: the layout position of that
 * surface's origin and the area its popups must stay in (its whole output).
 * False if root is not one of pinhole's layer surfaces or its output is not
 * in the layout.
 */
bool layer_shell_popup_area(struct wlr_surface *root, int *root_lx, int *root_ly,
	struct wlr_box *area);

#endif
