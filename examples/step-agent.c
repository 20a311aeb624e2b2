/*
 * step-agent — an agent loop on pinhole's stepped clock (pinhole --clock step).
 *
 * usage: step-agent [-o OUTPUT] [-n STEPS] [--click STEP:X,Y]... [--save DIR] [--quiet]
 *
 * Each capture of an output is one step of that output's virtual clock: the
 * applications on it get their frame callbacks with the step's time, draw,
 * and the frame shows what they drew, stamped with that time. So the loop is
 *
 *   for each step: capture (= step) -> read the pixels -> decide -> send input
 *
 * and an input sent after reading step K is in the frame of step K+1. This
 * program does exactly that on one output (default: the first) and prints a
 * line per step:
 *
 *   step K time=SEC.NSEC hash=FNV1A64 damage=N
 *
 * time is the frame's presentation time (virtual: K refresh periods), hash is
 * the FNV-1a hash of the frame's pixels (width * 4 bytes per row) and damage
 * the number of damage rectangles pinhole reported. --click K:X,Y moves the
 * pointer to X,Y (output pixels) and clicks the left button after reading
 * step K (a virtual pointer); --save DIR writes each frame as DIR/step-K.ppm.
 *
 * The last line gives the pace: "steps=N elapsed_s=S steps_per_s=R". --quiet
 * prints only that line and does not hash (a benchmark of the steps alone).
 *
 * Exit status: 0 done, 1 error, 2 usage, 3 a frame failed or the session stopped.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <wayland-client.h>
#include "ext-image-capture-source-v1-client-protocol.h"
#include "ext-image-copy-capture-v1-client-protocol.h"
#include "wlr-virtual-pointer-client.h"

#define MAX_CLICKS 64
#define MAX_OUTPUTS 8

struct click {
	int step, x, y;
};

static struct {
	struct wl_display *display;
	struct wl_shm *shm;
	struct wl_seat *seat;
	struct wl_output *outputs[MAX_OUTPUTS];
	char output_names[MAX_OUTPUTS][64];
	int output_count;
	struct ext_output_image_capture_source_manager_v1 *source_manager;
	struct ext_image_copy_capture_manager_v1 *copy_manager;
	struct wl_proxy *pointer_manager, *pointer;

	/* session constraints */
	int width, height;
	bool has_xrgb, has_argb, constraints_done, stopped;

	/* the frame under way */
	bool frame_done, frame_failed;
	int damage_rects;
	uint64_t time_sec;
	uint32_t time_nsec;
} agent;

static void registry_global(void *data, struct wl_registry *registry, uint32_t name,
		const char *interface, uint32_t version) {
	if (strcmp(interface, wl_shm_interface.name) == 0) {
		agent.shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(interface, wl_seat_interface.name) == 0 && agent.seat == NULL) {
		agent.seat = wl_registry_bind(registry, name, &wl_seat_interface, 1);
	} else if (strcmp(interface, wl_output_interface.name) == 0 &&
			agent.output_count < MAX_OUTPUTS && version >= 4) {
		agent.outputs[agent.output_count++] =
			wl_registry_bind(registry, name, &wl_output_interface, 4);
	} else if (strcmp(interface, ext_output_image_capture_source_manager_v1_interface.name) == 0) {
		agent.source_manager = wl_registry_bind(registry, name,
			&ext_output_image_capture_source_manager_v1_interface, 1);
	} else if (strcmp(interface, ext_image_copy_capture_manager_v1_interface.name) == 0) {
		agent.copy_manager = wl_registry_bind(registry, name,
			&ext_image_copy_capture_manager_v1_interface, 1);
	} else if (strcmp(interface, zwlr_virtual_pointer_manager_v1_interface.name) == 0) {
		agent.pointer_manager = wl_registry_bind(registry, name,
			&zwlr_virtual_pointer_manager_v1_interface, 1);
	}
}

static void registry_global_remove(void *data, struct wl_registry *registry, uint32_t name) {
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_global,
	.global_remove = registry_global_remove,
};

static void output_name(void *data, struct wl_output *output, const char *name) {
	for (int i = 0; i < agent.output_count; i++) {
		if (agent.outputs[i] == output) {
			snprintf(agent.output_names[i], sizeof(agent.output_names[i]), "%s", name);
		}
	}
}

static void output_geometry(void *data, struct wl_output *output, int32_t x, int32_t y,
		int32_t pw, int32_t ph, int32_t subpixel, const char *make, const char *model,
		int32_t transform) {
}
static void output_mode(void *data, struct wl_output *output, uint32_t flags, int32_t w,
		int32_t h, int32_t refresh) {
}
static void output_done(void *data, struct wl_output *output) {
}
static void output_scale(void *data, struct wl_output *output, int32_t factor) {
}
static void output_description(void *data, struct wl_output *output, const char *d) {
}

static const struct wl_output_listener output_listener = {
	.geometry = output_geometry,
	.mode = output_mode,
	.done = output_done,
	.scale = output_scale,
	.name = output_name,
	.description = output_description,
};

static void session_buffer_size(void *data, struct ext_image_copy_capture_session_v1 *session,
		uint32_t width, uint32_t height) {
	agent.width = (int)width;
	agent.height = (int)height;
}

static void session_shm_format(void *data, struct ext_image_copy_capture_session_v1 *session,
		uint32_t format) {
	agent.has_xrgb |= format == WL_SHM_FORMAT_XRGB8888;
	agent.has_argb |= format == WL_SHM_FORMAT_ARGB8888;
}

static void session_dmabuf_device(void *data, struct ext_image_copy_capture_session_v1 *session,
		struct wl_array *device) {
}
static void session_dmabuf_format(void *data, struct ext_image_copy_capture_session_v1 *session,
		uint32_t format, struct wl_array *modifiers) {
}

static void session_done(void *data, struct ext_image_copy_capture_session_v1 *session) {
	agent.constraints_done = true;
}

static void session_stopped(void *data, struct ext_image_copy_capture_session_v1 *session) {
	agent.stopped = true;
}

static const struct ext_image_copy_capture_session_v1_listener session_listener = {
	.buffer_size = session_buffer_size,
	.shm_format = session_shm_format,
	.dmabuf_device = session_dmabuf_device,
	.dmabuf_format = session_dmabuf_format,
	.done = session_done,
	.stopped = session_stopped,
};

static void frame_transform(void *data, struct ext_image_copy_capture_frame_v1 *frame,
		uint32_t transform) {
}

static void frame_damage(void *data, struct ext_image_copy_capture_frame_v1 *frame,
		int32_t x, int32_t y, int32_t width, int32_t height) {
	agent.damage_rects++;
}

static void frame_presentation_time(void *data, struct ext_image_copy_capture_frame_v1 *frame,
		uint32_t sec_hi, uint32_t sec_lo, uint32_t nsec) {
	agent.time_sec = ((uint64_t)sec_hi << 32) | sec_lo;
	agent.time_nsec = nsec;
}

static void frame_ready(void *data, struct ext_image_copy_capture_frame_v1 *frame) {
	agent.frame_done = true;
}

static void frame_failed(void *data, struct ext_image_copy_capture_frame_v1 *frame,
		uint32_t reason) {
	fprintf(stderr, "step-agent: frame failed (reason %u)\n", reason);
	agent.frame_done = agent.frame_failed = true;
}

static const struct ext_image_copy_capture_frame_v1_listener frame_listener = {
	.transform = frame_transform,
	.damage = frame_damage,
	.presentation_time = frame_presentation_time,
	.ready = frame_ready,
	.failed = frame_failed,
};

static uint64_t fnv1a(const uint8_t *data, int width, int height, int stride) {
	uint64_t hash = 0xcbf29ce484222325ULL;
	for (int y = 0; y < height; y++) {
		const uint8_t *row = data + (size_t)y * (size_t)stride;
		for (int i = 0; i < width * 4; i++) {
			hash = (hash ^ row[i]) * 0x100000001b3ULL;
		}
	}
	return hash;
}

static void save_ppm(const char *dir, int step, const uint8_t *data, int stride) {
	char path[4096];
	snprintf(path, sizeof(path), "%s/step-%d.ppm", dir, step);
	FILE *f = fopen(path, "wb");
	if (f == NULL) {
		perror(path);
		return;
	}
	fprintf(f, "P6\n%d %d\n255\n", agent.width, agent.height);
	for (int y = 0; y < agent.height; y++) {
		const uint32_t *row = (const uint32_t *)(data + (size_t)y * (size_t)stride);
		for (int x = 0; x < agent.width; x++) {
			uint8_t rgb[3] = {row[x] >> 16, row[x] >> 8, row[x]};
			fwrite(rgb, 1, 3, f);
		}
	}
	fclose(f);
}

static void usage(FILE *f) {
	fprintf(f, "usage: step-agent [-o OUTPUT] [-n STEPS] [--click STEP:X,Y]... [--save DIR] "
		"[--quiet]\n");
}

int main(int argc, char *argv[]) {
	const char *output_wanted = NULL, *save_dir = NULL;
	bool quiet = false;
	int steps = 10;
	struct click clicks[MAX_CLICKS];
	int click_count = 0;
	static const struct option options[] = {
		{"click", required_argument, NULL, 'c'},
		{"save", required_argument, NULL, 's'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "o:n:h", options, NULL)) != -1) {
		switch (opt) {
		case 'o':
			output_wanted = optarg;
			break;
		case 'n':
			steps = atoi(optarg);
			break;
		case 'c':
			if (click_count == MAX_CLICKS || sscanf(optarg, "%d:%d,%d",
					&clicks[click_count].step, &clicks[click_count].x,
					&clicks[click_count].y) != 3) {
				usage(stderr);
				return 2;
			}
			click_count++;
			break;
		case 's':
			save_dir = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (steps <= 0 || optind != argc) {
		usage(stderr);
		return 2;
	}

	agent.display = wl_display_connect(NULL);
	if (agent.display == NULL) {
		fprintf(stderr, "step-agent: cannot connect to the Wayland display\n");
		return 1;
	}
	struct wl_registry *registry = wl_display_get_registry(agent.display);
	wl_registry_add_listener(registry, &registry_listener, NULL);
	wl_display_roundtrip(agent.display);
	for (int i = 0; i < agent.output_count; i++) {
		wl_output_add_listener(agent.outputs[i], &output_listener, NULL);
	}
	wl_display_roundtrip(agent.display);
	if (agent.shm == NULL || agent.source_manager == NULL || agent.copy_manager == NULL ||
			agent.output_count == 0 || (click_count > 0 && agent.pointer_manager == NULL)) {
		fprintf(stderr, "step-agent: the compositor lacks wl_shm, an output, the "
			"ext-image-copy-capture globals or (for --click) a virtual pointer\n");
		return 1;
	}
	struct wl_output *output = agent.outputs[0];
	for (int i = 0; output_wanted != NULL && i < agent.output_count; i++) {
		output = strcmp(agent.output_names[i], output_wanted) == 0 ? agent.outputs[i] : NULL;
		if (output != NULL) {
			break;
		}
	}
	if (output == NULL) {
		fprintf(stderr, "step-agent: no output called %s\n", output_wanted);
		return 1;
	}

	struct ext_image_capture_source_v1 *source =
		ext_output_image_capture_source_manager_v1_create_source(agent.source_manager, output);
	struct ext_image_copy_capture_session_v1 *session =
		ext_image_copy_capture_manager_v1_create_session(agent.copy_manager, source, 0);
	ext_image_copy_capture_session_v1_add_listener(session, &session_listener, NULL);
	while (!agent.constraints_done && !agent.stopped &&
			wl_display_dispatch(agent.display) != -1) {
	}
	if (agent.stopped || !(agent.has_xrgb || agent.has_argb)) {
		fprintf(stderr, "step-agent: the session stopped or offers no 32-bit SHM format\n");
		return 3;
	}

	/* One buffer, reused: pinhole copies into it only what changed since its last use. */
	int stride = agent.width * 4;
	size_t size = (size_t)stride * (size_t)agent.height;
	int fd = memfd_create("step-agent", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		perror("step-agent: memfd");
		return 1;
	}
	uint8_t *pixels = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	struct wl_shm_pool *pool = wl_shm_create_pool(agent.shm, fd, (int32_t)size);
	struct wl_buffer *buffer = wl_shm_pool_create_buffer(pool, 0, agent.width, agent.height,
		stride, agent.has_xrgb ? WL_SHM_FORMAT_XRGB8888 : WL_SHM_FORMAT_ARGB8888);
	wl_shm_pool_destroy(pool);
	close(fd);

	/*
	 * Input devices come first: a new virtual pointer may give the seat its
	 * pointer capability, and applications can only receive pointer events
	 * once they have seen that and asked for a wl_pointer. The first step
	 * carries their answer back, so from then on every input arrives.
	 */
	if (click_count > 0) {
		agent.pointer = zwlr_virtual_pointer_create(agent.pointer_manager, agent.seat);
	}

	struct timespec start, end;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (int step = 1; step <= steps; step++) {
		/* The capture is the step: the clock moves on, the applications draw. */
		struct ext_image_copy_capture_frame_v1 *frame =
			ext_image_copy_capture_session_v1_create_frame(session);
		ext_image_copy_capture_frame_v1_add_listener(frame, &frame_listener, NULL);
		ext_image_copy_capture_frame_v1_attach_buffer(frame, buffer);
		ext_image_copy_capture_frame_v1_capture(frame);
		agent.frame_done = agent.frame_failed = false;
		agent.damage_rects = 0;
		while (!agent.frame_done && wl_display_dispatch(agent.display) != -1) {
		}
		ext_image_copy_capture_frame_v1_destroy(frame);
		if (!agent.frame_done || agent.frame_failed) {
			return 3;
		}
		/* Read the pixels: this is where an agent would decide what to do. */
		if (!quiet) {
			uint64_t hash = fnv1a(pixels, agent.width, agent.height, stride);
			printf("step %d time=%llu.%09u hash=%016llx damage=%d\n", step,
				(unsigned long long)agent.time_sec, agent.time_nsec,
				(unsigned long long)hash, agent.damage_rects);
			fflush(stdout);
		}
		if (save_dir != NULL) {
			save_ppm(save_dir, step, pixels, stride);
		}
		/* Act: the input reaches the applications before the next step's callbacks. */
		for (int i = 0; i < click_count; i++) {
			if (clicks[i].step != step) {
				continue;
			}
			zwlr_virtual_pointer_move_to(agent.pointer, 0, (uint32_t)clicks[i].x,
				(uint32_t)clicks[i].y, (uint32_t)agent.width, (uint32_t)agent.height);
			zwlr_virtual_pointer_press(agent.pointer, 0, 0x110 /* BTN_LEFT */, true);
			zwlr_virtual_pointer_press(agent.pointer, 0, 0x110, false);
		}
	}

	clock_gettime(CLOCK_MONOTONIC, &end);
	double elapsed = (double)(end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9;
	printf("steps=%d elapsed_s=%.3f steps_per_s=%.1f\n", steps, elapsed,
		elapsed > 0 ? steps / elapsed : 0.0);

	if (agent.pointer != NULL) {
		zwlr_virtual_pointer_destroy(agent.pointer);
	}
	wl_buffer_destroy(buffer);
	munmap(pixels, size);
	ext_image_copy_capture_session_v1_destroy(session);
	ext_image_capture_source_v1_destroy(source);
	for (int i = 0; i < agent.output_count; i++) {
		wl_output_destroy(agent.outputs[i]);
	}
	if (agent.pointer_manager != NULL) {
		wl_proxy_destroy(agent.pointer_manager);
	}
	if (agent.seat != NULL) {
		wl_seat_destroy(agent.seat);
	}
	ext_image_copy_capture_manager_v1_destroy(agent.copy_manager);
	ext_output_image_capture_source_manager_v1_destroy(agent.source_manager);
	wl_shm_destroy(agent.shm);
	wl_registry_destroy(registry);
	wl_display_roundtrip(agent.display);
	wl_display_disconnect(agent.display);
	return 0;
}
