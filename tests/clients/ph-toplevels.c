/*
 * ph-toplevels: a taskbar's view of the compositor through
 * zwlr_foreign_toplevel_manager_v1 (version 3). Prints, on each handle's
 * `done`:
 *   done ID app_id=A title=T states=S outputs=O parent=P
 * (S: comma-separated maximized, minimized, activated, fullscreen, or '-';
 * O: comma-separated wl_output names or '-'; P: the parent's ID or '-'),
 * and `closed ID app_id=A` when a window goes. IDs count from 1 in the order
 * handles appear.
 * stdin: 'sync' (a roundtrip; prints 'synced'), 'activate ID', 'close ID',
 * 'maximize ID', 'unmaximize ID', 'minimize ID', 'unminimize ID',
 * 'fullscreen ID', 'fullscreen-on ID OUTPUT-NAME', 'unfullscreen ID', 'rect ID X Y W H' (set_rectangle on a
 * surface of our own), 'quit'. A protocol error is printed as
 * 'protocol-error INTERFACE CODE' and the exit code is 3; events out of order
 * (output_leave without output_enter, output_enter twice) are printed as
 * 'bad-event ...' and make the exit code 4.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wayland-client.h>
#include "client-common.h"
#include "wlr-foreign-toplevel-management-unstable-v1-client-protocol.h"

#define MAX_OUTPUTS 8

struct output {
	struct wl_list link;
	struct wl_output *wl_output;
	uint32_t global_name;
	char name[64];
};

struct toplevel {
	struct wl_list link;
	struct app *app;
	struct zwlr_foreign_toplevel_handle_v1 *handle;
	int id;
	char *title, *app_id;
	uint32_t states; /* 1 << zwlr_foreign_toplevel_handle_v1_state */
	struct wl_output *outputs[MAX_OUTPUTS];
	int parent_id; /* 0: none */
	struct zwlr_foreign_toplevel_handle_v1 *parent;
};

struct app {
	struct wl_display *display;
	struct wl_compositor *compositor;
	struct wl_seat *seat;
	struct zwlr_foreign_toplevel_manager_v1 *manager;
	struct wl_surface *surface; /* for set_rectangle */
	struct wl_list outputs;
	struct wl_list toplevels;
	int next_id;
	bool running;
};

static int bad_events;

static const char *output_name(struct app *app, struct wl_output *wl_output) {
	struct output *output;
	wl_list_for_each(output, &app->outputs, link) {
		if (output->wl_output == wl_output) {
			return output->name[0] != '\0' ? output->name : "?";
		}
	}
	return "?";
}

static struct toplevel *toplevel_by_handle(struct app *app,
		struct zwlr_foreign_toplevel_handle_v1 *handle) {
	struct toplevel *toplevel;
	wl_list_for_each(toplevel, &app->toplevels, link) {
		if (toplevel->handle == handle) {
			return toplevel;
		}
	}
	return NULL;
}

static struct toplevel *toplevel_by_id(struct app *app, int id) {
	struct toplevel *toplevel;
	wl_list_for_each(toplevel, &app->toplevels, link) {
		if (toplevel->id == id) {
			return toplevel;
		}
	}
	return NULL;
}

static void handle_title(void *data, struct zwlr_foreign_toplevel_handle_v1 *handle,
		const char *title) {
	struct toplevel *toplevel = data;
	free(toplevel->title);
	toplevel->title = strdup(title);
}

static void handle_app_id(void *data, struct zwlr_foreign_toplevel_handle_v1 *handle,
		const char *app_id) {
	struct toplevel *toplevel = data;
	free(toplevel->app_id);
	toplevel->app_id = strdup(app_id);
}

static void handle_output_enter(void *data, struct zwlr_foreign_toplevel_handle_v1 *handle,
		struct wl_output *output) {
	struct toplevel *toplevel = data;
	for (int i = 0; i < MAX_OUTPUTS; i++) {
		if (toplevel->outputs[i] == output) {
			reply("bad-event output_enter twice for %d", toplevel->id);
			bad_events++;
			return;
		}
	}
	for (int i = 0; i < MAX_OUTPUTS; i++) {
		if (toplevel->outputs[i] == NULL) {
			toplevel->outputs[i] = output;
			return;
		}
	}
}

static void handle_output_leave(void *data, struct zwlr_foreign_toplevel_handle_v1 *handle,
		struct wl_output *output) {
	struct toplevel *toplevel = data;
	for (int i = 0; i < MAX_OUTPUTS; i++) {
		if (toplevel->outputs[i] == output) {
			toplevel->outputs[i] = NULL;
			return;
		}
	}
	reply("bad-event output_leave without enter for %d", toplevel->id);
	bad_events++;
}

static void handle_state(void *data, struct zwlr_foreign_toplevel_handle_v1 *handle,
		struct wl_array *state) {
	struct toplevel *toplevel = data;
	toplevel->states = 0;
	uint32_t *entry;
	wl_array_for_each(entry, state) {
		if (*entry < 32) {
			toplevel->states |= 1u << *entry;
		}
	}
}

static void handle_done(void *data, struct zwlr_foreign_toplevel_handle_v1 *handle) {
	struct toplevel *toplevel = data;
	struct app *app = toplevel->app;
	static const char *const state_names[] = {
		[ZWLR_FOREIGN_TOPLEVEL_HANDLE_V1_STATE_MAXIMIZED] = "maximized",
		[ZWLR_FOREIGN_TOPLEVEL_HANDLE_V1_STATE_MINIMIZED] = "minimized",
		[ZWLR_FOREIGN_TOPLEVEL_HANDLE_V1_STATE_ACTIVATED] = "activated",
		[ZWLR_FOREIGN_TOPLEVEL_HANDLE_V1_STATE_FULLSCREEN] = "fullscreen",
	};
	char states[128] = "", outputs[256] = "";
	for (size_t i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++) {
		if (toplevel->states & (1u << i)) {
			snprintf(states + strlen(states), sizeof(states) - strlen(states), "%s%s",
				states[0] != '\0' ? "," : "", state_names[i]);
		}
	}
	for (int i = 0; i < MAX_OUTPUTS; i++) {
		if (toplevel->outputs[i] != NULL) {
			snprintf(outputs + strlen(outputs), sizeof(outputs) - strlen(outputs), "%s%s",
				outputs[0] != '\0' ? "," : "", output_name(app, toplevel->outputs[i]));
		}
	}
	struct toplevel *parent = toplevel->parent != NULL ?
		toplevel_by_handle(app, toplevel->parent) : NULL;
	char parent_id[16] = "-";
	if (parent != NULL) {
		snprintf(parent_id, sizeof(parent_id), "%d", parent->id);
	}
	reply("done %d app_id=%s title=%s states=%s outputs=%s parent=%s", toplevel->id,
		toplevel->app_id ? toplevel->app_id : "", toplevel->title ? toplevel->title : "",
		states[0] ? states : "-", outputs[0] ? outputs : "-", parent_id);
}

static void handle_closed(void *data, struct zwlr_foreign_toplevel_handle_v1 *handle) {
	struct toplevel *toplevel = data;
	reply("closed %d app_id=%s", toplevel->id, toplevel->app_id ? toplevel->app_id : "");
	/* Children that named this one as parent get a parent event of their own. */
	wl_list_remove(&toplevel->link);
	zwlr_foreign_toplevel_handle_v1_destroy(handle);
	free(toplevel->title);
	free(toplevel->app_id);
	free(toplevel);
}

static void handle_parent(void *data, struct zwlr_foreign_toplevel_handle_v1 *handle,
		struct zwlr_foreign_toplevel_handle_v1 *parent) {
	struct toplevel *toplevel = data;
	toplevel->parent = parent;
}

static const struct zwlr_foreign_toplevel_handle_v1_listener handle_listener = {
	.title = handle_title,
	.app_id = handle_app_id,
	.output_enter = handle_output_enter,
	.output_leave = handle_output_leave,
	.state = handle_state,
	.done = handle_done,
	.closed = handle_closed,
	.parent = handle_parent,
};

static void manager_handle_toplevel(void *data, struct zwlr_foreign_toplevel_manager_v1 *manager,
		struct zwlr_foreign_toplevel_handle_v1 *handle) {
	struct app *app = data;
	struct toplevel *toplevel = calloc(1, sizeof(*toplevel));
	if (toplevel == NULL) {
		abort();
	}
	toplevel->app = app;
	toplevel->handle = handle;
	toplevel->id = ++app->next_id;
	wl_list_insert(app->toplevels.prev, &toplevel->link);
	zwlr_foreign_toplevel_handle_v1_add_listener(handle, &handle_listener, toplevel);
}

static void manager_handle_finished(void *data,
		struct zwlr_foreign_toplevel_manager_v1 *manager) {
	struct app *app = data;
	reply("finished");
	zwlr_foreign_toplevel_manager_v1_destroy(manager);
	app->manager = NULL;
}

static const struct zwlr_foreign_toplevel_manager_v1_listener manager_listener = {
	.toplevel = manager_handle_toplevel,
	.finished = manager_handle_finished,
};

static void output_handle_name(void *data, struct wl_output *wl_output, const char *name) {
	struct output *output = data;
	snprintf(output->name, sizeof(output->name), "%s", name);
}

static void output_handle_geometry(void *data, struct wl_output *o, int32_t x, int32_t y,
	int32_t pw, int32_t ph, int32_t subpixel, const char *make, const char *model,
	int32_t transform) {}
static void output_handle_mode(void *data, struct wl_output *o, uint32_t flags, int32_t w,
	int32_t h, int32_t refresh) {}
static void output_handle_done(void *data, struct wl_output *o) {}
static void output_handle_scale(void *data, struct wl_output *o, int32_t factor) {}
static void output_handle_description(void *data, struct wl_output *o, const char *d) {}

static const struct wl_output_listener output_listener = {
	.geometry = output_handle_geometry,
	.mode = output_handle_mode,
	.done = output_handle_done,
	.scale = output_handle_scale,
	.name = output_handle_name,
	.description = output_handle_description,
};

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
		const char *interface, uint32_t version) {
	struct app *app = data;
	if (strcmp(interface, wl_compositor_interface.name) == 0) {
		app->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	} else if (strcmp(interface, wl_seat_interface.name) == 0 && app->seat == NULL) {
		app->seat = wl_registry_bind(registry, name, &wl_seat_interface, 1);
	} else if (strcmp(interface, wl_output_interface.name) == 0 && version >= 4) {
		struct output *output = calloc(1, sizeof(*output));
		if (output == NULL) {
			abort();
		}
		output->global_name = name;
		output->wl_output = wl_registry_bind(registry, name, &wl_output_interface, 4);
		wl_output_add_listener(output->wl_output, &output_listener, output);
		wl_list_insert(&app->outputs, &output->link);
	} else if (strcmp(interface, zwlr_foreign_toplevel_manager_v1_interface.name) == 0) {
		app->manager = wl_registry_bind(registry, name,
			&zwlr_foreign_toplevel_manager_v1_interface, version < 3 ? version : 3);
	}
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name) {
	struct app *app = data;
	struct output *output;
	wl_list_for_each(output, &app->outputs, link) {
		if (output->global_name == name) {
			wl_list_remove(&output->link);
			wl_output_release(output->wl_output);
			free(output);
			return;
		}
	}
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

static void run_command(void *data, char *line) {
	struct app *app = data;
	char cmd[32], name[64] = "";
	int id = 0, x = 0, y = 0, w = 0, h = 0;
	int n = sscanf(line, "%31s %d %d %d %d %d", cmd, &id, &x, &y, &w, &h);
	sscanf(line, "%*s %*d %63s", name);
	if (n < 1) {
		return;
	}
	if (strcmp(cmd, "quit") == 0) {
		app->running = false;
		return;
	}
	if (strcmp(cmd, "sync") == 0) {
		wl_display_roundtrip(app->display);
		reply("synced");
		return;
	}
	struct toplevel *toplevel = n >= 2 ? toplevel_by_id(app, id) : NULL;
	if (toplevel == NULL) {
		reply("error no toplevel %d", id);
		return;
	}
	struct zwlr_foreign_toplevel_handle_v1 *handle = toplevel->handle;
	if (strcmp(cmd, "activate") == 0) {
		zwlr_foreign_toplevel_handle_v1_activate(handle, app->seat);
	} else if (strcmp(cmd, "close") == 0) {
		zwlr_foreign_toplevel_handle_v1_close(handle);
	} else if (strcmp(cmd, "maximize") == 0) {
		zwlr_foreign_toplevel_handle_v1_set_maximized(handle);
	} else if (strcmp(cmd, "unmaximize") == 0) {
		zwlr_foreign_toplevel_handle_v1_unset_maximized(handle);
	} else if (strcmp(cmd, "minimize") == 0) {
		zwlr_foreign_toplevel_handle_v1_set_minimized(handle);
	} else if (strcmp(cmd, "unminimize") == 0) {
		zwlr_foreign_toplevel_handle_v1_unset_minimized(handle);
	} else if (strcmp(cmd, "fullscreen") == 0) {
		zwlr_foreign_toplevel_handle_v1_set_fullscreen(handle, NULL);
	} else if (strcmp(cmd, "fullscreen-on") == 0) {
		struct output *output, *found = NULL;
		wl_list_for_each(output, &app->outputs, link) {
			if (strcmp(output->name, name) == 0) {
				found = output;
			}
		}
		if (found == NULL) {
			reply("error no output '%s'", name);
			return;
		}
		zwlr_foreign_toplevel_handle_v1_set_fullscreen(handle, found->wl_output);
	} else if (strcmp(cmd, "unfullscreen") == 0) {
		zwlr_foreign_toplevel_handle_v1_unset_fullscreen(handle);
	} else if (strcmp(cmd, "rect") == 0 && n == 6) {
		zwlr_foreign_toplevel_handle_v1_set_rectangle(handle, app->surface, x, y, w, h);
	} else {
		reply("error unknown command '%s'", line);
		return;
	}
	wl_display_flush(app->display);
}

/* Everything goes, so that LeakSanitizer sees no proxy left. */
static void destroy_all(struct app *app, struct wl_registry *registry) {
	struct toplevel *toplevel, *tmp;
	wl_list_for_each_safe(toplevel, tmp, &app->toplevels, link) {
		wl_list_remove(&toplevel->link);
		zwlr_foreign_toplevel_handle_v1_destroy(toplevel->handle);
		free(toplevel->title);
		free(toplevel->app_id);
		free(toplevel);
	}
	struct output *output, *output_tmp;
	wl_list_for_each_safe(output, output_tmp, &app->outputs, link) {
		wl_list_remove(&output->link);
		wl_output_destroy(output->wl_output);
		free(output);
	}
	if (app->manager != NULL) {
		zwlr_foreign_toplevel_manager_v1_destroy(app->manager);
	}
	if (app->surface != NULL) {
		wl_surface_destroy(app->surface);
	}
	if (app->seat != NULL) {
		wl_seat_destroy(app->seat);
	}
	if (app->compositor != NULL) {
		wl_compositor_destroy(app->compositor);
	}
	wl_registry_destroy(registry);
}

int main(void) {
	struct app app = {.running = true};
	wl_list_init(&app.outputs);
	wl_list_init(&app.toplevels);
	app.display = wl_display_connect(NULL);
	if (app.display == NULL) {
		fprintf(stderr, "ph-toplevels: cannot connect\n");
		return 1;
	}
	struct wl_registry *registry = wl_display_get_registry(app.display);
	wl_registry_add_listener(registry, &registry_listener, &app);
	wl_display_roundtrip(app.display);
	if (app.manager == NULL || app.compositor == NULL || app.seat == NULL) {
		fprintf(stderr, "ph-toplevels: no zwlr_foreign_toplevel_manager_v1\n");
		reply("no-manager");
		return 2;
	}
	app.surface = wl_compositor_create_surface(app.compositor);
	zwlr_foreign_toplevel_manager_v1_add_listener(app.manager, &manager_listener, &app);
	wl_display_roundtrip(app.display); /* output names */
	wl_display_roundtrip(app.display); /* the toplevels and their first done */
	reply("listed");

	/* A taskbar goes on when its stdin closes. */
	if (client_run(app.display, &app.running, run_command, &app) == CLIENT_RUN_STDIN_CLOSED) {
		client_run(app.display, &app.running, NULL, NULL);
	}
	int code = bad_events > 0 ? 4 : 0;
	if (wl_display_get_error(app.display) != 0) {
		client_report_protocol_error(app.display);
		code = 3;
	} else if (app.manager != NULL) {
		/* Tell the compositor we are done, and wait for `finished`, as a taskbar would. */
		zwlr_foreign_toplevel_manager_v1_stop(app.manager);
		wl_display_roundtrip(app.display);
	}
	destroy_all(&app, registry);
	wl_display_disconnect(app.display);
	return code;
}
