/*
 * capture-cursor — follow the pointer's cursor over an output with an
 * ext-image-copy-capture-v1 pointer cursor session, and save cursor images.
 *
 * usage: capture-cursor [-o NAME] [-n COUNT] [--timeout MS] [PREFIX]
 *
 *   -o NAME       the wl_output called NAME (default: the first one)
 *   -n COUNT      stop after COUNT cursor images (default 1; 0: run until killed)
 *   --timeout MS  give up when nothing happens for MS (default 5000; 0: never)
 *
 * Prints one line per event to stdout:
 *   enter | leave | position X Y | hotspot X Y
 *   image N WxH [-> PREFIX-N.png]
 * Positions are the hotspot's place in the output's buffer pixels (they may
 * lie outside it while part of the image is on it); the hotspot is the offset
 * into the image. A new image is captured whenever the cursor's image changes;
 * with PREFIX each is saved as a PNG with straight (not premultiplied) alpha.
 *
 * Exit status: 0 success, 1 error, 2 usage, 3 timeout, 4 session stopped or
 * capture failed, 5 protocol error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <png.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <wayland-client.h>
#include "ext-image-capture-source-v1-client-protocol.h"
#include "ext-image-copy-capture-v1-client-protocol.h"

#define MAX_OUTPUTS 16

struct output {
	struct wl_output *wl_output;
	char name[64];
};

static struct {
	struct wl_display *display;
	struct wl_shm *shm;
	struct wl_seat *seat;
	struct output outputs[MAX_OUTPUTS];
	int output_count;
	struct ext_image_copy_capture_manager_v1 *copy_manager;
	struct ext_output_image_capture_source_manager_v1 *output_sources;

	struct wl_pointer *pointer;
	struct ext_image_copy_capture_cursor_session_v1 *cursor_session;
	struct ext_image_copy_capture_session_v1 *session;
	struct ext_image_copy_capture_frame_v1 *frame;

	/* Constraints: the image size and whether ARGB8888 is offered. */
	int width, height;
	bool has_argb;
	bool constraints_done;

	struct wl_buffer *buffer;
	uint8_t *data;
	size_t size;
	int buffer_width, buffer_height;

	const char *prefix;
	int wanted, saved;
	int exit_code;
	bool running;
} app = {.wanted = 1, .running = true};

static void usage(FILE *f) {
	fprintf(f, "usage: capture-cursor [-o NAME] [-n COUNT] [--timeout MS] [PREFIX]\n");
}

/* Globals */

static void output_handle_name(void *data, struct wl_output *wl_output, const char *name) {
	struct output *output = data;
	snprintf(output->name, sizeof(output->name), "%s", name);
}

static void output_handle_geometry(void *data, struct wl_output *wl_output, int32_t x,
		int32_t y, int32_t pw, int32_t ph, int32_t subpixel, const char *make,
		const char *model, int32_t transform) {
}

static void output_handle_mode(void *data, struct wl_output *wl_output, uint32_t flags,
		int32_t width, int32_t height, int32_t refresh) {
}

static void output_handle_done(void *data, struct wl_output *wl_output) {
}

static void output_handle_scale(void *data, struct wl_output *wl_output, int32_t factor) {
}

static void output_handle_description(void *data, struct wl_output *wl_output,
		const char *description) {
}

static const struct wl_output_listener output_listener = {
	.geometry = output_handle_geometry,
	.mode = output_handle_mode,
	.done = output_handle_done,
	.scale = output_handle_scale,
	.name = output_handle_name,
	.description = output_handle_description,
};

static void registry_handle_global(void *data, struct wl_registry *registry, uint32_t name,
		const char *interface, uint32_t version) {
	if (strcmp(interface, wl_shm_interface.name) == 0) {
		app.shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(interface, wl_seat_interface.name) == 0 && app.seat == NULL) {
		app.seat = wl_registry_bind(registry, name, &wl_seat_interface, 1);
	} else if (strcmp(interface, wl_output_interface.name) == 0 && version >= 4 &&
			app.output_count < MAX_OUTPUTS) {
		struct output *output = &app.outputs[app.output_count++];
		output->wl_output = wl_registry_bind(registry, name, &wl_output_interface, 4);
		wl_output_add_listener(output->wl_output, &output_listener, output);
	} else if (strcmp(interface, ext_image_copy_capture_manager_v1_interface.name) == 0) {
		app.copy_manager = wl_registry_bind(registry, name,
			&ext_image_copy_capture_manager_v1_interface, 1);
	} else if (strcmp(interface, ext_output_image_capture_source_manager_v1_interface.name) == 0) {
		app.output_sources = wl_registry_bind(registry, name,
			&ext_output_image_capture_source_manager_v1_interface, 1);
	}
}

static void registry_handle_global_remove(void *data, struct wl_registry *registry,
		uint32_t name) {
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_handle_global,
	.global_remove = registry_handle_global_remove,
};

/* Saving */

static bool save_png(const char *path) {
	FILE *f = fopen(path, "wb");
	if (f == NULL) {
		fprintf(stderr, "capture-cursor: %s: %s\n", path, strerror(errno));
		return false;
	}
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png != NULL ? png_create_info_struct(png) : NULL;
	uint8_t *row = malloc((size_t)app.buffer_width * 4);
	if (png == NULL || info == NULL || row == NULL || setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		free(row);
		fclose(f);
		return false;
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, (png_uint_32)app.buffer_width, (png_uint_32)app.buffer_height, 8,
		PNG_COLOR_TYPE_RGBA, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int y = 0; y < app.buffer_height; y++) {
		const uint32_t *src = (const uint32_t *)(app.data + (size_t)y * app.buffer_width * 4);
		for (int x = 0; x < app.buffer_width; x++) {
			/* wl_shm ARGB8888 is premultiplied; PNG alpha is straight. */
			uint32_t p = src[x], a = p >> 24;
			uint8_t *d = row + x * 4;
			for (int c = 0; c < 3; c++) {
				uint32_t v = (p >> (16 - 8 * c)) & 0xff;
				uint32_t straight = a == 0 ? 0 : (v * 255 + a / 2) / a;
				d[c] = (uint8_t)(straight > 255 ? 255 : straight);
			}
			d[3] = (uint8_t)a;
		}
		png_write_row(png, row);
	}
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	free(row);
	return fclose(f) == 0;
}

/* Buffers and frames */

static void destroy_buffer(void) {
	if (app.buffer != NULL) {
		wl_buffer_destroy(app.buffer);
		munmap(app.data, app.size);
		app.buffer = NULL;
	}
}

static bool ensure_buffer(void) {
	if (app.buffer != NULL && app.buffer_width == app.width &&
			app.buffer_height == app.height) {
		return true;
	}
	destroy_buffer();
	app.buffer_width = app.width;
	app.buffer_height = app.height;
	app.size = (size_t)app.width * app.height * 4;
	int fd = memfd_create("capture-cursor", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)app.size) != 0) {
		perror("capture-cursor: memfd");
		if (fd >= 0) {
			close(fd);
		}
		return false;
	}
	app.data = mmap(NULL, app.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (app.data == MAP_FAILED) {
		perror("capture-cursor: mmap");
		close(fd);
		return false;
	}
	struct wl_shm_pool *pool = wl_shm_create_pool(app.shm, fd, (int32_t)app.size);
	app.buffer = wl_shm_pool_create_buffer(pool, 0, app.width, app.height, app.width * 4,
		WL_SHM_FORMAT_ARGB8888);
	wl_shm_pool_destroy(pool);
	close(fd);
	return true;
}

static void request_frame(void);

static void frame_handle_transform(void *data, struct ext_image_copy_capture_frame_v1 *frame,
		uint32_t transform) {
}

static void frame_handle_damage(void *data, struct ext_image_copy_capture_frame_v1 *frame,
		int32_t x, int32_t y, int32_t width, int32_t height) {
}

static void frame_handle_presentation_time(void *data,
		struct ext_image_copy_capture_frame_v1 *frame, uint32_t sec_hi, uint32_t sec_lo,
		uint32_t nsec) {
}

static void frame_handle_ready(void *data, struct ext_image_copy_capture_frame_v1 *frame) {
	ext_image_copy_capture_frame_v1_destroy(app.frame);
	app.frame = NULL;
	app.saved++;
	char path[512] = "";
	if (app.prefix != NULL) {
		snprintf(path, sizeof(path), "%s-%d.png", app.prefix, app.saved);
		if (!save_png(path)) {
			app.exit_code = 1;
			app.running = false;
			return;
		}
	}
	printf("image %d %dx%d%s%s\n", app.saved, app.buffer_width, app.buffer_height,
		path[0] ? " -> " : "", path);
	fflush(stdout);
	if (app.wanted > 0 && app.saved >= app.wanted) {
		app.running = false;
		return;
	}
	/* The next frame completes when the cursor's image changes. */
	request_frame();
}

static void frame_handle_failed(void *data, struct ext_image_copy_capture_frame_v1 *frame,
		uint32_t reason) {
	ext_image_copy_capture_frame_v1_destroy(app.frame);
	app.frame = NULL;
	if (reason == EXT_IMAGE_COPY_CAPTURE_FRAME_V1_FAILURE_REASON_BUFFER_CONSTRAINTS) {
		/* The image changed size under us: the new constraints follow. */
		return;
	}
	fprintf(stderr, "capture-cursor: capture failed (reason %u)\n", reason);
	app.exit_code = 4;
	app.running = false;
}

static const struct ext_image_copy_capture_frame_v1_listener frame_listener = {
	.transform = frame_handle_transform,
	.damage = frame_handle_damage,
	.presentation_time = frame_handle_presentation_time,
	.ready = frame_handle_ready,
	.failed = frame_handle_failed,
};

static void request_frame(void) {
	if (app.frame != NULL || !app.constraints_done || !ensure_buffer()) {
		return;
	}
	app.frame = ext_image_copy_capture_session_v1_create_frame(app.session);
	ext_image_copy_capture_frame_v1_add_listener(app.frame, &frame_listener, NULL);
	ext_image_copy_capture_frame_v1_attach_buffer(app.frame, app.buffer);
	ext_image_copy_capture_frame_v1_damage_buffer(app.frame, 0, 0, app.width, app.height);
	ext_image_copy_capture_frame_v1_capture(app.frame);
}

/* The cursor image's capture session */

static void session_handle_buffer_size(void *data,
		struct ext_image_copy_capture_session_v1 *session, uint32_t width, uint32_t height) {
	app.width = (int)width;
	app.height = (int)height;
	app.has_argb = false;
}

static void session_handle_shm_format(void *data,
		struct ext_image_copy_capture_session_v1 *session, uint32_t format) {
	app.has_argb = app.has_argb || format == WL_SHM_FORMAT_ARGB8888;
}

static void session_handle_dmabuf_device(void *data,
		struct ext_image_copy_capture_session_v1 *session, struct wl_array *device) {
}

static void session_handle_dmabuf_format(void *data,
		struct ext_image_copy_capture_session_v1 *session, uint32_t format,
		struct wl_array *modifiers) {
}

static void session_handle_done(void *data, struct ext_image_copy_capture_session_v1 *session) {
	if (!app.has_argb) {
		fprintf(stderr, "capture-cursor: the compositor offers no ARGB8888 cursor images\n");
		app.exit_code = 1;
		app.running = false;
		return;
	}
	app.constraints_done = true;
	request_frame();
}

static void session_handle_stopped(void *data,
		struct ext_image_copy_capture_session_v1 *session) {
	fprintf(stderr, "capture-cursor: the cursor session stopped\n");
	app.exit_code = 4;
	app.running = false;
}

static const struct ext_image_copy_capture_session_v1_listener session_listener = {
	.buffer_size = session_handle_buffer_size,
	.shm_format = session_handle_shm_format,
	.dmabuf_device = session_handle_dmabuf_device,
	.dmabuf_format = session_handle_dmabuf_format,
	.done = session_handle_done,
	.stopped = session_handle_stopped,
};

/* The cursor session */

static void cursor_handle_enter(void *data,
		struct ext_image_copy_capture_cursor_session_v1 *cursor_session) {
	printf("enter\n");
	fflush(stdout);
}

static void cursor_handle_leave(void *data,
		struct ext_image_copy_capture_cursor_session_v1 *cursor_session) {
	printf("leave\n");
	fflush(stdout);
}

static void cursor_handle_position(void *data,
		struct ext_image_copy_capture_cursor_session_v1 *cursor_session, int32_t x, int32_t y) {
	printf("position %d %d\n", x, y);
	fflush(stdout);
}

static void cursor_handle_hotspot(void *data,
		struct ext_image_copy_capture_cursor_session_v1 *cursor_session, int32_t x, int32_t y) {
	printf("hotspot %d %d\n", x, y);
	fflush(stdout);
}

static const struct ext_image_copy_capture_cursor_session_v1_listener cursor_listener = {
	.enter = cursor_handle_enter,
	.leave = cursor_handle_leave,
	.position = cursor_handle_position,
	.hotspot = cursor_handle_hotspot,
};

/* Main */

static void cleanup(struct wl_registry *registry) {
	if (app.frame != NULL) {
		ext_image_copy_capture_frame_v1_destroy(app.frame);
	}
	destroy_buffer();
	if (app.session != NULL) {
		ext_image_copy_capture_session_v1_destroy(app.session);
	}
	if (app.cursor_session != NULL) {
		ext_image_copy_capture_cursor_session_v1_destroy(app.cursor_session);
	}
	if (app.pointer != NULL) {
		wl_pointer_destroy(app.pointer);
	}
	for (int i = 0; i < app.output_count; i++) {
		wl_output_destroy(app.outputs[i].wl_output);
	}
	if (app.output_sources != NULL) {
		ext_output_image_capture_source_manager_v1_destroy(app.output_sources);
	}
	if (app.copy_manager != NULL) {
		ext_image_copy_capture_manager_v1_destroy(app.copy_manager);
	}
	if (app.seat != NULL) {
		wl_seat_destroy(app.seat);
	}
	if (app.shm != NULL) {
		wl_shm_destroy(app.shm);
	}
	wl_registry_destroy(registry);
	wl_display_disconnect(app.display);
}

static int report_display_error(void) {
	const struct wl_interface *interface;
	uint32_t id;
	uint32_t code = wl_display_get_protocol_error(app.display, &interface, &id);
	if (interface != NULL) {
		fprintf(stderr, "capture-cursor: protocol error %u on %s\n", code, interface->name);
		return 5;
	}
	fprintf(stderr, "capture-cursor: lost the compositor\n");
	return 1;
}

int main(int argc, char *argv[]) {
	static const struct option long_options[] = {
		{"timeout", required_argument, NULL, 'T'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *output_name = NULL;
	int timeout_ms = 5000, c;
	while ((c = getopt_long(argc, argv, "o:n:h", long_options, NULL)) != -1) {
		char *end = NULL;
		switch (c) {
		case 'o':
			output_name = optarg;
			break;
		case 'n':
			app.wanted = (int)strtol(optarg, &end, 10);
			break;
		case 'T':
			timeout_ms = (int)strtol(optarg, &end, 10);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (end != NULL && (*end != '\0' || end == optarg || app.wanted < 0 || timeout_ms < 0)) {
			fprintf(stderr, "capture-cursor: invalid number '%s'\n", optarg);
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc - 1) {
		usage(stderr);
		return 2;
	}
	app.prefix = optind < argc ? argv[optind] : NULL;

	app.display = wl_display_connect(NULL);
	if (app.display == NULL) {
		fprintf(stderr, "capture-cursor: cannot connect to the Wayland display\n");
		return 1;
	}
	struct wl_registry *registry = wl_display_get_registry(app.display);
	wl_registry_add_listener(registry, &registry_listener, NULL);
	wl_display_roundtrip(app.display);
	wl_display_roundtrip(app.display);
	if (app.shm == NULL || app.seat == NULL || app.copy_manager == NULL ||
			app.output_sources == NULL) {
		fprintf(stderr, "capture-cursor: the compositor lacks wl_seat or "
			"ext-image-copy-capture with output sources\n");
		cleanup(registry);
		return 1;
	}
	struct output *output = NULL;
	for (int i = 0; i < app.output_count && output == NULL; i++) {
		if (output_name == NULL || strcmp(app.outputs[i].name, output_name) == 0) {
			output = &app.outputs[i];
		}
	}
	if (output == NULL) {
		fprintf(stderr, "capture-cursor: no output %s\n", output_name ? output_name : "at all");
		cleanup(registry);
		return 1;
	}

	app.pointer = wl_seat_get_pointer(app.seat);
	struct ext_image_capture_source_v1 *source =
		ext_output_image_capture_source_manager_v1_create_source(app.output_sources,
			output->wl_output);
	app.cursor_session = ext_image_copy_capture_manager_v1_create_pointer_cursor_session(
		app.copy_manager, source, app.pointer);
	ext_image_capture_source_v1_destroy(source);
	ext_image_copy_capture_cursor_session_v1_add_listener(app.cursor_session, &cursor_listener,
		NULL);
	app.session = ext_image_copy_capture_cursor_session_v1_get_capture_session(
		app.cursor_session);
	ext_image_copy_capture_session_v1_add_listener(app.session, &session_listener, NULL);

	while (app.running) {
		if (wl_display_flush(app.display) < 0 && errno != EAGAIN) {
			app.exit_code = report_display_error();
			break;
		}
		struct pollfd pfd = {.fd = wl_display_get_fd(app.display), .events = POLLIN};
		int n = poll(&pfd, 1, timeout_ms > 0 ? timeout_ms : -1);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n == 0) {
			fprintf(stderr, "capture-cursor: nothing happened for %d ms\n", timeout_ms);
			app.exit_code = 3;
			break;
		}
		if (n < 0 || wl_display_dispatch(app.display) < 0) {
			app.exit_code = report_display_error();
			break;
		}
	}
	cleanup(registry);
	return app.exit_code;
}
