/*
 * ph-x11: an X11 window of one known colour (its background pixel, painted by
 * the X server) that reports what the X server tells it, for the X11 window
 * management tests.
 *
 * usage: ph-x11 [--color RRGGBB] [--size WxH] [--title T]
 *               [--override-redirect X,Y | --program-position X,Y]
 *
 * --program-position creates the window at X,Y of the root and says so in
 * WM_NORMAL_HINTS with the PPosition flag (ICCCM 4.1.2.3: a position the
 * program chose), as toolkits do for a window they place themselves.
 *
 * stdout, one line per event:
 *   mapped                       MapNotify
 *   configure X Y W H            ConfigureNotify (root coordinates: the window
 *                                is a child of the root; the window manager's
 *                                synthetic ones too)
 *   press X Y                    ButtonPress, root coordinates
 *   leave MODE                   LeaveNotify (0 Normal, 1 Grab, 2 Ungrab)
 *   sent-moveresize DIR          after a _NET_WM_MOVERESIZE and a round trip
 * stdin:
 *   moveresize DIR               on the next press of button 1: ungrab the
 *                                pointer and ask the window manager for an
 *                                interactive move (DIR 8) or resize (0-7) the
 *                                way toolkits do ("armed")
 *   geometry                     "geometry X Y W H" from GetGeometry and
 *                                TranslateCoordinates to the root
 *   quit
 */
#define _GNU_SOURCE
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xcb/xcb.h>

struct app {
	xcb_connection_t *conn;
	xcb_screen_t *screen;
	xcb_window_t window;
	xcb_atom_t net_wm_moveresize;
	int armed_direction; /* -1: none */
};

static xcb_atom_t intern(xcb_connection_t *conn, const char *name) {
	xcb_intern_atom_reply_t *reply = xcb_intern_atom_reply(conn,
		xcb_intern_atom(conn, 0, (uint16_t)strlen(name), name), NULL);
	xcb_atom_t atom = reply != NULL ? reply->atom : XCB_ATOM_NONE;
	free(reply);
	return atom;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...) {
	va_list args;
	va_start(args, fmt);
	vprintf(fmt, args);
	va_end(args);
	putchar('\n');
	fflush(stdout);
}

/* Sends _NET_WM_MOVERESIZE as EWMH says: to the root, after releasing the pointer. */
static void send_moveresize(struct app *app, int root_x, int root_y, int direction) {
	xcb_ungrab_pointer(app->conn, XCB_CURRENT_TIME);
	xcb_client_message_event_t event = {
		.response_type = XCB_CLIENT_MESSAGE,
		.format = 32,
		.window = app->window,
		.type = app->net_wm_moveresize,
	};
	event.data.data32[0] = (uint32_t)root_x;
	event.data.data32[1] = (uint32_t)root_y;
	event.data.data32[2] = (uint32_t)direction;
	event.data.data32[3] = 1; /* button 1 */
	event.data.data32[4] = 1; /* source: an application */
	xcb_send_event(app->conn, 0, app->screen->root,
		XCB_EVENT_MASK_SUBSTRUCTURE_REDIRECT | XCB_EVENT_MASK_SUBSTRUCTURE_NOTIFY,
		(const char *)&event);
	/* A round trip: the X server has passed the message on when we report it. */
	free(xcb_get_input_focus_reply(app->conn, xcb_get_input_focus(app->conn), NULL));
	say("sent-moveresize %d", direction);
}

static void handle_event(struct app *app, xcb_generic_event_t *event) {
	switch (event->response_type & 0x7f) {
	case XCB_MAP_NOTIFY:
		say("mapped");
		break;
	case XCB_CONFIGURE_NOTIFY: {
		xcb_configure_notify_event_t *ev = (xcb_configure_notify_event_t *)event;
		say("configure %d %d %u %u", ev->x, ev->y, ev->width, ev->height);
		break;
	}
	case XCB_BUTTON_PRESS: {
		xcb_button_press_event_t *ev = (xcb_button_press_event_t *)event;
		say("press %d %d", ev->root_x, ev->root_y);
		if (ev->detail == 1 && app->armed_direction >= 0) {
			int direction = app->armed_direction;
			app->armed_direction = -1;
			send_moveresize(app, ev->root_x, ev->root_y, direction);
		}
		break;
	}
	case XCB_LEAVE_NOTIFY: {
		xcb_leave_notify_event_t *ev = (xcb_leave_notify_event_t *)event;
		say("leave %u", ev->mode);
		break;
	}
	default:
		break;
	}
}

static bool handle_command(struct app *app, const char *line) {
	int direction;
	if (sscanf(line, "moveresize %d", &direction) == 1 && direction >= 0 && direction <= 8) {
		app->armed_direction = direction;
		say("armed");
	} else if (strcmp(line, "geometry") == 0) {
		xcb_get_geometry_reply_t *geo = xcb_get_geometry_reply(app->conn,
			xcb_get_geometry(app->conn, app->window), NULL);
		xcb_translate_coordinates_reply_t *root = xcb_translate_coordinates_reply(app->conn,
			xcb_translate_coordinates(app->conn, app->window, app->screen->root, 0, 0), NULL);
		if (geo != NULL && root != NULL) {
			say("geometry %d %d %u %u", root->dst_x, root->dst_y, geo->width, geo->height);
		} else {
			say("geometry-failed");
		}
		free(geo);
		free(root);
	} else if (strcmp(line, "quit") == 0) {
		return false;
	} else {
		say("unknown-command %s", line);
	}
	return true;
}

int main(int argc, char *argv[]) {
	unsigned color = 0xff0000;
	unsigned width = 200, height = 150;
	const char *title = "ph-x11";
	bool override_redirect = false, program_position = false;
	int or_x = 0, or_y = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--color") == 0 && i + 1 < argc) {
			color = (unsigned)strtoul(argv[++i], NULL, 16);
		} else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc &&
				sscanf(argv[i + 1], "%ux%u", &width, &height) == 2) {
			i++;
		} else if (strcmp(argv[i], "--title") == 0 && i + 1 < argc) {
			title = argv[++i];
		} else if (strcmp(argv[i], "--override-redirect") == 0 && i + 1 < argc &&
				sscanf(argv[i + 1], "%d,%d", &or_x, &or_y) == 2) {
			override_redirect = true;
			i++;
		} else if (strcmp(argv[i], "--program-position") == 0 && i + 1 < argc &&
				sscanf(argv[i + 1], "%d,%d", &or_x, &or_y) == 2) {
			program_position = true;
			i++;
		} else {
			fprintf(stderr, "usage: ph-x11 [--color RRGGBB] [--size WxH] [--title T] "
				"[--override-redirect X,Y | --program-position X,Y]\n");
			return 2;
		}
	}

	struct app app = {.armed_direction = -1};
	app.conn = xcb_connect(NULL, NULL);
	if (xcb_connection_has_error(app.conn)) {
		fprintf(stderr, "ph-x11: cannot connect to DISPLAY\n");
		return 1;
	}
	app.screen = xcb_setup_roots_iterator(xcb_get_setup(app.conn)).data;
	app.net_wm_moveresize = intern(app.conn, "_NET_WM_MOVERESIZE");
	app.window = xcb_generate_id(app.conn);
	/* The root visual is 24-bit TrueColor under Xwayland: the pixel is the colour. */
	uint32_t values[] = {
		color,
		override_redirect,
		XCB_EVENT_MASK_STRUCTURE_NOTIFY | XCB_EVENT_MASK_BUTTON_PRESS |
			XCB_EVENT_MASK_LEAVE_WINDOW,
	};
	xcb_create_window(app.conn, XCB_COPY_FROM_PARENT, app.window, app.screen->root,
		(int16_t)or_x, (int16_t)or_y, (uint16_t)width, (uint16_t)height, 0,
		XCB_WINDOW_CLASS_INPUT_OUTPUT, app.screen->root_visual,
		XCB_CW_BACK_PIXEL | XCB_CW_OVERRIDE_REDIRECT | XCB_CW_EVENT_MASK, values);
	xcb_change_property(app.conn, XCB_PROP_MODE_REPLACE, app.window, XCB_ATOM_WM_NAME,
		XCB_ATOM_STRING, 8, (uint32_t)strlen(title), title);
	const char class[] = "ph-x11\0PhX11";
	xcb_change_property(app.conn, XCB_PROP_MODE_REPLACE, app.window, XCB_ATOM_WM_CLASS,
		XCB_ATOM_STRING, 8, sizeof(class), class);
	if (program_position) {
		/* WM_SIZE_HINTS: flags, x, y, then fields the PPosition flag leaves unused. */
		enum { P_POSITION = 1 << 2, SIZE_HINTS_LEN = 18 };
		uint32_t hints[SIZE_HINTS_LEN] = {P_POSITION, (uint32_t)or_x, (uint32_t)or_y};
		xcb_change_property(app.conn, XCB_PROP_MODE_REPLACE, app.window,
			XCB_ATOM_WM_NORMAL_HINTS, XCB_ATOM_WM_SIZE_HINTS, 32, SIZE_HINTS_LEN, hints);
	}
	xcb_map_window(app.conn, app.window);
	xcb_flush(app.conn);

	struct pollfd fds[] = {
		{.fd = xcb_get_file_descriptor(app.conn), .events = POLLIN},
		{.fd = STDIN_FILENO, .events = POLLIN},
	};
	char line[256];
	size_t used = 0;
	for (;;) {
		xcb_generic_event_t *event;
		while ((event = xcb_poll_for_event(app.conn)) != NULL) {
			handle_event(&app, event);
			free(event);
		}
		if (xcb_connection_has_error(app.conn)) {
			fprintf(stderr, "ph-x11: the X connection broke\n");
			return 1;
		}
		xcb_flush(app.conn);
		if (poll(fds, 2, -1) < 0) {
			continue;
		}
		if (fds[1].revents & (POLLIN | POLLHUP)) {
			ssize_t n = read(STDIN_FILENO, line + used, sizeof(line) - 1 - used);
			if (n <= 0) {
				break;
			}
			used += (size_t)n;
			line[used] = '\0';
			char *newline;
			while ((newline = strchr(line, '\n')) != NULL) {
				*newline = '\0';
				if (!handle_command(&app, line)) {
					xcb_disconnect(app.conn);
					return 0;
				}
				used -= (size_t)(newline + 1 - line);
				memmove(line, newline + 1, used + 1);
			}
			if (used == sizeof(line) - 1) {
				used = 0; /* an overlong line: dropped */
			}
		}
	}
	xcb_disconnect(app.conn);
	return 0;
}
