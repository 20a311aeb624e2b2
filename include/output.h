#ifndef PINHOLE_OUTPUT_H
#define PINHOLE_OUTPUT_H

#include <stdbool.h>
#include <wayland-server-core.h>
#include <wlr/util/box.h>

struct server;
struct capture_output;
struct output_clock;
struct wlr_output;
struct config_output;

struct output {
	struct server *server;
	struct wlr_output *wlr_output;
	struct wlr_scene_output *scene_output;
	struct capture_output *capture;
	struct output_clock *clock; /* --clock step only */
	struct wl_list link; /* server.outputs */
	/*
	 * Layout coordinates of what layer-shell exclusive zones (panels) leave
	 * for windows; kept by layer_shell.c, empty until the output is arranged.
	 */
	struct wlr_box usable_area;
	/*
	 * Its last place in the layout, kept while it is off: output management
	 * clients are shown it and it comes back there when turned on again.
	 */
	bool has_position;
	struct wlr_box box;
	/* Outputs without a refresh cycle of their own may render on demand. */
	bool render_on_demand;
	struct wl_event_source *render_idle;

	struct wl_listener frame;
	struct wl_listener needs_frame;
	struct wl_listener request_state;
	struct wl_listener destroy;
};

void output_handle_new(struct wl_listener *listener, void *data);
void output_manager_init(struct server *server);
/* Renders as soon as the event loop is idle if a capture waits for content. */
void output_request_frame(struct output *output, bool force);
/* The output at a layout point, else the nearest one; NULL without outputs. */
struct output *output_at(struct server *server, double lx, double ly);
/*
 * Where windows go on an output (layout coordinates): all of it but what
 * layer-shell exclusive zones (panels) claim. Empty if it is not in the layout.
 */
void output_usable_area(struct server *server, struct wlr_output *wlr_output,
	struct wlr_box *box);
/* The next frame draws all of the output and is committed even if nothing changed. */
void output_damage_whole(struct output *output);
/* Puts an enabled output into the layout (where settings say, if they do), or takes it out. */
void output_place(struct output *output, const struct config_output *settings);
struct output *output_from_wlr_output(struct server *server, struct wlr_output *wlr_output);
/* Adds a headless output (testing aid, SIGUSR1). */
bool output_add_headless(struct server *server);
/* Removes the most recently added output (testing aid, SIGUSR2). */
void output_remove_last(struct server *server);

#endif
