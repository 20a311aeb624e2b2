/*
 * pinhole nested: as a Wayland client of a headless sway 1.12 and as an X11
 * client of Xvfb, with ph-paint inside it. Each time the screen is captured
 * from inside (grim against pinhole) and from outside (grim against sway, or
 * xwd of Xvfb's root window), and both pictures are checked pixel by pixel,
 * before and after the client changes its colour.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "harness.h"

#define RED 0xffff0000u
#define GREEN 0xff00ff00u
#define BLUE 0xff0000ffu
#define WHITE 0xffffffffu
#define BLACK 0xff000000u
#define SOLID 0xff2080c0u

#define WIN_W 320
#define WIN_H 240

/* sway's headless output, which pinhole's window fills (no borders, tiled). */
#define SWAY_W 800
#define SWAY_H 600
/* Xvfb's screen, and pinhole's X11 window on it at (0,0): no window manager. */
#define XVFB_W 1024
#define XVFB_H 768
#define X11_W 640
#define X11_H 480

/*
 * What pinhole's output shows: the window at its top-left (quadrants or one
 * colour), black elsewhere; the output's top-left is at (ox, oy) in image.
 */
static bool output_shows(const struct ph_image *image, int ox, int oy, int w, int h,
		bool quad, uint32_t color, char *why, size_t size) {
	bool ok;
	if (quad) {
		int hw = WIN_W / 2, hh = WIN_H / 2;
		ok = ph_image_rect_is(image, ox, oy, hw, hh, RED, why, size) &&
			ph_image_rect_is(image, ox + hw, oy, hw, hh, GREEN, why, size) &&
			ph_image_rect_is(image, ox, oy + hh, hw, hh, BLUE, why, size) &&
			ph_image_rect_is(image, ox + hw, oy + hh, hw, hh, WHITE, why, size);
	} else {
		ok = ph_image_rect_is(image, ox, oy, WIN_W, WIN_H, color, why, size);
	}
	return ok && ph_image_rect_is(image, ox + WIN_W, oy, w - WIN_W, h, BLACK, why, size) &&
		ph_image_rect_is(image, ox, oy + WIN_H, WIN_W, h - WIN_H, BLACK, why, size);
}

/* A grim screenshot of whatever compositor c is; true if it loaded. */
static bool grim(struct ph_compositor *c, const char *name, struct ph_image *image) {
	char out[2048];
	int code = ph_run(c, (const char *[]){"grim", ph_scratch(name), NULL}, 10000, out,
		sizeof(out));
	if (code != 0) {
		ph_diag("grim (%s) exit %d: %s", c->socket, code, out);
		return false;
	}
	return ph_image_load(ph_scratch(name), image);
}

/* XWD (X Window Dump, version 7, ZPixmap, 24/32 bpp true or direct colour). */

static uint32_t be32(const unsigned char *p) {
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int mask_shift(uint32_t mask) {
	int shift = 0;
	while (mask != 0 && !(mask & 1)) {
		mask >>= 1;
		shift++;
	}
	return shift;
}

static bool load_xwd(const char *path, struct ph_image *image, char *why, size_t size) {
	memset(image, 0, sizeof(*image));
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(why, size, "cannot open %s", path);
		return false;
	}
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	rewind(f);
	unsigned char *data = malloc(len > 0 ? (size_t)len : 1);
	bool read_ok = len >= 100 && fread(data, 1, (size_t)len, f) == (size_t)len;
	fclose(f);
	if (!read_ok) {
		free(data);
		snprintf(why, size, "short file (%ld bytes)", len);
		return false;
	}
	uint32_t h[25];
	for (int i = 0; i < 25; i++) {
		h[i] = be32(data + 4 * i);
	}
	uint32_t header_size = h[0], version = h[1], format = h[2], width = h[4], height = h[5],
		byte_order = h[7], bpp = h[11], bpl = h[12], visual_class = h[13], ncolors = h[19];
	uint32_t masks[3] = {h[14], h[15], h[16]};
	size_t offset = (size_t)header_size + (size_t)ncolors * 12;
	/* ZPixmap = 2; TrueColor = 4, DirectColor = 5. */
	if (version != 7 || format != 2 || (bpp != 24 && bpp != 32) ||
			(visual_class != 4 && visual_class != 5) || width == 0 || height == 0 ||
			width > 16384 || height > 16384 || bpl < width * (bpp / 8) ||
			offset + (size_t)bpl * height > (size_t)len) {
		snprintf(why, size, "unsupported XWD: version %u format %u %ux%u bpp %u bpl %u "
			"class %u", version, format, width, height, bpp, bpl, visual_class);
		free(data);
		return false;
	}
	const unsigned char *colors = data + header_size; /* XColor: pixel, r, g, b, flags */
	image->width = (int)width;
	image->height = (int)height;
	image->pixels = calloc((size_t)width * height, 4);
	for (uint32_t y = 0; y < height; y++) {
		for (uint32_t x = 0; x < width; x++) {
			const unsigned char *p = data + offset + (size_t)y * bpl + (size_t)x * (bpp / 8);
			uint32_t value = 0;
			for (uint32_t b = 0; b < bpp / 8; b++) {
				uint32_t byte = byte_order == 0 ? p[b] : p[bpp / 8 - 1 - b];
				value |= byte << (8 * b);
			}
			uint32_t argb = 0xff000000u;
			for (int ch = 0; ch < 3; ch++) {
				uint32_t v = (value & masks[ch]) >> mask_shift(masks[ch]);
				/* Direct colour: each channel indexes the colormap. */
				if (visual_class == 5 && v < ncolors) {
					v = (uint32_t)(colors[12 * v + 4 + 2 * ch] << 8 |
						colors[12 * v + 5 + 2 * ch]) >> 8;
				}
				argb |= (v & 0xff) << (16 - 8 * ch);
			}
			image->pixels[(size_t)y * width + x] = argb;
		}
	}
	free(data);
	return true;
}

static bool xwd_root(const char *display, const char *name, struct ph_image *image) {
	char out[2048], why[200];
	int code = ph_run(NULL, (const char *[]){"xwd", "-root", "-silent", "-display", display,
		"-out", ph_scratch(name), NULL}, 10000, out, sizeof(out));
	if (code != 0) {
		ph_diag("xwd exit %d: %s", code, out);
		return false;
	}
	if (!load_xwd(ph_scratch(name), image, why, sizeof(why))) {
		ph_diag("%s: %s", name, why);
		return false;
	}
	return true;
}

/*
 * One side's view of pinhole's screen. Captures until it shows what is
 * expected or 5 s pass: the outside only sees a frame once pinhole has
 * rendered and its parent has composited it.
 */
enum view { INSIDE, OUTSIDE_SWAY, OUTSIDE_X };

struct setup {
	struct ph_compositor *pinhole;
	struct ph_compositor *sway; /* OUTSIDE_SWAY */
	const char *x_display; /* OUTSIDE_X */
	int out_w, out_h; /* pinhole's output */
};

static bool view_matches(const struct setup *s, enum view view, const char *name, bool quad,
		uint32_t color, char *why, size_t size) {
	int64_t deadline = ph_now_ms() + 5000;
	for (int attempt = 0;; attempt++) {
		char file[64];
		snprintf(file, sizeof(file), "%s-%d.%s", name, attempt, view == OUTSIDE_X ? "xwd" :
			"png");
		struct ph_image image;
		bool loaded = view == INSIDE ? grim(s->pinhole, file, &image) :
			view == OUTSIDE_SWAY ? grim(s->sway, file, &image) :
			xwd_root(s->x_display, file, &image);
		bool ok = false;
		if (!loaded) {
			snprintf(why, size, "no picture");
		} else if (view == OUTSIDE_X) {
			/* Xvfb's root is white (-wr): the window's extent is checked too. */
			ok = image.width == XVFB_W && image.height == XVFB_H &&
				output_shows(&image, 0, 0, s->out_w, s->out_h, quad, color, why,
					size) &&
				ph_image_rect_is(&image, s->out_w, 0, XVFB_W - s->out_w, XVFB_H,
					WHITE, why, size) &&
				ph_image_rect_is(&image, 0, s->out_h, s->out_w, XVFB_H - s->out_h,
					WHITE, why, size);
			if (image.width != XVFB_W || image.height != XVFB_H) {
				snprintf(why, size, "root is %dx%d", image.width, image.height);
			}
		} else {
			ok = image.width == s->out_w && image.height == s->out_h &&
				output_shows(&image, 0, 0, s->out_w, s->out_h, quad, color, why,
					size);
			if (image.width != s->out_w || image.height != s->out_h) {
				snprintf(why, size, "picture is %dx%d, expected %dx%d", image.width,
					image.height, s->out_w, s->out_h);
			}
		}
		ph_image_finish(&image);
		if (ok || !loaded || ph_now_ms() >= deadline) {
			return ok;
		}
		ph_sleep_ms(100);
	}
}

/* The client inside, the four checks (inside/outside, before/after a change). */
static void run_checks(struct setup *s, const char *parent, enum view outside) {
	char line[256] = "", why[200];
	struct ph_process paint;
	ph_spawn(s->pinhole, &paint, (const char *[]){ph_path("ph-paint"), "--pattern", "quad",
		"--size", "320x240", "--app-id", "nested-test", NULL}, PH_PIPE_STDIN | PH_PIPE_STDOUT);
	bool ready = ph_expect_line(&paint, "ready", line, sizeof(line), 10000);
	ph_ok(ready, "%s: client mapped in the nested pinhole (%s)", parent, line);

	snprintf(why, sizeof(why), "no client");
	ph_ok(ready && view_matches(s, INSIDE, "in-quad", true, 0, why, sizeof(why)),
		"%s: grim against pinhole: %dx%d, quadrants at (0,0), black elsewhere (%s)", parent,
		s->out_w, s->out_h, why);
	snprintf(why, sizeof(why), "no client");
	ph_ok(ready && view_matches(s, outside, "out-quad", true, 0, why, sizeof(why)),
		"%s: captured from the parent: pinhole's window shows the same pixels (%s)", parent,
		why);

	ph_write_line(&paint, "color 0x%08x", SOLID);
	bool changed = ph_expect_line(&paint, "ok", line, sizeof(line), 5000);
	snprintf(why, sizeof(why), "client did not redraw");
	ph_ok(changed && view_matches(s, INSIDE, "in-solid", false, SOLID, why, sizeof(why)),
		"%s: after the client's change, grim against pinhole shows it (%s)", parent, why);
	snprintf(why, sizeof(why), "client did not redraw");
	ph_ok(changed && view_matches(s, outside, "out-solid", false, SOLID, why, sizeof(why)),
		"%s: ... and so does the parent's capture (%s)", parent, why);

	ph_write_line(&paint, "quit");
	ph_wait(&paint, 3000);
}

/* Exit status and sanitizer log, as for every compositor a test starts. */
static void stop_pinhole(struct ph_compositor *c, const char *parent) {
	ph_diag("%s: stopping the nested pinhole", parent);
	ph_compositor_finish(c);
}

/* Under sway */

static bool find_socket(const char *dir, char *out, size_t size) {
	DIR *d = opendir(dir);
	if (d == NULL) {
		return false;
	}
	bool found = false;
	struct dirent *entry;
	while (!found && (entry = readdir(d)) != NULL) {
		const char *name = entry->d_name;
		size_t len = strlen(name);
		if (strncmp(name, "wayland-", 8) == 0 &&
				(len < 5 || strcmp(name + len - 5, ".lock") != 0)) {
			snprintf(out, size, "%s", name);
			found = true;
		}
	}
	closedir(d);
	return found;
}

static void nested_in_sway(void) {
	const char *parent = "sway";
	struct ph_compositor sway = {0};
	snprintf(sway.runtime_dir, sizeof(sway.runtime_dir), "%s", ph_scratch("sway-runtime"));
	mkdir(sway.runtime_dir, 0700);
	FILE *config = fopen(ph_scratch("sway.config"), "w");
	if (config == NULL) {
		ph_ok(false, "sway: config written");
		return;
	}
	/* One plain output filled by the one window: no borders, bar or XWayland. */
	fprintf(config, "output HEADLESS-1 resolution %dx%d position 0 0\n"
		"default_border none\ndefault_floating_border none\n"
		"xwayland disable\nfocus_follows_mouse no\n", SWAY_W, SWAY_H);
	fclose(config);

	char cmd[1024], log[300];
	snprintf(log, sizeof(log), "%s", ph_scratch("sway.log"));
	snprintf(cmd, sizeof(cmd), "exec env -u WAYLAND_DISPLAY -u DISPLAY XDG_RUNTIME_DIR='%s' "
		"WLR_BACKENDS=headless WLR_RENDERER=pixman WLR_LIBINPUT_NO_DEVICES=1 "
		"sway -c '%s' >'%s' 2>&1", sway.runtime_dir, ph_scratch("sway.config"), log);
	struct ph_process sway_process;
	ph_spawn(NULL, &sway_process, (const char *[]){"sh", "-c", cmd, NULL}, 0);
	bool up = false;
	for (int waited = 0; waited < 10000 && !up; waited += 50) {
		up = find_socket(sway.runtime_dir, sway.socket, sizeof(sway.socket));
		if (!up) {
			ph_sleep_ms(50);
		}
	}
	ph_ok(up, "sway 1.12 (headless) is listening (%s)", sway.socket);
	if (!up) {
		ph_dump_tail("sway log", log, 1800);
		ph_kill(&sway_process);
		return;
	}

	char wayland_display[400];
	snprintf(wayland_display, sizeof(wayland_display), "WAYLAND_DISPLAY=%s/%s",
		sway.runtime_dir, sway.socket);
	struct ph_compositor pinhole;
	bool started = ph_compositor_start_env(&pinhole, (const char *[]){"--backend", "wayland",
		NULL}, (const char *[]){wayland_display, NULL});
	ph_ok(started, "sway: pinhole started on the Wayland backend as sway's client");
	if (started) {
		/* The window is tiled over the whole output, and pinhole's WL-1 follows its size. */
		struct setup s = {.pinhole = &pinhole, .sway = &sway, .out_w = SWAY_W,
			.out_h = SWAY_H};
		run_checks(&s, parent, OUTSIDE_SWAY);
		ph_ok(ph_compositor_log_contains(&pinhole, "output WL-1 added"),
			"sway: pinhole's output is WL-1");
		stop_pinhole(&pinhole, parent);
	}
	kill(sway_process.pid, SIGTERM);
	int code = ph_wait(&sway_process, 5000);
	ph_ok(code == 0, "sway exits cleanly on SIGTERM (%d)", code);
	if (code != 0) {
		ph_dump_tail("sway log", log, 1800);
	}
}

/* Under Xvfb */

static void nested_in_xvfb(void) {
	const char *parent = "Xvfb";
	char screen[32], log[300], cmd[1024];
	snprintf(screen, sizeof(screen), "%dx%dx24", XVFB_W, XVFB_H);
	snprintf(log, sizeof(log), "%s", ph_scratch("xvfb.log"));
	/* -displayfd: Xvfb picks a free display and prints its number; -wr: white root. */
	snprintf(cmd, sizeof(cmd), "exec Xvfb -displayfd 1 -screen 0 %s -wr -nolisten tcp "
		"2>'%s'", screen, log);
	struct ph_process xvfb;
	ph_spawn(NULL, &xvfb, (const char *[]){"sh", "-c", cmd, NULL}, PH_PIPE_STDOUT);
	char line[64] = "";
	int number = -1;
	bool up = ph_read_line(&xvfb, line, sizeof(line), 10000) &&
		sscanf(line, "%d", &number) == 1 && number >= 0;
	char display[40];
	snprintf(display, sizeof(display), ":%d", number);
	ph_ok(up, "Xvfb is running on %s", display);
	if (!up) {
		ph_dump_tail("Xvfb log", log, 1800);
		ph_kill(&xvfb);
		return;
	}

	char display_env[64];
	snprintf(display_env, sizeof(display_env), "DISPLAY=%s", display);
	struct ph_compositor pinhole;
	char mode[32];
	snprintf(mode, sizeof(mode), "%dx%d", X11_W, X11_H);
	/* No DRI3 in Xvfb: pixman (the harness's default) and SHM presentation. */
	bool started = ph_compositor_start_env(&pinhole, (const char *[]){"--backend", "x11",
		"--mode", mode, NULL}, (const char *[]){display_env, NULL});
	ph_ok(started, "Xvfb: pinhole started on the X11 backend");
	if (started) {
		struct setup s = {.pinhole = &pinhole, .x_display = display, .out_w = X11_W,
			.out_h = X11_H};
		run_checks(&s, parent, OUTSIDE_X);
		ph_ok(ph_compositor_log_contains(&pinhole, "output X11-1 added: 640x480"),
			"Xvfb: pinhole's output is X11-1, 640x480 (--mode)");
		stop_pinhole(&pinhole, parent);
	}
	ph_kill(&xvfb);
}

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 150);
	ph_plan(21);
	nested_in_sway();
	nested_in_xvfb();
	return ph_finish();
}
