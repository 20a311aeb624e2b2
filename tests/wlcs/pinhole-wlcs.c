/*
 * The WLCS integration module: the Wayland Conformance Suite's runner loads
 * this and drives pinhole's real core (server_init() and everything it sets
 * up, linked from the same library as the pinhole executable) on a headless
 * backend. Clients connect through socketpairs handed to wl_client_create();
 * the fake pointer and touch devices are wlroots input devices announced on
 * the backend's new_input signal, so their events take the path a physical
 * device's take (wlr_cursor, the seat, view_at, wlr_seat).
 *
 * Threading: only start_on_this_thread is provided, so every call from WLCS
 * arrives on the compositor's thread through WLCS's own event loop, which
 * pinhole's loop watches. create_server and get_descriptor run on WLCS's main
 * thread before that thread starts.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/input-event-codes.h>
#include <wayland-client.h>
#include <wayland-server-core.h>
#include <wlr/backend.h>
#include <wlr/interfaces/wlr_keyboard.h>
#include <wlr/interfaces/wlr_pointer.h>
#include <wlr/interfaces/wlr_touch.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_cursor.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_pointer.h>
#include <wlr/types/wlr_touch.h>
#include <wlr/util/box.h>
#include <wlr/util/log.h>
#include <wlcs/display_server.h>
#include <wlcs/pointer.h>
#include <wlcs/touch.h>
#include "config_file.h"
#include "options.h"
#include "seat.h"
#include "server.h"
#include "view.h"

struct pinhole_wlcs {
	WlcsDisplayServer base;
	struct options options;
	struct server server;
	bool server_ready;

	/* Clients created through create_client_socket, to find a client from its fd. */
	struct wl_list clients; /* struct wlcs_client.link */

	WlcsIntegrationDescriptor descriptor;
	WlcsExtensionDescriptor *extensions;

	/*
	 * One touchscreen, present from the start like a laptop's: a client
	 * that connects before a test's first touch already sees the touch
	 * capability and has its wl_touch when the touch comes down. Each
	 * WlcsTouch is one finger on it.
	 */
	struct wlr_touch touchscreen;
	int32_t next_touch_id;

	/*
	 * One keyboard, present from the start like a laptop's: WLCS's clients
	 * ask for a wl_keyboard only when the seat has the capability, and its
	 * focus, layer-shell interactivity and text-input tests follow the
	 * keyboard focus through wl_keyboard.enter/leave. WLCS has no keys to press.
	 */
	struct wlr_keyboard keyboard;
};

struct wlcs_client {
	int client_fd; /* the end WLCS owns: wl_display_get_fd() of its wl_display */
	struct wl_client *client;
	struct wl_list link;
	struct wl_listener destroy;
};

struct fake_pointer {
	WlcsPointer base;
	struct pinhole_wlcs *wlcs;
	struct wlr_pointer pointer;
};

struct fake_touch {
	WlcsTouch base;
	struct pinhole_wlcs *wlcs;
	int32_t id;
	bool down;
};

static struct pinhole_wlcs *pinhole_wlcs_from_base(WlcsDisplayServer *base) {
	struct pinhole_wlcs *wlcs = wl_container_of(base, wlcs, base);
	return wlcs;
}

static uint32_t now_msec(void) {
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint32_t)(now.tv_sec * 1000 + now.tv_nsec / 1000000);
}

/* The descriptor: what a client of this server really sees in its registry. */

struct registry_scan {
	WlcsExtensionDescriptor *extensions;
	size_t len, cap;
	bool done;
	bool failed;
};

static void registry_handle_global(void *data, struct wl_registry *registry, uint32_t name,
		const char *interface, uint32_t version) {
	struct registry_scan *scan = data;
	for (size_t i = 0; i < scan->len; i++) {
		if (strcmp(scan->extensions[i].name, interface) == 0) {
			/* Several wl_outputs, say: the highest version counts. */
			if (version > scan->extensions[i].version) {
				scan->extensions[i].version = version;
			}
			return;
		}
	}
	if (scan->len == scan->cap) {
		size_t cap = scan->cap ? scan->cap * 2 : 32;
		WlcsExtensionDescriptor *grown =
			realloc(scan->extensions, cap * sizeof(*scan->extensions));
		if (grown == NULL) {
			scan->failed = true;
			return;
		}
		scan->extensions = grown;
		scan->cap = cap;
	}
	char *copy = strdup(interface);
	if (copy == NULL) {
		scan->failed = true;
		return;
	}
	scan->extensions[scan->len++] = (WlcsExtensionDescriptor){copy, version};
}

static void registry_handle_global_remove(void *data, struct wl_registry *registry,
		uint32_t name) {
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_handle_global,
	.global_remove = registry_handle_global_remove,
};

static void sync_handle_done(void *data, struct wl_callback *callback, uint32_t serial) {
	struct registry_scan *scan = data;
	scan->done = true;
}

static const struct wl_callback_listener sync_listener = {
	.done = sync_handle_done,
};

/*
 * Connects a client to the display on this thread and lists its registry.
 * The compositor's loop is not running yet, so we turn both sides by hand:
 * the server reads the requests and flushes its replies into the socket,
 * then the client reads them.
 */
static bool scan_globals(struct pinhole_wlcs *wlcs) {
	struct wl_display *display = wlcs->server.display;
	int fds[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
		wlr_log_errno(WLR_ERROR, "wlcs: socketpair");
		return false;
	}
	struct wl_client *client = wl_client_create(display, fds[0]);
	if (client == NULL) {
		close(fds[0]);
		close(fds[1]);
		return false;
	}
	struct wl_display *client_display = wl_display_connect_to_fd(fds[1]);
	if (client_display == NULL) {
		wl_client_destroy(client);
		close(fds[1]);
		return false;
	}
	struct registry_scan scan = {0};
	struct wl_registry *registry = wl_display_get_registry(client_display);
	wl_registry_add_listener(registry, &registry_listener, &scan);
	struct wl_callback *callback = wl_display_sync(client_display);
	wl_callback_add_listener(callback, &sync_listener, &scan);
	wl_display_flush(client_display);
	/* One turn suffices; a few more cover a reply split across reads. */
	for (int turn = 0; turn < 16 && !scan.done; turn++) {
		wl_event_loop_dispatch(wlcs->server.event_loop, 0);
		wl_display_flush_clients(display);
		if (wl_display_dispatch(client_display) < 0) {
			break;
		}
	}
	wl_callback_destroy(callback);
	wl_registry_destroy(registry);
	wl_display_disconnect(client_display);
	wl_client_destroy(client);

	if (!scan.done || scan.failed) {
		wlr_log(WLR_ERROR, "wlcs: could not list the compositor's globals");
		for (size_t i = 0; i < scan.len; i++) {
			free((char *)scan.extensions[i].name);
		}
		free(scan.extensions);
		return false;
	}
	wlcs->extensions = scan.extensions;
	wlcs->descriptor = (WlcsIntegrationDescriptor){
		.version = 1,
		.num_extensions = scan.len,
		.supported_extensions = scan.extensions,
	};
	for (size_t i = 0; i < scan.len; i++) {
		wlr_log(WLR_DEBUG, "wlcs: offers %s v%u", scan.extensions[i].name,
			scan.extensions[i].version);
	}
	return true;
}

static const WlcsIntegrationDescriptor *get_descriptor(const WlcsDisplayServer *base) {
	struct pinhole_wlcs *wlcs = pinhole_wlcs_from_base((WlcsDisplayServer *)base);
	return &wlcs->descriptor;
}

/* Running */

static int handle_wlcs_events(int fd, uint32_t mask, void *data) {
	struct wl_event_loop *wlcs_loop = data;
	wl_event_loop_dispatch(wlcs_loop, 0);
	return 0;
}

static void start_on_this_thread(WlcsDisplayServer *base, struct wl_event_loop *wlcs_loop) {
	struct pinhole_wlcs *wlcs = pinhole_wlcs_from_base(base);
	struct wl_event_source *source = wl_event_loop_add_fd(wlcs->server.event_loop,
		wl_event_loop_get_fd(wlcs_loop), WL_EVENT_READABLE, handle_wlcs_events, wlcs_loop);
	/* Calls WLCS queued before we started watching its loop. */
	wl_event_loop_dispatch(wlcs_loop, 0);
	wl_display_run(wlcs->server.display);
	wl_event_source_remove(source);
}

static void stop(WlcsDisplayServer *base) {
	struct pinhole_wlcs *wlcs = pinhole_wlcs_from_base(base);
	server_terminate(&wlcs->server, 0);
}

/* Clients */

static void client_handle_destroy(struct wl_listener *listener, void *data) {
	struct wlcs_client *wlcs_client = wl_container_of(listener, wlcs_client, destroy);
	wl_list_remove(&wlcs_client->destroy.link);
	wl_list_remove(&wlcs_client->link);
	free(wlcs_client);
}

static int create_client_socket(WlcsDisplayServer *base) {
	struct pinhole_wlcs *wlcs = pinhole_wlcs_from_base(base);
	int fds[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
		wlr_log_errno(WLR_ERROR, "wlcs: socketpair");
		return -1;
	}
	struct wlcs_client *wlcs_client = calloc(1, sizeof(*wlcs_client));
	if (wlcs_client == NULL) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	wlcs_client->client = wl_client_create(wlcs->server.display, fds[0]);
	if (wlcs_client->client == NULL) {
		free(wlcs_client);
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	/* WLCS may have closed an earlier client's fd: the number can come back. */
	struct wlcs_client *old, *tmp;
	wl_list_for_each_safe(old, tmp, &wlcs->clients, link) {
		if (old->client_fd == fds[1]) {
			client_handle_destroy(&old->destroy, NULL);
		}
	}
	wlcs_client->client_fd = fds[1];
	wlcs_client->destroy.notify = client_handle_destroy;
	wl_client_add_destroy_listener(wlcs_client->client, &wlcs_client->destroy);
	wl_list_insert(&wlcs->clients, &wlcs_client->link);
	return fds[1];
}

static void position_window_absolute(WlcsDisplayServer *base, struct wl_display *client_display,
		struct wl_surface *client_surface, int x, int y) {
	struct pinhole_wlcs *wlcs = pinhole_wlcs_from_base(base);
	int fd = wl_display_get_fd(client_display);
	struct wl_client *client = NULL;
	struct wlcs_client *wlcs_client;
	wl_list_for_each(wlcs_client, &wlcs->clients, link) {
		if (wlcs_client->client_fd == fd) {
			client = wlcs_client->client;
		}
	}
	if (client == NULL) {
		wlr_log(WLR_ERROR, "wlcs: position_window_absolute: unknown client (fd %d)", fd);
		return;
	}
	uint32_t id = wl_proxy_get_id((struct wl_proxy *)client_surface);
	struct wl_resource *resource = wl_client_get_object(client, id);
	if (resource == NULL || strcmp(wl_resource_get_class(resource), "wl_surface") != 0) {
		wlr_log(WLR_ERROR, "wlcs: position_window_absolute: no wl_surface %u", id);
		return;
	}
	struct wlr_surface *surface = wlr_surface_from_resource(resource);
	struct view *view = view_from_surface(&wlcs->server, surface);
	if (view == NULL) {
		wlr_log(WLR_ERROR, "wlcs: position_window_absolute: wl_surface %u is no mapped window",
			id);
		return;
	}
	wlr_log(WLR_DEBUG, "wlcs: moving the window of wl_surface %u to %d,%d", id, x, y);
	view_move(view, x, y);
}

/* Fake input devices */

/*
 * The touchscreen spans the whole layout: wlr_cursor maps its [0, 1] onto it.
 * WLCS tests the pixels either side of a window's edge, so the fraction is
 * nudged until wlr_cursor's box.x + fraction * box.width lands on the pixel
 * asked for or a rounding error past it, never short of it: the scene takes
 * the pixel a position is in (49 / 720 * 720 is 48.99999999999999).
 */
static double layout_fraction(int position, int origin, int size) {
	if (size <= 0) {
		return 0;
	}
	double fraction = (double)(position - origin) / size;
	for (int i = 0; i < 4 && origin + fraction * size < position; i++) {
		fraction = nextafter(fraction, 2.0);
	}
	return fraction;
}

/*
 * WLCS 1.8.1 passes touch positions as whole pixels, although its touch.h
 * declares wl_fixed_t: its own Mir integration reads them as int too.
 */
static void touch_to_absolute(struct pinhole_wlcs *wlcs, int x, int y, double *ax, double *ay) {
	struct wlr_box box;
	wlr_output_layout_get_box(wlcs->server.output_layout, NULL, &box);
	*ax = layout_fraction(x, box.x, box.width);
	*ay = layout_fraction(y, box.y, box.height);
}

static const struct wlr_pointer_impl fake_pointer_impl = {
	.name = "wlcs-pointer",
};

static void pointer_motion(struct fake_pointer *fake, double dx, double dy) {
	struct wlr_pointer_motion_event event = {
		.pointer = &fake->pointer,
		.time_msec = now_msec(),
		.delta_x = dx,
		.delta_y = dy,
		.unaccel_dx = dx,
		.unaccel_dy = dy,
	};
	wl_signal_emit_mutable(&fake->pointer.events.motion, &event);
	wl_signal_emit_mutable(&fake->pointer.events.frame, &fake->pointer);
}

/*
 * The fake pointer is a mouse: it reaches an absolute position by moving by
 * the difference. (An absolute device's [0, 1] coordinates would not map back
 * to whole pixels exactly on a 1280-wide layout, and WLCS tests the pixels
 * either side of a window's edge.)
 */
static void pointer_move_absolute(WlcsPointer *base, wl_fixed_t x, wl_fixed_t y) {
	struct fake_pointer *fake = wl_container_of(base, fake, base);
	struct wlr_cursor *cursor = seat_cursor(fake->wlcs->server.seat);
	pointer_motion(fake, wl_fixed_to_double(x) - cursor->x, wl_fixed_to_double(y) - cursor->y);
}

static void pointer_move_relative(WlcsPointer *base, wl_fixed_t dx, wl_fixed_t dy) {
	struct fake_pointer *fake = wl_container_of(base, fake, base);
	pointer_motion(fake, wl_fixed_to_double(dx), wl_fixed_to_double(dy));
}

static void pointer_button(struct fake_pointer *fake, int button,
		enum wl_pointer_button_state state) {
	struct wlr_pointer_button_event event = {
		.pointer = &fake->pointer,
		.time_msec = now_msec(),
		.button = (uint32_t)button,
		.state = state,
	};
	wlr_pointer_notify_button(&fake->pointer, &event);
	wl_signal_emit_mutable(&fake->pointer.events.frame, &fake->pointer);
}

static void pointer_button_down(WlcsPointer *base, int button) {
	struct fake_pointer *fake = wl_container_of(base, fake, base);
	pointer_button(fake, button, WL_POINTER_BUTTON_STATE_PRESSED);
}

static void pointer_button_up(WlcsPointer *base, int button) {
	struct fake_pointer *fake = wl_container_of(base, fake, base);
	pointer_button(fake, button, WL_POINTER_BUTTON_STATE_RELEASED);
}

static void pointer_destroy(WlcsPointer *base) {
	struct fake_pointer *fake = wl_container_of(base, fake, base);
	wlr_pointer_finish(&fake->pointer);
	free(fake);
}

static WlcsPointer *create_pointer(WlcsDisplayServer *base) {
	struct pinhole_wlcs *wlcs = pinhole_wlcs_from_base(base);
	struct fake_pointer *fake = calloc(1, sizeof(*fake));
	if (fake == NULL) {
		return NULL;
	}
	fake->base = (WlcsPointer){
		.version = 1,
		.move_absolute = pointer_move_absolute,
		.move_relative = pointer_move_relative,
		.button_up = pointer_button_up,
		.button_down = pointer_button_down,
		.destroy = pointer_destroy,
	};
	fake->wlcs = wlcs;
	wlr_pointer_init(&fake->pointer, &fake_pointer_impl, "wlcs-pointer");
	wl_signal_emit_mutable(&wlcs->server.backend->events.new_input, &fake->pointer.base);
	return &fake->base;
}

static const struct wlr_keyboard_impl keyboard_impl = {
	.name = "wlcs-keyboard",
};

static const struct wlr_touch_impl touchscreen_impl = {
	.name = "wlcs-touchscreen",
};

static void touch_down(WlcsTouch *base, wl_fixed_t x, wl_fixed_t y) {
	struct fake_touch *fake = wl_container_of(base, fake, base);
	struct wlr_touch *touchscreen = &fake->wlcs->touchscreen;
	struct wlr_touch_down_event event = {
		.touch = touchscreen,
		.time_msec = now_msec(),
		.touch_id = fake->id,
	};
	touch_to_absolute(fake->wlcs, x, y, &event.x, &event.y);
	fake->down = true;
	wl_signal_emit_mutable(&touchscreen->events.down, &event);
	wl_signal_emit_mutable(&touchscreen->events.frame, NULL);
}

static void touch_move(WlcsTouch *base, wl_fixed_t x, wl_fixed_t y) {
	struct fake_touch *fake = wl_container_of(base, fake, base);
	struct wlr_touch *touchscreen = &fake->wlcs->touchscreen;
	struct wlr_touch_motion_event event = {
		.touch = touchscreen,
		.time_msec = now_msec(),
		.touch_id = fake->id,
	};
	touch_to_absolute(fake->wlcs, x, y, &event.x, &event.y);
	wl_signal_emit_mutable(&touchscreen->events.motion, &event);
	wl_signal_emit_mutable(&touchscreen->events.frame, NULL);
}

static void touch_up(WlcsTouch *base) {
	struct fake_touch *fake = wl_container_of(base, fake, base);
	struct wlr_touch *touchscreen = &fake->wlcs->touchscreen;
	struct wlr_touch_up_event event = {
		.touch = touchscreen,
		.time_msec = now_msec(),
		.touch_id = fake->id,
	};
	fake->down = false;
	wl_signal_emit_mutable(&touchscreen->events.up, &event);
	wl_signal_emit_mutable(&touchscreen->events.frame, NULL);
}

static void touch_destroy(WlcsTouch *base) {
	struct fake_touch *fake = wl_container_of(base, fake, base);
	/* A finger taken away lifts off the screen. */
	if (fake->down) {
		touch_up(base);
	}
	free(fake);
}

static WlcsTouch *create_touch(WlcsDisplayServer *base) {
	struct pinhole_wlcs *wlcs = pinhole_wlcs_from_base(base);
	struct fake_touch *fake = calloc(1, sizeof(*fake));
	if (fake == NULL) {
		return NULL;
	}
	fake->base = (WlcsTouch){
		.version = 1,
		.touch_down = touch_down,
		.touch_move = touch_move,
		.touch_up = touch_up,
		.destroy = touch_destroy,
	};
	fake->wlcs = wlcs;
	fake->id = wlcs->next_touch_id++;
	return &fake->base;
}

/* Creation */

static void destroy_server(WlcsDisplayServer *base) {
	struct pinhole_wlcs *wlcs = pinhole_wlcs_from_base(base);
	if (wlcs->server_ready) {
		server_finish(&wlcs->server);
	}
	config_destroy(wlcs->server.config);
	if (wlcs->touchscreen.impl != NULL) {
		wlr_touch_finish(&wlcs->touchscreen);
	}
	if (wlcs->keyboard.impl != NULL) {
		wlr_keyboard_finish(&wlcs->keyboard);
	}
	/* Destroying the display destroyed the clients, and with them our records. */
	for (size_t i = 0; i < wlcs->descriptor.num_extensions; i++) {
		free((char *)wlcs->extensions[i].name);
	}
	free(wlcs->extensions);
	free(wlcs);
}

static WlcsDisplayServer *create_server(int argc, const char **argv) {
	static bool log_initialised;
	if (!log_initialised) {
		const char *debug = getenv("PINHOLE_WLCS_DEBUG");
		wlr_log_init(debug != NULL && debug[0] == '1' ? WLR_DEBUG : WLR_ERROR, NULL);
		log_initialised = true;
	}
	struct pinhole_wlcs *wlcs = calloc(1, sizeof(*wlcs));
	if (wlcs == NULL) {
		return NULL;
	}
	wlcs->base = (WlcsDisplayServer){
		.version = 3,
		.stop = stop,
		.create_client_socket = create_client_socket,
		.position_window_absolute = position_window_absolute,
		.create_pointer = create_pointer,
		.create_touch = create_touch,
		.get_descriptor = get_descriptor,
		.start_on_this_thread = start_on_this_thread,
	};
	wl_list_init(&wlcs->clients);

	/* pinhole's own defaults, as `pinhole --backend headless` runs. */
	char *args[] = {"pinhole", "--backend", "headless"};
	char err[256];
	if (options_parse(&wlcs->options, sizeof(args) / sizeof(args[0]), args, err,
			sizeof(err)) != OPTIONS_OK) {
		fprintf(stderr, "pinhole-wlcs: %s\n", err);
		free(wlcs);
		return NULL;
	}
	/* The built-in configuration, as with no file: a user's own must not change the results. */
	wlcs->server.config = config_load(NULL, &wlcs->options, err, sizeof(err));
	if (wlcs->server.config == NULL) {
		fprintf(stderr, "pinhole-wlcs: %s\n", err);
		free(wlcs);
		return NULL;
	}
	wlcs->server.policy = wlcs->server.config->policy;
	bool ok = server_init(&wlcs->server, &wlcs->options);
	wlcs->server_ready = true; /* server_finish() also undoes a partial init */
	if (ok) {
		wlr_touch_init(&wlcs->touchscreen, &touchscreen_impl, "wlcs-touchscreen");
		wl_signal_emit_mutable(&wlcs->server.backend->events.new_input,
			&wlcs->touchscreen.base);
		wlr_keyboard_init(&wlcs->keyboard, &keyboard_impl, "wlcs-keyboard");
		wl_signal_emit_mutable(&wlcs->server.backend->events.new_input,
			&wlcs->keyboard.base);
	}
	if (!ok || !server_start_backend(&wlcs->server) || !scan_globals(wlcs)) {
		fprintf(stderr, "pinhole-wlcs: could not start the compositor\n");
		destroy_server(&wlcs->base);
		return NULL;
	}
	/*
	 * WLCS's tests expect no window under a pointer they have not moved yet.
	 * wlroots starts the cursor at 100,100, where tests put windows, and
	 * pinhole opens windows at the top-left corner: start in the opposite one.
	 */
	struct wlr_box layout;
	wlr_output_layout_get_box(wlcs->server.output_layout, NULL, &layout);
	wlr_cursor_warp(seat_cursor(wlcs->server.seat), NULL,
		layout.x + layout.width - 1, layout.y + layout.height - 1);
	return &wlcs->base;
}

const WlcsServerIntegration wlcs_server_integration = {
	.version = 1,
	.create_server = create_server,
	.destroy_server = destroy_server,
};
