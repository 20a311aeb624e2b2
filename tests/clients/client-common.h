#ifndef PINHOLE_TESTS_CLIENTS_CLIENT_COMMON_H
#define PINHOLE_TESTS_CLIENTS_CLIENT_COMMON_H

/*
 * What the scripted test clients share: the connection with the usual
 * globals, SHM buffers, a plain xdg toplevel, and the main loop that serves
 * the Wayland connection and the client's stdin commands, one line each.
 *
 * Every setup error ends the program (exit 1) with a message on stderr that
 * starts with the program's name; replies and events go to stdout, one line
 * each, flushed at once, because the tests read them as they come.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wayland-client.h>
#include <xkbcommon/xkbcommon.h>
#include "xdg-shell-client-protocol.h"

#define CLIENT_MAX_OUTPUTS 8
#define CLIENT_MAX_SHM_FORMATS 256

struct client {
	/* Set before client_connect. */
	const char *program;
	/* Called for every global the library does not bind itself. */
	void (*bind_global)(struct wl_registry *registry, uint32_t name,
		const char *interface, uint32_t version);
	/* When set, the wl_pointer and wl_keyboard are made with these listeners
	 * as soon as the seat announces them. */
	const struct wl_pointer_listener *pointer_listener;
	const struct wl_keyboard_listener *keyboard_listener;
	/* When set, called on every wl_seat.capabilities, after the library made
	 * the pointer and keyboard it was asked for. */
	void (*handle_seat_capabilities)(uint32_t capabilities);
	/* The highest xdg_wm_base version wanted; 0 means 1. */
	uint32_t wm_base_version;

	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_compositor *compositor; /* version 4 */
	struct wl_shm *shm;
	/* Its formats, in announcement order: they come with the roundtrip after
	 * client_connect's. */
	uint32_t shm_formats[CLIENT_MAX_SHM_FORMATS];
	int shm_format_count;
	struct wl_seat *seat; /* the first one, version 5 at most */
	struct xdg_wm_base *wm_base; /* answers pings by itself */
	struct wl_output *outputs[CLIENT_MAX_OUTPUTS]; /* version 1, in announcement order */
	int output_count;
	struct wl_pointer *pointer;
	struct wl_keyboard *keyboard;
	/* client_solid_buffer's buffers the compositor has not released yet. */
	struct wl_list buffers;
	/* client_run(display, &running, ...) returns once this is false (a
	 * window's close sets it). */
	bool running;
};

/* Prints one formatted line on stdout and flushes it. */
void reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "PROGRAM: message" on stderr and exits 1. */
void client_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Prints "PROGRAM: what: strerror(errno)" on stderr and exits 1. */
void client_fail_errno(const char *what) __attribute__((noreturn));

/*
 * Handlers that do nothing, for the events a client does not care about; the
 * keymap one closes the keymap's fd.
 */
void client_noop_pointer_leave(void *data, struct wl_pointer *pointer, uint32_t serial,
	struct wl_surface *surface);
void client_noop_pointer_motion(void *data, struct wl_pointer *pointer, uint32_t time,
	wl_fixed_t x, wl_fixed_t y);
void client_noop_pointer_button(void *data, struct wl_pointer *pointer, uint32_t serial,
	uint32_t time, uint32_t button, uint32_t state);
void client_noop_pointer_axis(void *data, struct wl_pointer *pointer, uint32_t time,
	uint32_t axis, wl_fixed_t value);
void client_noop_pointer_frame(void *data, struct wl_pointer *pointer);
void client_noop_pointer_axis_source(void *data, struct wl_pointer *pointer, uint32_t source);
void client_noop_pointer_axis_stop(void *data, struct wl_pointer *pointer, uint32_t time,
	uint32_t axis);
void client_noop_pointer_axis_discrete(void *data, struct wl_pointer *pointer, uint32_t axis,
	int32_t discrete);
void client_noop_keyboard_keymap(void *data, struct wl_keyboard *keyboard, uint32_t format,
	int32_t fd, uint32_t size);
void client_noop_keyboard_modifiers(void *data, struct wl_keyboard *keyboard, uint32_t serial,
	uint32_t depressed, uint32_t latched, uint32_t locked, uint32_t group);
void client_noop_keyboard_repeat_info(void *data, struct wl_keyboard *keyboard, int32_t rate,
	int32_t delay);
void client_noop_seat_name(void *data, struct wl_seat *seat, const char *name);
void client_noop_global_remove(void *data, struct wl_registry *registry, uint32_t name);
void client_noop_toplevel_configure(void *data, struct xdg_toplevel *toplevel, int32_t width,
	int32_t height, struct wl_array *states);
void client_noop_toplevel_close(void *data, struct xdg_toplevel *toplevel);
void client_noop_toplevel_configure_bounds(void *data, struct xdg_toplevel *toplevel,
	int32_t width, int32_t height);
void client_noop_toplevel_wm_capabilities(void *data, struct xdg_toplevel *toplevel,
	struct wl_array *capabilities);

/* Connects and binds the globals after one roundtrip; fails with "cannot
 * connect to the compositor". The seat's capabilities (and so the pointer
 * and keyboard) come with the next roundtrip. */
void client_connect(struct client *client);
/* Destroys the buffers not yet released, the pointer, the keyboard and the
 * globals client_connect bound, then disconnects: nothing is left for a leak
 * checker. */
void client_disconnect(struct client *client);
/* Prints "protocol-error INTERFACE CODE" for the error that ended the
 * connection ("protocol-error ? 0" when it was not a protocol error). */
void client_report_protocol_error(struct wl_display *display);

/* A memfd of size bytes named after the program, holding data unless NULL. */
int client_memfd(struct client *client, const void *data, size_t size);
/* A width x height buffer of one colour, destroyed once the compositor
 * releases it (or by client_disconnect). format: WL_SHM_FORMAT_ARGB8888 or WL_SHM_FORMAT_XRGB8888. */
struct wl_buffer *client_solid_buffer(struct client *client, int width, int height,
	uint32_t format, uint32_t color);

/* A keymap compiled from names (NULL: XKB_DEFAULT_* from the environment, as
 * pinhole does for its own keyboards), and in *fd a memfd of its text, *size
 * bytes with the final NUL, for a keymap request. Fails with "no keymap". */
struct xkb_keymap *client_keymap(struct client *client, const struct xkb_rule_names *names,
	int *fd, uint32_t *size);

struct client_window {
	struct client *client;
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	int width, height;
	uint32_t format, color;
	bool configured;
	/* Called after each configure was acked. NULL: on the first one the
	 * window attaches a solid buffer, commits, waits a roundtrip (so that
	 * the compositor holds the buffer) and prints "ready"; after later ones
	 * it commits again. */
	void (*handle_configure)(struct client_window *window, bool first);
};

/* Creates the toplevel (app_id, and title unless NULL) and commits it without
 * a buffer; width, height, format, color and handle_configure are read from
 * window as the caller set them. The toplevel's close sets client->running
 * to false. */
void client_window_create(struct client_window *window, struct client *client,
	const char *app_id, const char *title);

enum client_run_end {
	CLIENT_RUN_STOPPED, /* *running turned false */
	CLIENT_RUN_STDIN_CLOSED,
	CLIENT_RUN_POLL_FAILED,
	CLIENT_RUN_CONNECTION_FAILED, /* a failed dispatch, or an error after a command */
};

/* Serves the connection and hands every complete stdin line, without its
 * newline, to handle_line, flushing after each; stops at the first of the
 * ends above. Lines longer than 1023 bytes end the loop as a closed stdin.
 * handle_line NULL: stdin is not read (a client that goes on after its stdin
 * closed). */
enum client_run_end client_run(struct wl_display *display, const bool *running,
	void (*handle_line)(void *data, char *line), void *data);
/* client_run with the usual exit status: 0 when stdin closed or *running
 * turned false, 1 when poll failed, 3 after client_report_protocol_error. */
int client_main_loop(struct wl_display *display, const bool *running,
	void (*handle_line)(void *data, char *line), void *data);

#endif
