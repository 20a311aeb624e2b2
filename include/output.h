#ifndef PINHOLE_OUTPUT_H
#define PINHOLE_OUTPUT_H

#include <stdbool.h>
#include <wayland-server-core.h>

struct server;
struct capture_output;

struct output {
	struct server *server;
	struct wlr_output *wlr_output;
	struct wlr_scene_output *scene_output;
	struct capture_output *capture;
	struct wl_list link; /* server.outputs */
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
struct output *output_from_wlr_output(struct server *server, struct wlr_output *wlr_output);
struct wlr_output;
struct wlr_box;
/*
 * Where maximized windows go: the output's box in layout coordinates, for now
 * all of it; layer-shell exclusive zones will shrink it.
 */
void output_usable_area(struct server *server, struct wlr_output *wlr_output,
	struct wlr_box *box);
/* Adds a headless output (testing aid, SIGUSR1). */
bool output_add_headless(struct server *server);
/* Removes the most recently added output (testing aid, SIGUSR2). */
void output_remove_last(struct server *server);

#endif
