#ifndef PINHOLE_TERM_H
#define PINHOLE_TERM_H

/*
 * pinhole-term: a plain Wayland client that shows an output or a toplevel of
 * any compositor with ext-image-copy-capture-v1 in a terminal, and optionally
 * forwards the terminal's keys and mouse through virtual input devices.
 *
 *   main.c     options, the event loop, per-frame statistics
 *   capture.c  the Wayland connection, capture sessions and their buffers
 *   render.c   scaling to half-block cells, the cell diff, ANSI output
 *   tty.c      raw mode and its restoration, terminal input decoding
 *   control.c  zwp_virtual_keyboard_v1 and zwlr_virtual_pointer_v1
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xkbcommon/xkbcommon.h>

enum term_exit {
	TERM_EXIT_OK = 0, /* the user quit */
	TERM_EXIT_ERROR = 1,
	TERM_EXIT_MISSING = 2, /* usage error, or the compositor lacks a protocol */
	TERM_EXIT_GONE = 3, /* the captured output or window went away */
};

struct term_rect {
	int32_t x, y, width, height;
};

/* A captured picture: 32-bit pixels. */
struct term_picture {
	const uint8_t *data;
	uint32_t width, height, stride;
	bool bgr; /* bytes R,G,B,x (XBGR8888/ABGR8888) rather than B,G,R,x */
	/* wl_output transform of the buffer: the upright picture with it applied
	 * (a captured frame); the renderer only gets upright pictures. */
	uint32_t transform;
};

/* capture.c */

struct term_capture_options {
	const char *output_name; /* NULL: the first output */
	const char *toplevel; /* app_id or title; NULL: capture an output */
	bool paint_cursors;
	bool shm_only;
	bool control; /* also needs the virtual input globals */
};

struct term_capture;
struct wl_display;
struct wl_seat;
struct wl_output;

/* Connects and binds; on missing globals prints one line and exits 2. */
struct term_capture *term_capture_create(const struct term_capture_options *options);
void term_capture_destroy(struct term_capture *capture);
struct wl_display *term_capture_display(struct term_capture *capture);
/* For control.c: the seat, the captured output (NULL for a toplevel), the globals. */
struct wl_seat *term_capture_seat(struct term_capture *capture);
struct wl_output *term_capture_output(struct term_capture *capture);
void *term_capture_virtual_keyboard_manager(struct term_capture *capture);
void *term_capture_virtual_pointer_manager(struct term_capture *capture);
/* Asks for the next frame; it completes once the source changed (or at once, the first time). */
void term_capture_request(struct term_capture *capture);
bool term_capture_pending(struct term_capture *capture);
/* What was captured ("output HEADLESS-1", "toplevel 'foot'"), and the buffer type ("shm", "dmabuf"). */
const char *term_capture_describe(struct term_capture *capture);
const char *term_capture_buffer_type(struct term_capture *capture);

/*
 * Called while dispatching Wayland events: a frame is ready (damage in picture
 * coordinates, full on the first frame and after a size change), or the
 * source went away.
 */
struct term_capture_handler {
	void (*frame)(void *data, const struct term_picture *picture,
		const struct term_rect *damage, int n_damage);
	void (*stopped)(void *data);
	void *data;
};
void term_capture_set_handler(struct term_capture *capture,
	const struct term_capture_handler *handler);


/* render.c */

struct term_render_stats {
	size_t bytes; /* written to the terminal */
	int cells; /* cells rewritten */
};

struct term_render;
struct term_render *term_render_create(int out_fd, bool truecolor);
void term_render_destroy(struct term_render *render);
/* A new terminal size (cells): everything is redrawn on the next update. */
void term_render_resize(struct term_render *render, int cols, int rows);
/* Rescales damage to cells, rewrites the cells whose colour changed. */
bool term_render_update(struct term_render *render, const struct term_picture *picture,
	const struct term_rect *damage, int n_damage, struct term_render_stats *stats);
/* Where the picture is on the terminal, to map mouse cells back to pixels. */
bool term_render_cell_to_pixel(const struct term_render *render, int col, int row,
	uint32_t *x, uint32_t *y);

/* The scaling, shared with nothing else but exported for its definition:
 * the picture fits cols x (2 * rows) half-cell pixels with its aspect kept. */
void term_fit(uint32_t width, uint32_t height, int cols, int rows, int *out_w, int *out_h);

/* tty.c */

enum term_event_type {
	TERM_EVENT_KEY, /* keysym with modifiers */
	TERM_EVENT_MOUSE, /* an SGR mouse report */
};

enum term_modifier {
	TERM_MOD_SHIFT = 1 << 0,
	TERM_MOD_ALT = 1 << 1,
	TERM_MOD_CTRL = 1 << 2,
};

struct term_event {
	enum term_event_type type;
	xkb_keysym_t keysym;
	unsigned modifiers;
	/* Mouse: 0-based cell, button 0 left 1 middle 2 right, wheel -1 up/+1 down. */
	int col, row;
	int button;
	bool pressed, motion;
	int wheel_vertical, wheel_horizontal;
};

/* Raw mode, alternate screen, hidden cursor, and mouse reports when asked;
 * false (and nothing done) unless stdin and stdout are a terminal. */
bool term_tty_setup(bool mouse);
/* Undoes term_tty_setup; safe to call twice and from a signal handler. */
void term_tty_restore(void);
bool term_tty_size(int fd, int *cols, int *rows);

/* Decodes terminal input bytes into events, keeping incomplete escape sequences. */
struct term_input {
	unsigned char pending[64];
	size_t pending_len;
};
typedef void (*term_event_fn)(void *data, const struct term_event *event);
void term_input_feed(struct term_input *input, const unsigned char *bytes, size_t len,
	term_event_fn fn, void *data);
/* Whether an escape sequence waits for more bytes (then call flush after a short wait). */
bool term_input_incomplete(const struct term_input *input);
void term_input_flush(struct term_input *input, term_event_fn fn, void *data);

/* control.c */

struct term_control;
struct term_control *term_control_create(struct term_capture *capture);
void term_control_destroy(struct term_control *control);
/* Keys go to the focused client; the mouse moves over the captured output. */
void term_control_key(struct term_control *control, xkb_keysym_t keysym, unsigned modifiers);
void term_control_pointer(struct term_control *control, uint32_t x, uint32_t y,
	uint32_t width, uint32_t height);
void term_control_button(struct term_control *control, int button, bool pressed);
void term_control_wheel(struct term_control *control, int vertical, int horizontal);

#endif
