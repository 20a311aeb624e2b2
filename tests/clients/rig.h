#ifndef PINHOLE_TESTS_CLIENTS_RIG_H
#define PINHOLE_TESTS_CLIENTS_RIG_H

/*
 * A benchmark rig: a fullscreen xdg toplevel on the first output and an SHM
 * ext-image-copy-capture session of that output, captured into two buffers in
 * turn. Shared by ph-lockstep and ph-bench-capture.
 *
 * Every wait gives up after RIG_PROGRESS_TIMEOUT_MS without progress, and
 * every error ends the program (exit 1) with a message that starts with the
 * program's name.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wayland-client.h>
#include "ext-image-capture-source-v1-client-protocol.h"
#include "ext-image-copy-capture-v1-client-protocol.h"
#include "xdg-shell-client-protocol.h"

#define RIG_PROGRESS_TIMEOUT_MS 5000.0
#define RIG_SURFACE_BUFFERS 4

struct rig_buffer {
	struct wl_shm_pool *pool;
	struct wl_buffer *wl_buffer;
	uint32_t *data;
	size_t size;
	int width, height, stride;
	bool busy; /* surface buffer: attached and not yet released */
	bool used; /* capture buffer: filled by the compositor before */
};

struct rig {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
	struct wl_output *output;
	int32_t mode_width, mode_height, refresh_mhz, output_scale, output_transform;
	struct ext_image_copy_capture_manager_v1 *copy_manager;
	struct ext_output_image_capture_source_manager_v1 *output_sources;

	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *xdg_toplevel;
	bool configured;
	uint32_t configure_serial; /* 0 once acked */
	int32_t configure_width, configure_height, pending_width, pending_height;
	struct rig_buffer surface_buffers[RIG_SURFACE_BUFFERS];

	struct ext_image_capture_source_v1 *source;
	struct ext_image_copy_capture_session_v1 *session;
	uint32_t cap_width, cap_height, pending_cap_width, pending_cap_height;
	bool have_xrgb, have_argb, pending_xrgb, pending_argb;
	unsigned constraints_serial, allocated_serial;
	bool stopped;
	struct rig_buffer capture_buffers[2];
	int next_capture;

	struct ext_image_copy_capture_frame_v1 *frame; /* in flight */
	struct rig_buffer *frame_buffer;
	bool frame_finished, frame_failed;
	uint32_t frame_reason;
	double ready_time;
	/* Optional: told every damage rectangle the compositor announces for
	 * the frame in flight. */
	void (*on_frame_damage)(void *data, int32_t x, int32_t y, int32_t width,
		int32_t height);
	void *on_frame_damage_data;
};

/* Names the program in messages, shm files and the window title. Call it
 * first: option parsing fails through it too. */
void rig_set_program(const char *name);
double rig_now_ms(void);
/* Prints "PROGRAM: message" on stderr and exits 1. */
void rig_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* An option's number within [min, max]; anything else exits 2. */
double rig_parse_number(const char *arg, double min, double max);
/* The p-th percentile (nearest rank) of n values, which it sorts; NAN for
 * none. */
double rig_percentile(double *values, int n, double p);

/* Connects, maps the fullscreen window (configured, no buffer yet) and
 * waits for the capture session's first constraints. */
void rig_start(struct rig *rig);
void rig_finish(struct rig *rig);

/* Reads and dispatches whatever arrives before the deadline. Returns false
 * when the deadline passed with nothing to dispatch. */
bool rig_dispatch(struct rig *rig, double deadline);
void rig_wait_for(struct rig *rig, const bool *flag, double deadline, const char *what);

/* The surface size in buffer pixels: the configured size if the compositor
 * chose one, else the whole output. */
void rig_surface_size(const struct rig *rig, int *width, int *height);
/*
 * Acks the last configure and attaches a buffer of the surface size that the
 * compositor does not hold; *fresh (if not NULL) tells whether it was just
 * allocated, and so is all zeroes. The caller draws into it, damages the
 * surface, then commits with rig_commit().
 */
struct rig_buffer *rig_attach_buffer(struct rig *rig, bool *fresh);
/* Commits the attached buffer; returns the commit time. */
double rig_commit(struct rig *rig, struct rig_buffer *buf);

/*
 * A capture: rig_capture_begin() creates a frame for the next capture buffer,
 * the caller declares with ext_image_copy_capture_frame_v1_damage_buffer() on
 * rig->frame what that buffer missed, rig_capture() requests it and
 * rig_capture_finish() handles it once rig->frame_finished.
 */
struct rig_buffer *rig_capture_begin(struct rig *rig);
void rig_capture(struct rig *rig);
/* True when the frame is ready; false after a change of constraints, when
 * the caller captures again. Any other failure exits. */
bool rig_capture_finish(struct rig *rig);
/* A pixel of the last finished capture, without its alpha byte. */
uint32_t rig_captured_pixel(const struct rig *rig, int x, int y);

#endif
