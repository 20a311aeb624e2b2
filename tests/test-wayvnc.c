/*
 * wayvnc 0.10 against pinhole: a VNC server built on ext-image-copy-capture,
 * with its damage as the only source of updates for viewers.
 *
 * Two viewers look at it:
 * - vncsnapshot, the real client the brief names. It only writes JPEG (quality
 *   100, 4:2:0 chroma), so its pictures are compared with a tolerance, away
 *   from colour edges.
 * - tests/scripts/rfb-viewer.py, a minimal RFB viewer asking for raw pixels
 *   only: its framebuffer is exact. After the first full update it only asks
 *   for incremental updates, i.e. it only learns what the damage events told
 *   wayvnc; missing damage leaves it stale.
 *
 * Both wayvnc modes run: the default one, where wayvnc takes the cursor from
 * a pointer cursor session, and -r, where it asks for paint_cursors.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <X11/Xcursor/Xcursor.h>
#include "harness.h"

#define RED 0xffff0000u
#define GREEN 0xff00ff00u
#define BLUE 0xff0000ffu
#define WHITE 0xffffffffu
#define BLACK 0xff000000u
#define PLACEHOLDER 0xff606060u /* wayvnc's grey before its first frame */

#define WIN_W 320
#define WIN_H 240
#define JPEG_TOLERANCE 12

/* The pointer goes to the empty desktop, where pinhole shows its default cursor. */
#define POINTER_X 480
#define POINTER_Y 360


/* Images */

static bool near(uint32_t a, uint32_t b, int tolerance) {
	for (int shift = 0; shift < 24; shift += 8) {
		int d = (int)((a >> shift) & 0xff) - (int)((b >> shift) & 0xff);
		if (d > tolerance || d < -tolerance) {
			return false;
		}
	}
	return true;
}

/* Every pixel of the rectangle within tolerance of argb (colour channels only). */
static bool rect_near(const struct ph_image *image, int x, int y, int w, int h, uint32_t argb,
		int tolerance, char *why, size_t size) {
	for (int j = y; j < y + h; j++) {
		for (int i = x; i < x + w; i++) {
			uint32_t got = ph_image_at(image, i, j);
			if (!near(got, argb, tolerance)) {
				snprintf(why, size, "pixel (%d,%d) is 0x%08x, expected 0x%08x +-%d", i, j,
					got, argb, tolerance);
				return false;
			}
		}
	}
	snprintf(why, size, "ok");
	return true;
}

/*
 * The screen: the window at the top-left (quadrants, or a colour with an
 * optional rectangle on it), black elsewhere. With a tolerance (JPEG), a
 * margin around every colour edge is left out.
 */
struct expected {
	bool quad;
	uint32_t color;
	bool has_rect;
	int rx, ry, rw, rh;
	uint32_t rect_color;
};

static bool screen_matches(const struct ph_image *image, const struct expected *e, int tolerance,
		char *why, size_t size) {
	if (image->width != 640 || image->height != 480) {
		snprintf(why, size, "size %dx%d", image->width, image->height);
		return false;
	}
	int m = tolerance > 0 ? 8 : 0;
	bool ok;
	if (e->quad) {
		int hw = WIN_W / 2, hh = WIN_H / 2;
		ok = rect_near(image, m, m, hw - 2 * m, hh - 2 * m, RED, tolerance, why, size) &&
			rect_near(image, hw + m, m, hw - 2 * m, hh - 2 * m, GREEN, tolerance, why,
				size) &&
			rect_near(image, m, hh + m, hw - 2 * m, hh - 2 * m, BLUE, tolerance, why,
				size) &&
			rect_near(image, hw + m, hh + m, hw - 2 * m, hh - 2 * m, WHITE, tolerance, why,
				size);
	} else if (e->has_rect) {
		/* Around the rectangle: the four bands of the window colour. */
		ok = rect_near(image, m, m, WIN_W - 2 * m, e->ry - 2 * m, e->color, tolerance, why,
				size) &&
			rect_near(image, m, e->ry + e->rh + m, WIN_W - 2 * m,
				WIN_H - e->ry - e->rh - 2 * m, e->color, tolerance, why, size) &&
			rect_near(image, m, e->ry + m, e->rx - 2 * m, e->rh - 2 * m, e->color,
				tolerance, why, size) &&
			rect_near(image, e->rx + e->rw + m, e->ry + m, WIN_W - e->rx - e->rw - 2 * m,
				e->rh - 2 * m, e->color, tolerance, why, size) &&
			rect_near(image, e->rx + m, e->ry + m, e->rw - 2 * m, e->rh - 2 * m,
				e->rect_color, tolerance, why, size);
	} else {
		ok = rect_near(image, m, m, WIN_W - 2 * m, WIN_H - 2 * m, e->color, tolerance, why,
			size);
	}
	return ok &&
		rect_near(image, WIN_W + m, 0, 640 - WIN_W - m, 480, BLACK, tolerance, why, size) &&
		rect_near(image, 0, WIN_H + m, WIN_W, 480 - WIN_H - m, BLACK, tolerance, why, size);
}

static bool is_placeholder(const struct ph_image *image) {
	return ph_image_at(image, 10, 10) == PLACEHOLDER &&
		ph_image_at(image, 600, 400) == PLACEHOLDER;
}

/* Non-black pixels in a box around the pointer, outside the window. */
static int cursor_pixels(const struct ph_image *image) {
	int count = 0;
	for (int y = POINTER_Y - 8; y < POINTER_Y + 40; y++) {
		for (int x = POINTER_X - 8; x < POINTER_X + 40; x++) {
			count += (ph_image_at(image, x, y) & 0xffffff) != 0;
		}
	}
	return count;
}

/* vncsnapshot */

static bool jpeg_to_png(struct ph_compositor *c, const char *jpeg, const char *png) {
	char location_in[600], location_out[600], out[2048];
	snprintf(location_in, sizeof(location_in), "location=%s", jpeg);
	snprintf(location_out, sizeof(location_out), "location=%s", png);
	int code = ph_run(c, (const char *[]){"gst-launch-1.0", "-q", "filesrc", location_in, "!",
		"jpegdec", "!", "videoconvert", "!", "video/x-raw,format=RGB", "!", "pngenc", "!",
		"filesink", location_out, NULL}, 20000, out, sizeof(out));
	if (code != 0) {
		ph_diag("gst-launch jpeg->png exit %d: %s", code, out);
	}
	return code == 0;
}

/*
 * One snapshot as a PNG. A connection that starts wayvnc's capture can race
 * its first frame and get the grey placeholder; that is retried (and said).
 */
static bool snapshot(struct ph_compositor *c, int port, const char *name, struct ph_image *image) {
	char display[64], jpeg[64], png[64], out[4096];
	memset(image, 0, sizeof(*image));
	snprintf(display, sizeof(display), "127.0.0.1::%d", port);
	for (int attempt = 1; attempt <= 3; attempt++) {
		snprintf(jpeg, sizeof(jpeg), "%s-%d.jpg", name, attempt);
		snprintf(png, sizeof(png), "%s-%d.png", name, attempt);
		int code = ph_run(c, (const char *[]){"vncsnapshot", "-quiet", "-allowblank",
			"-nojpeg", "-quality", "100", display, ph_scratch(jpeg), NULL}, 20000, out,
			sizeof(out));
		if (code != 0) {
			ph_diag("vncsnapshot exit %d: %s", code, out);
			return false;
		}
		if (!jpeg_to_png(c, ph_scratch(jpeg), ph_scratch(png)) ||
				!ph_image_load(ph_scratch(png), image)) {
			return false;
		}
		if (!is_placeholder(image)) {
			return true;
		}
		ph_diag("vncsnapshot %s attempt %d got wayvnc's grey placeholder", name, attempt);
		ph_image_finish(image);
		ph_sleep_ms(300);
	}
	return false;
}

/* The raw viewer */

struct viewer {
	struct ph_process process;
	int updates;
	char last_update[1024];
	bool got_cursor;
	char cursor_line[128];
	bool closed;
};

/* Reads lines until one starts with prefix; remembers updates and cursors on the way. */
static bool viewer_expect(struct viewer *v, const char *prefix, int timeout_ms) {
	int64_t deadline = ph_now_ms() + timeout_ms;
	char line[1024];
	while (ph_now_ms() < deadline) {
		if (!ph_read_line(&v->process, line, sizeof(line), (int)(deadline - ph_now_ms()))) {
			return false;
		}
		if (strncmp(line, "update ", 7) == 0) {
			v->updates++;
			snprintf(v->last_update, sizeof(v->last_update), "%s", line);
		} else if (strncmp(line, "cursor ", 7) == 0) {
			v->got_cursor = true;
			snprintf(v->cursor_line, sizeof(v->cursor_line), "%.120s", line);
		} else if (strncmp(line, "closed", 6) == 0 || strncmp(line, "error", 5) == 0) {
			ph_diag("viewer: %s", line);
			v->closed = true;
		}
		if (strncmp(line, prefix, strlen(prefix)) == 0) {
			return true;
		}
	}
	return false;
}

static bool viewer_dump(struct viewer *v, const char *name, struct ph_image *image) {
	ph_write_line(&v->process, "dump %s", ph_scratch(name));
	return viewer_expect(v, "dumped", 5000) && ph_image_load(ph_scratch(name), image);
}

/*
 * The Cursor pseudo-encoding the viewer got last against the theme's default
 * cursor read with libxcursor (as pinhole's seat loads it): the hotspot, every
 * pixel's colour (the theme's premultiplied RGB, in the viewer's 0x00RRGGBB
 * words) and the bitmask (neatvnc sets a bit where alpha > 127).
 */
static bool rfb_cursor_is_theme(struct viewer *v, char *why, size_t size) {
	const char *path = ph_scratch("rfb-cursor.bin");
	ph_write_line(&v->process, "dump-cursor %s", path);
	if (!viewer_expect(v, "cursor-dumped", 5000)) {
		snprintf(why, size, "the viewer could not dump the cursor");
		return false;
	}
	const char *size_env = getenv("XCURSOR_SIZE");
	int theme_size = size_env != NULL && atoi(size_env) > 0 ? atoi(size_env) : 24;
	XcursorImage *theme = XcursorLibraryLoadImage("default", getenv("XCURSOR_THEME"),
		theme_size);
	FILE *f = fopen(path, "rb");
	int w = 0, h = 0, hx = -1, hy = -1;
	bool ok = theme != NULL && f != NULL && fscanf(f, "%d %d %d %d", &w, &h, &hx, &hy) == 4 &&
		fgetc(f) == '\n';
	if (!ok) {
		snprintf(why, size, theme == NULL ? "libxcursor has no default cursor" :
			"unreadable dump");
	} else if (w != (int)theme->width || h != (int)theme->height || hx != (int)theme->xhot ||
			hy != (int)theme->yhot) {
		snprintf(why, size, "%dx%d hotspot %d,%d; the theme's is %ux%u hotspot %u,%u", w, h,
			hx, hy, theme->width, theme->height, theme->xhot, theme->yhot);
		ok = false;
	} else {
		int mask_stride = (w + 7) / 8;
		uint32_t *pixels = malloc((size_t)w * h * 4);
		uint8_t *mask = malloc((size_t)mask_stride * h);
		ok = fread(pixels, 4, (size_t)w * h, f) == (size_t)w * h &&
			fread(mask, 1, (size_t)mask_stride * h, f) == (size_t)mask_stride * h;
		snprintf(why, size, ok ? "" : "short dump");
		for (int i = 0; ok && i < w * h; i++) {
			uint32_t want = theme->pixels[i];
			bool want_bit = (want >> 24) > 127;
			bool bit = mask[(i / w) * mask_stride + (i % w) / 8] >> (7 - (i % w) % 8) & 1;
			if ((pixels[i] & 0xffffff) != (want & 0xffffff) || bit != want_bit) {
				snprintf(why, size, "pixel %d,%d: 0x%06x mask %d, the theme's 0x%08x", i % w,
					i / w, pixels[i] & 0xffffff, bit, want);
				ok = false;
			}
		}
		if (ok) {
			snprintf(why, size, "%dx%d, hotspot %d,%d", w, h, hx, hy);
		}
		free(pixels);
		free(mask);
	}
	if (f != NULL) {
		fclose(f);
	}
	XcursorImageDestroy(theme);
	return ok;
}

/* Waits (through incremental updates) until the viewer's picture matches. */
static bool viewer_wait_for(struct viewer *v, const char *name, const struct expected *e,
		char *why, size_t size) {
	int64_t deadline = ph_now_ms() + 5000;
	struct ph_image image;
	for (;;) {
		if (!viewer_dump(v, name, &image)) {
			snprintf(why, size, "no dump");
			return false;
		}
		bool ok = screen_matches(&image, e, 0, why, size);
		ph_image_finish(&image);
		if (ok || ph_now_ms() >= deadline || v->closed) {
			return ok;
		}
		/* Short waits: the update may already have been read while waiting for "dumped". */
		viewer_expect(v, "update", 200);
	}
}

static void run_mode(struct ph_compositor *c, bool render_cursor) {
	const char *mode = render_cursor ? "wayvnc -r" : "wayvnc";
	char line[256] = "";
	struct ph_process paint;
	/*
	 * Over the window the cursor is hidden (the client sets none), so
	 * painted cursors change no pixel the screen checks look at; over the
	 * desktop pinhole's theme cursor shows, which is what step 6 looks for.
	 * Whatever the previous run left, the pointer starts over the window:
	 * ph-input-tool puts it there, and the client reports it has it.
	 */
	ph_spawn(c, &paint, (const char *[]){ph_path("ph-paint"), "--pattern", "quad", "--size",
		"320x240", "--app-id", "wayvnc-test", "--format", "argb",
		"--cursor", "none", "--input", NULL}, PH_PIPE_STDIN | PH_PIPE_STDOUT);
	ph_ok(ph_expect_line(&paint, "ready", line, sizeof(line), 5000), "%s: client mapped: %s",
		mode, line);
	struct ph_process tool;
	ph_spawn(c, &tool, (const char *[]){ph_path("ph-input-tool"), NULL},
		PH_PIPE_STDIN | PH_PIPE_STDOUT);
	bool placed = ph_expect_line(&tool, "hello", line, sizeof(line), 5000);
	ph_write_line(&tool, "warp %d %d 640 480", WIN_W / 2, WIN_H / 2);
	placed = placed && ph_expect_line(&tool, "warped", line, sizeof(line), 5000);
	/* An enter, or a motion if it got the pointer when it mapped under it. */
	placed = placed && ph_expect_line(&paint, "pointer-", line, sizeof(line), 5000);
	ph_ok(placed, "%s: the pointer is over the window, which hides the cursor (%s)", mode,
		placed ? line : "no pointer event");
	ph_kill(&tool);

	int port = ph_pick_port();
	char log[64], cmd[1024];
	snprintf(log, sizeof(log), "wayvnc%s.log", render_cursor ? "-r" : "");
	snprintf(cmd, sizeof(cmd), "exec wayvnc %s -L debug -o HEADLESS-1 127.0.0.1 %d >'%s' 2>&1",
		render_cursor ? "-r" : "", port, ph_scratch(log));
	struct ph_process vnc;
	ph_spawn(c, &vnc, (const char *[]){"sh", "-c", cmd, NULL}, 0);
	bool listening = false;
	for (int waited = 0; waited < 10000 && !listening && !ph_exited(&vnc); waited += 50) {
		listening = ph_file_contains(ph_scratch(log), "Listening for connections");
		if (!listening) {
			ph_sleep_ms(50);
		}
	}
	ph_ok(listening, "%s: listening on 127.0.0.1:%d", mode, port);
	if (!listening) {
		ph_dump_tail("wayvnc log", ph_scratch(log), 1800);
		ph_kill(&vnc);
		ph_kill(&paint);
		return;
	}

	/* 1. vncsnapshot of the quadrants. */
	struct ph_image image = {0};
	char why[200] = "no image";
	struct expected quad = {.quad = true};
	bool ok = snapshot(c, port, render_cursor ? "r-quad" : "quad", &image);
	ok = ok && screen_matches(&image, &quad, JPEG_TOLERANCE, why, sizeof(why));
	ph_ok(ok, "%s: vncsnapshot shows the quadrants (JPEG, +-%d) (%s)", mode, JPEG_TOLERANCE,
		why);
	ph_image_finish(&image);

	/* 2. The raw viewer: exact first picture. */
	struct viewer viewer = {0};
	char port_arg[16];
	snprintf(port_arg, sizeof(port_arg), "%d", port);
	char script_path[600];
	ph_source_path("tests/scripts/rfb-viewer.py", script_path, sizeof(script_path));
	ph_spawn(c, &viewer.process, (const char *[]){"python3", script_path, "127.0.0.1",
		port_arg, NULL}, PH_PIPE_STDIN | PH_PIPE_STDOUT);
	bool connected = viewer_expect(&viewer, "connected", 10000);
	ok = connected && viewer_expect(&viewer, "update", 5000);
	ph_ok(ok, "%s: raw viewer connected and got a first update (%s)", mode,
		viewer.last_update);
	snprintf(why, sizeof(why), "no update");
	ok = ok && viewer_wait_for(&viewer, "v-quad.ppm", &quad, why, sizeof(why));
	ph_ok(ok, "%s: raw viewer: quadrants exact (%s)", mode, why);

	/* 3. A full-window change reaches the viewer through damage alone. */
	struct expected solid = {.color = 0xff2080c0u};
	int before = viewer.updates;
	ph_write_line(&paint, "color 0x%08x", solid.color);
	ok = ph_expect_line(&paint, "ok", line, sizeof(line), 5000);
	ok = ok && viewer_wait_for(&viewer, "v-solid.ppm", &solid, why, sizeof(why));
	ph_ok(ok, "%s: after 'color', incremental updates show the new colour exactly (%s; %d "
		"updates, last: %s)", mode, why, viewer.updates - before, viewer.last_update);

	/* 4. A small change: only its damage is sent, and it must be enough. */
	struct expected rect = {.color = solid.color, .has_rect = true, .rx = 40, .ry = 40,
		.rw = 100, .rh = 60, .rect_color = 0xffffff00u};
	before = viewer.updates;
	ph_write_line(&paint, "rect %d %d %d %d 0x%08x", rect.rx, rect.ry, rect.rw, rect.rh,
		rect.rect_color);
	ok = ph_expect_line(&paint, "ok", line, sizeof(line), 5000);
	ok = ok && viewer_wait_for(&viewer, "v-rect.ppm", &rect, why, sizeof(why));
	ph_ok(ok, "%s: after 'rect', incremental updates show it exactly (%s; %d updates, last: %s)",
		mode, why, viewer.updates - before, viewer.last_update);

	/* 5. vncsnapshot sees the changed screen (wayvnc is still capturing for the viewer). */
	snprintf(why, sizeof(why), "no image");
	ok = snapshot(c, port, render_cursor ? "r-rect" : "rect", &image);
	ok = ok && screen_matches(&image, &rect, JPEG_TOLERANCE, why, sizeof(why));
	ph_ok(ok, "%s: second vncsnapshot shows the colour and the rectangle (+-%d) (%s)", mode,
		JPEG_TOLERANCE, why);
	ph_image_finish(&image);

	/*
	 * 6. The cursor. The viewer moves wayvnc's virtual pointer onto the empty
	 * desktop, where pinhole shows its default cursor. Default mode: wayvnc
	 * expects it from the pointer cursor session (a Cursor pseudo-encoding
	 * for the viewer). -r: painted into the frames (paint_cursors).
	 */
	if (viewer.closed) {
		ph_diag("%s: the viewer was disconnected (by vncsnapshot?); reconnecting", mode);
		ph_kill(&viewer.process);
		memset(&viewer, 0, sizeof(viewer));
		ph_spawn(c, &viewer.process, (const char *[]){"python3", script_path, "127.0.0.1",
			port_arg, NULL}, PH_PIPE_STDIN | PH_PIPE_STDOUT);
		viewer_expect(&viewer, "connected", 10000);
		viewer_expect(&viewer, "update", 5000);
	}
	ph_write_line(&viewer.process, "pointer %d %d", POINTER_X, POINTER_Y);
	viewer_expect(&viewer, "pointer-sent", 5000);
	int64_t deadline = ph_now_ms() + 2000;
	int painted = 0;
	while (ph_now_ms() < deadline) {
		viewer_expect(&viewer, "update", 200);
		if (viewer_dump(&viewer, "v-cursor.ppm", &image)) {
			painted = cursor_pixels(&image);
			ph_image_finish(&image);
		}
		if ((render_cursor && painted > 0) || (!render_cursor && viewer.got_cursor)) {
			break;
		}
	}
	if (render_cursor) {
		ph_ok(painted > 0, "%s: the cursor is painted into the frames at the pointer (%d "
			"non-black pixels near %d,%d)", mode, painted, POINTER_X, POINTER_Y);
	} else {
		ph_ok(viewer.got_cursor && painted == 0, "%s: the viewer gets the cursor image from "
			"the cursor session, and frames carry no cursor (%s; %d pixels painted)", mode,
			viewer.got_cursor ? viewer.cursor_line : "none", painted);
		char cursor_why[200] = "no cursor received";
		bool same = viewer.got_cursor && rfb_cursor_is_theme(&viewer, cursor_why,
			sizeof(cursor_why));
		ph_ok(same, "%s: the RFB cursor is the theme's default cursor: hotspot, every pixel "
			"and the mask (%s)", mode, cursor_why);
	}
	/* 7. wayvnc survived all of it and stops cleanly (on SIGINT: SIGTERM kills it). */
	ph_write_line(&viewer.process, "quit");
	ph_wait(&viewer.process, 3000);
	bool alive = !ph_exited(&vnc);
	ph_ok(alive, "%s: still running after the session", mode);
	kill(vnc.pid, SIGINT);
	int code = ph_wait(&vnc, 5000);
	ph_ok(alive && code == 0, "%s: exits 0 on SIGINT (status %d)", mode, code);
	if (!alive || code != 0) {
		ph_dump_tail("wayvnc log", ph_scratch(log), 1800);
	}
	ph_write_line(&paint, "quit");
	ph_wait(&paint, 2000);
}

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 150);
	ph_plan(27);
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "640x480", NULL})) {
		ph_ok(false, "compositor started");
		ph_finish();
		return 1;
	}
	run_mode(&c, false);
	run_mode(&c, true);
	ph_compositor_finish(&c);
	return ph_finish();
}
