/*
 * Pointer cursor sessions and paint_cursors, on headless outputs twice: with
 * the cursor on a (virtual) cursor plane, where no output buffer contains it,
 * and with software cursors (WLR_NO_HARDWARE_CURSORS=1, as on nested X11 or
 * DRM without a cursor plane), where wlroots draws it into every frame and
 * sessions without paint_cursors must still not see it.
 *
 * ph-paint fills the first output and shows a known cursor image (a solid
 * 16x12 rectangle, hotspot 3,5) while the pointer is over it; a probe moves
 * the pointer with a virtual pointer. Checked: enter/leave/position/hotspot
 * events in order and only on change, the cursor image captured byte for
 * byte, and two sessions of one output, with and without paint_cursors,
 * differing exactly by the cursor. Theme cursors (the default arrow, the
 * cursor-shape-v1 "text" shape) are checked against the theme itself, read
 * with libxcursor the way wlroots picks it (XCURSOR_THEME, XCURSOR_SIZE or 24):
 * hotspot and every pixel of the image, and the painted frame is the plain
 * one with that image blended in.
 */
#include <stdlib.h>
#include <string.h>
#include <X11/Xcursor/Xcursor.h>
#include "harness.h"
#include "probe.h"

/* The theme's own image of a cursor, as pinhole's seat loads it (src/seat.c). */
static XcursorImage *theme_cursor(const char *name) {
	const char *size_env = getenv("XCURSOR_SIZE");
	int size = size_env != NULL && atoi(size_env) > 0 ? atoi(size_env) : 24;
	XcursorImage *image = XcursorLibraryLoadImage(name, getenv("XCURSOR_THEME"), size);
	if (image == NULL) {
		ph_diag("libxcursor has no '%s' in theme %s at size %d", name,
			getenv("XCURSOR_THEME") != NULL ? getenv("XCURSOR_THEME") : "(default)", size);
	}
	return image;
}

/* Every pixel of a captured cursor image (ARGB8888 words) against the theme's (premultiplied ARGB). */
static bool same_as_theme(const uint32_t *pixels, int width, int height,
		const XcursorImage *theme, char *why, size_t size) {
	if (pixels == NULL || theme == NULL) {
		snprintf(why, size, "no image");
		return false;
	}
	if (width != (int)theme->width || height != (int)theme->height) {
		snprintf(why, size, "%dx%d, the theme's is %ux%u", width, height, theme->width,
			theme->height);
		return false;
	}
	for (int i = 0; i < width * height; i++) {
		if (pixels[i] != theme->pixels[i]) {
			snprintf(why, size, "pixel %d,%d is 0x%08x, the theme's 0x%08x", i % width,
				i / width, pixels[i], theme->pixels[i]);
			return false;
		}
	}
	snprintf(why, size, "%dx%d, every pixel", width, height);
	return true;
}

#define LAYOUT_W 1280
#define LAYOUT_H 480
#define BACKGROUND 0x203040u
#define CURSOR_COLOR 0xffff00ffu
#define CURSOR_W 16
#define CURSOR_H 12
#define HOTSPOT_X 3
#define HOTSPOT_Y 5

struct probe;
/*
 * The cursor session's current image, captured into a buffer of the last
 * constraints and read back: width and height in *w, *h (free the pixels).
 */
static uint32_t *capture_cursor_image(struct probe *cursor, const char *dump_name, int *w,
		int *h);


/* Reads the probe's lines up to one starting with last; all of them, '|'-joined, in out. */
static bool collect(struct probe *probe, const char *last, char *out, size_t size) {
	out[0] = '\0';
	char line[512];
	while (ph_read_line(&probe->process, line, sizeof(line), 5000)) {
		size_t len = strlen(out);
		snprintf(out + len, size - len, "%s%s", len ? "|" : "", line);
		if (strncmp(line, last, strlen(last)) == 0) {
			return true;
		}
	}
	ph_diag("no '%s' after: %s", last, out);
	return false;
}

/* Absolute motion maps onto the layout's bounding box, layout_w x layout_h. */
static bool move_pointer_in(struct probe *mover, int x, int y, int layout_w, int layout_h) {
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "pointer %d %d %d %d", x, y, layout_w, layout_h);
	return probe_cmd(mover, cmd, "moved");
}

static bool move_pointer(struct probe *mover, int x, int y) {
	return move_pointer_in(mover, x, y, LAYOUT_W, LAYOUT_H);
}

/* Waits until everything the compositor sent so far has been printed. */
static void sync_probe(struct probe *probe, char *seen, size_t size) {
	ph_write_line(&probe->process, "sync-marker");
	collect(probe, "error unknown command 'sync-marker'", seen, size);
}

static void test_events(struct probe *cursor, struct probe *mover) {
	char seen[2048];
	move_pointer(mover, 100, 200);
	bool got = collect(cursor, "cursor hotspot 3 5", seen, sizeof(seen));
	const char *enter = strstr(seen, "cursor enter");
	const char *position = strstr(seen, "cursor position 100 200");
	ph_ok(got && enter != NULL && position != NULL && enter < position,
		"pointer over the window: enter, then position 100,200 and the client's hotspot 3,5 (%s)",
		seen);

	move_pointer(mover, 300, 150);
	got = collect(cursor, "cursor position", seen, sizeof(seen));
	char tail[2048];
	sync_probe(cursor, tail, sizeof(tail));
	ph_ok(got && strstr(seen, "cursor position 300 150") != NULL &&
		strstr(seen, "hotspot") == NULL && strstr(tail, "cursor") == NULL,
		"a move sends the position alone, the unchanged hotspot is not repeated (%s / %s)",
		seen, tail);

	/* The image spans 638..653: it still intersects output 0 while the hotspot is beyond it. */
	move_pointer(mover, 641, 150);
	got = collect(cursor, "cursor position", seen, sizeof(seen));
	ph_ok(got && strstr(seen, "cursor position 641 150") != NULL && strstr(seen, "leave") == NULL,
		"a cursor image overlapping the edge stays entered, position beyond the buffer (%s)",
		seen);

	move_pointer(mover, 900, 150);
	got = collect(cursor, "cursor leave", seen, sizeof(seen));
	sync_probe(cursor, tail, sizeof(tail));
	ph_ok(got && strstr(tail, "cursor") == NULL,
		"on the other output: leave, and no position while away (%s / %s)", seen, tail);

	move_pointer(mover, 120, 60);
	got = collect(cursor, "cursor hotspot", seen, sizeof(seen));
	enter = strstr(seen, "cursor enter");
	position = strstr(seen, "cursor position 120 60");
	ph_ok(got && enter != NULL && position != NULL && enter < position,
		"back again: enter, position and hotspot (%s)", seen);
}

static void test_image(struct probe *cursor) {
	/* The constraints follow the image: the last ones announced are the client's 16x12. */
	char seen[2048];
	probe_cmd(cursor, "buffer c 0", "buffer");
	bool sized = strstr(cursor->line, "16x12") != NULL;
	if (!sized) {
		/*
		 * The 16x12 constraints may still be on their way (they come after the
		 * buffer's reply, else the buffer would have their size); use them.
		 */
		sized = collect(cursor, "constraints 16x12", seen, sizeof(seen));
		probe_cmd(cursor, "destroy-buffer c", "destroyed");
		sized = sized && probe_cmd(cursor, "buffer c 0", "buffer") &&
			strstr(cursor->line, "16x12") != NULL;
	}
	ph_ok(sized, "cursor image constraints are the image's size, 16x12 (%s)", cursor->line);
	ph_ok(probe_cmd(cursor, "capture c", "ready"), "cursor image captured: %s", cursor->line);
	long exact = probe_count(cursor, "c", 0, 0, CURSOR_W, CURSOR_H, CURSOR_COLOR);
	ph_ok(exact == CURSOR_W * CURSOR_H, "cursor image is the client's pixels, ARGB (%ld of %d)",
		exact, CURSOR_W * CURSOR_H);
	probe_cmd(cursor, "capture c", NULL);
	char line[256];
	bool early = !probe_quiet(cursor, PH_HEADLESS_REFRESH_HZ, line, sizeof(line));
	ph_ok(!early, "the next cursor frame waits for a new image (a roundtrip, then %d refresh "
		"periods)%s%s", PROBE_QUIET_PERIODS, early ? ": " : "", early ? line : "");
}

/* The example client, run as a user would: events on stdout, the image as a PNG. */
static void test_example(struct ph_compositor *c) {
	char out[2048], prefix[512];
	snprintf(prefix, sizeof(prefix), "%s", ph_scratch("cursor"));
	int code = ph_run(c, (const char *[]){ph_path("capture-cursor"), "-o", "HEADLESS-1", "-n",
		"1", prefix, NULL}, 10000, out, sizeof(out));
	char png[600];
	snprintf(png, sizeof(png), "%s-1.png", prefix);
	bool reported = code == 0 && strstr(out, "enter\n") != NULL &&
		strstr(out, "hotspot 3 5\n") != NULL && strstr(out, "image 1 16x12 -> ") != NULL;
	for (char *nl = strchr(out, '\n'); nl != NULL; nl = strchr(nl, '\n')) {
		*nl = '|'; /* one TAP line */
	}
	ph_ok(reported, "capture-cursor reports enter, the hotspot and a 16x12 image (exit %d: %s)",
		code, out);
	struct ph_image image = {0};
	char why[160] = "no PNG";
	bool exact = ph_image_load(png, &image) && image.width == CURSOR_W &&
		image.height == CURSOR_H &&
		ph_image_rect_is(&image, 0, 0, CURSOR_W, CURSOR_H, CURSOR_COLOR, why, sizeof(why));
	ph_ok(exact, "capture-cursor's PNG is the client's cursor image (%s)", exact ? "exact" : why);
	ph_image_finish(&image);
}

/* A session on output 0 with its own buffer, captured once. */
static bool fresh_capture(struct probe *probe, bool paint, const char *buffer) {
	char cmd[64];
	probe_cmd(probe, "destroy-session", "destroyed");
	probe_cmd(probe, paint ? "output 0 cursors" : "output 0", "constraints");
	snprintf(cmd, sizeof(cmd), "buffer %s 1", buffer);
	probe_cmd(probe, cmd, "buffer");
	snprintf(cmd, sizeof(cmd), "capture %s", buffer);
	return probe_cmd(probe, cmd, "ready");
}

static void test_paint(struct probe *painted, struct probe *plain, struct probe *mover,
		struct ph_process *paint, bool software) {
	move_pointer(mover, 200, 100);
	int bx = 200 - HOTSPOT_X, by = 100 - HOTSPOT_Y;
	/* Opaque output pixels: compare the colour bytes only. */
	ph_ok(fresh_capture(painted, true, "p") && fresh_capture(plain, false, "n"),
		"two sessions on one output capture at the same time");
	long in_painted = probe_count(painted, "p", bx, by, CURSOR_W, CURSOR_H, CURSOR_COLOR);
	long bg_plain = probe_count(plain, "n", bx, by, CURSOR_W, CURSOR_H,
		0xff000000u | BACKGROUND);
	ph_ok(in_painted == CURSOR_W * CURSOR_H, "paint_cursors: the cursor at hotspot-adjusted "
		"%d,%d (%ld of %d)", bx, by, in_painted, CURSOR_W * CURSOR_H);
	ph_ok(bg_plain == CURSOR_W * CURSOR_H,
		"without paint_cursors: no cursor, the window's pixels (%ld of %d)", bg_plain,
		CURSOR_W * CURSOR_H);
	long rest = probe_count(painted, "p", 0, 0, 640, 480, 0xff000000u | BACKGROUND);
	ph_ok(rest == 640 * 480 - CURSOR_W * CURSOR_H,
		"paint_cursors changes nothing but the cursor's pixels (%ld)", rest);

	/* A move alone is new content for the painting session only. */
	probe_cmd(painted, "capture p", NULL);
	probe_cmd(plain, "capture n", NULL);
	move_pointer(mover, 400, 300);
	bool ready = ph_expect_line(&painted->process, "ready", painted->line,
		sizeof(painted->line), 5000);
	int nx = 400 - HOTSPOT_X, ny = 300 - HOTSPOT_Y;
	char want_old[64], want_new[64];
	snprintf(want_old, sizeof(want_old), "%d,%d,%d,%d", bx, by, CURSOR_W, CURSOR_H);
	snprintf(want_new, sizeof(want_new), "%d,%d,%d,%d", nx, ny, CURSOR_W, CURSOR_H);
	ph_ok(ready && strstr(painted->line, want_old) != NULL &&
		strstr(painted->line, want_new) != NULL,
		"a waiting painted frame completes on a move; damage is exactly both boxes (%s)",
		painted->line);
	long old_box = probe_count(painted, "p", bx, by, CURSOR_W, CURSOR_H,
		0xff000000u | BACKGROUND);
	long new_box = probe_count(painted, "p", nx, ny, CURSOR_W, CURSOR_H, CURSOR_COLOR);
	ph_ok(old_box == CURSOR_W * CURSOR_H && new_box == CURSOR_W * CURSOR_H,
		"same buffer again: the old place restored (%ld), the cursor at the new one (%ld)",
		old_box, new_box);
	char line[256];
	if (!software) {
		bool early = !probe_quiet(plain, PH_HEADLESS_REFRESH_HZ, line, sizeof(line));
		ph_ok(!early, "the session without paint_cursors keeps waiting: nothing of it "
			"changed (a roundtrip, then %d refresh periods)%s%s", PROBE_QUIET_PERIODS,
			early ? ": " : "", early ? line : "");
	} else {
		/*
		 * wlroots redrew the output with the cursor in it. Whether or not that
		 * completes the waiting frame, a client commit (the same colour again)
		 * does: then every pixel of the frame must be the window's.
		 */
		ph_write_line(paint, "color 0xff%06x", BACKGROUND);
		bool committed = ph_expect_line(paint, "ok", line, sizeof(line), 5000);
		bool waited = ph_expect_line(&plain->process, "ready", line, sizeof(line), 5000);
		long clean = probe_count(plain, "n", 0, 0, 640, 480, 0xff000000u | BACKGROUND);
		ph_ok(committed && waited && clean == 640 * 480,
			"the session without paint_cursors has no cursor after the move either "
			"(%ld of %d pixels are the window's)", clean, 640 * 480);
		/* A buffer of its own: the whole frame is copied from the output's, cursor drawn in. */
		bool fresh = fresh_capture(plain, false, "m");
		clean = probe_count(plain, "m", 0, 0, 640, 480, 0xff000000u | BACKGROUND);
		ph_ok(fresh && clean == 640 * 480, "a new session without paint_cursors, new buffer: "
			"no cursor in the whole frame (%ld of %d pixels are the window's)", clean,
			640 * 480);
	}
	probe_cmd(plain, "destroy-session", "destroyed");
}

/*
 * Output 0 at scale 2 (output 1 stays at x=640 in the layout): positions,
 * hotspot and image are in buffer pixels, so they double, and the client's
 * scale-1 cursor image is scaled up the way the output shows it.
 */
static void test_scale(struct ph_compositor *c, struct probe *mover) {
	char out[1024], seen[2048];
	int code = ph_run(c, (const char *[]){"wlr-randr", "--output", "HEADLESS-1", "--scale", "2",
		NULL}, 10000, out, sizeof(out));
	ph_ok(code == 0, "wlr-randr sets scale 2 on output 0 (%d %s)", code, out);
	struct probe cursor, painted;
	probe_start(c, &cursor);
	probe_start(c, &painted);
	probe_cmd(&cursor, "cursor-session 0", "constraints");
	move_pointer(mover, 100, 100);
	bool got = collect(&cursor, "cursor hotspot 6 10", seen, sizeof(seen));
	ph_ok(got && strstr(seen, "cursor position 200 200") != NULL,
		"at scale 2: position 200,200 and hotspot 6,10 in buffer pixels (%s)", seen);
	ph_write_line(&cursor.process, "sync-marker");
	collect(&cursor, "error unknown command", seen, sizeof(seen));
	probe_cmd(&cursor, "buffer c 0", "buffer");
	ph_ok(strstr(cursor.line, "32x24") != NULL, "cursor image constraints 32x24 (%s)",
		cursor.line);
	probe_cmd(&cursor, "capture c", "ready");
	long image = probe_count(&cursor, "c", 0, 0, 32, 24, CURSOR_COLOR);
	ph_ok(image == 32 * 24, "cursor image scaled like the output shows it (%ld of %d)", image,
		32 * 24);
	probe_cmd(&painted, "output 0 cursors", "constraints");
	probe_cmd(&painted, "buffer p 1", "buffer");
	probe_cmd(&painted, "capture p", "ready");
	long box = probe_count(&painted, "p", 194, 190, 32, 24, CURSOR_COLOR);
	long all = probe_count(&painted, "p", 0, 0, 640, 480, CURSOR_COLOR);
	ph_ok(box == 32 * 24 && all == 32 * 24, "painted at 194,190, 32x24 and nowhere else "
		"(%ld, %ld)", box, all);
	probe_cmd(&cursor, "quit", NULL);
	probe_cmd(&painted, "quit", NULL);
	ph_wait(&cursor.process, 5000);
	ph_wait(&painted.process, 5000);
}

/*
 * Output 0 turned 90 degrees: positions are in the turned (logical)
 * orientation, and grim, which turns frames upright by their transform event,
 * must find the painted cursor upright at position - hotspot.
 */
static void test_transform(struct ph_compositor *c, struct probe *mover) {
	char out[1024], seen[2048], why[160] = "no image";
	int code = ph_run(c, (const char *[]){"wlr-randr", "--output", "HEADLESS-1", "--scale", "1",
		"--transform", "90", NULL}, 10000, out, sizeof(out));
	ph_ok(code == 0, "wlr-randr turns output 0 by 90 degrees (%d %s)", code, out);
	struct probe cursor;
	probe_start(c, &cursor);
	probe_cmd(&cursor, "cursor-session 0", "constraints");
	/* Output 0 is 480x640 now; the layout's box is 1280x640. */
	move_pointer_in(mover, 100, 50, LAYOUT_W, 640);
	bool got = collect(&cursor, "cursor position 100 50", seen, sizeof(seen));
	ph_ok(got, "turned output: position 100,50 in its turned pixels (%s)", seen);
	const char *path = ph_scratch("grim-turned.png");
	code = ph_run(c, (const char *[]){"grim", "-c", "-o", "HEADLESS-1", path, NULL}, 10000, out,
		sizeof(out));
	struct ph_image image = {0};
	bool ok = code == 0 && ph_image_load(path, &image) && image.width == 480 &&
		image.height == 640 &&
		ph_image_rect_is(&image, 100 - HOTSPOT_X, 50 - HOTSPOT_Y, CURSOR_W, CURSOR_H,
			CURSOR_COLOR, why, sizeof(why)) &&
		ph_image_rect_is(&image, 100 - HOTSPOT_X + CURSOR_W, 50 - HOTSPOT_Y, 4, CURSOR_H,
			0xff000000u | BACKGROUND, why, sizeof(why));
	ph_ok(ok, "grim -c on the turned output: a 480x640 picture with the cursor upright, "
		"16x12 at 97,45 (%s)", ok ? "exact" : why);
	ph_image_finish(&image);
	ph_run(c, (const char *[]){"wlr-randr", "--output", "HEADLESS-1", "--transform", "normal",
		NULL}, 10000, out, sizeof(out));
	probe_cmd(&cursor, "quit", NULL);
	ph_wait(&cursor.process, 5000);
}

/* grim: -c sets paint_cursors. The pointer is at 400,300 over the window. */
static void test_grim(struct ph_compositor *c) {
	char out[1024], why[160];
	int bx = 400 - HOTSPOT_X, by = 300 - HOTSPOT_Y;
	for (int with_cursor = 0; with_cursor < 2; with_cursor++) {
		const char *path = ph_scratch(with_cursor ? "grim-c.png" : "grim.png");
		int code = ph_run(c, (const char *[]){"grim", "-o", "HEADLESS-1",
			with_cursor ? "-c" : "-o", with_cursor ? path : "HEADLESS-1",
			with_cursor ? NULL : path, NULL}, 10000, out, sizeof(out));
		struct ph_image image = {0};
		snprintf(why, sizeof(why), "grim exit %d %.100s", code, out);
		bool ok = code == 0 && ph_image_load(path, &image) &&
			ph_image_rect_is(&image, bx, by, CURSOR_W, CURSOR_H,
				with_cursor ? CURSOR_COLOR : 0xff000000u | BACKGROUND, why, sizeof(why));
		ph_ok(ok, "grim%s: %s at the pointer (%s)", with_cursor ? " -c" : "",
			with_cursor ? "the cursor" : "no cursor", ok ? "exact" : why);
		ph_image_finish(&image);
	}
}

/*
 * cursor-shape-v1: a client asks for the "text" shape; the cursor session
 * reports the theme's own "text" hotspot and image (libxcursor's reading).
 */
static void test_shape(struct ph_compositor *c, struct probe *mover, struct ph_process *paint) {
	char seen[2048], line[256];
	ph_kill(paint);
	struct ph_process shaped;
	ph_spawn(c, &shaped, (const char *[]){ph_path("ph-paint"), "--fullscreen",
		"--cursor-shape", "9", NULL}, PH_PIPE_STDOUT);
	bool mapped = false;
	while (!mapped && ph_expect_line(&shaped, "ready", line, sizeof(line), 5000)) {
		mapped = strcmp(line, "ready 640x480") == 0;
	}
	XcursorImage *arrow = theme_cursor("default");
	XcursorImage *text = theme_cursor("text");
	struct probe cursor;
	probe_start(c, &cursor);
	probe_cmd(&cursor, "cursor-session 0", "constraints");
	move_pointer(mover, 900, 100); /* the desktop: the default arrow */
	move_pointer(mover, 100, 100);
	int hx = -1, hy = -1;
	bool got = false;
	while (text != NULL && collect(&cursor, "cursor hotspot", seen, sizeof(seen))) {
		const char *hot = strstr(seen, "cursor hotspot ");
		sscanf(hot, "cursor hotspot %d %d", &hx, &hy);
		if (hx == (int)text->xhot && hy == (int)text->yhot) {
			got = true;
			break;
		}
	}
	ph_ok(mapped && got && arrow != NULL && (arrow->xhot != text->xhot ||
			arrow->yhot != text->yhot),
		"the client's cursor-shape 'text' shows: hotspot %d,%d, the theme's 'text' hotspot "
		"%d,%d (the arrow's is %d,%d)", hx, hy, text != NULL ? (int)text->xhot : -1,
		text != NULL ? (int)text->yhot : -1, arrow != NULL ? (int)arrow->xhot : -1,
		arrow != NULL ? (int)arrow->yhot : -1);
	int w = 0, h = 0;
	char why[160];
	uint32_t *pixels = got ? capture_cursor_image(&cursor, "shape.raw", &w, &h) : NULL;
	ph_ok(same_as_theme(pixels, w, h, text, why, sizeof(why)),
		"the cursor image is the theme's 'text' image (%s)", why);
	free(pixels);
	XcursorImageDestroy(arrow);
	XcursorImageDestroy(text);
	ph_kill(&shaped);
	probe_cmd(&cursor, "quit", NULL);
	ph_wait(&cursor.process, 5000);
}

/* Premultiplied source over an opaque destination, per channel. */
static uint32_t over(uint32_t src, uint32_t dst) {
	uint32_t inv = 255 - (src >> 24), out = 0xff000000u;
	for (int shift = 0; shift < 24; shift += 8) {
		uint32_t c = ((src >> shift) & 0xff) + (((dst >> shift) & 0xff) * inv + 127) / 255;
		out |= (c > 255 ? 255 : c) << shift;
	}
	return out;
}

static uint32_t *load_dump(const char *path, size_t words) {
	char *data = ph_read_file(path);
	uint32_t *pixels = malloc(words * 4);
	if (data != NULL && pixels != NULL) {
		memcpy(pixels, data, words * 4);
	}
	free(data);
	return data != NULL ? pixels : (free(pixels), NULL);
}

static uint32_t *capture_cursor_image(struct probe *cursor, const char *dump_name, int *w,
		int *h) {
	/* Constraints may have moved on to the current image's size: take the last ones. */
	char seen[2048], cmd[600];
	ph_write_line(&cursor->process, "sync-marker");
	collect(cursor, "error unknown command", seen, sizeof(seen));
	probe_cmd(cursor, "destroy-buffer c", "destroyed");
	snprintf(cmd, sizeof(cmd), "dump c %s", ph_scratch(dump_name));
	bool ok = probe_cmd(cursor, "buffer c 0", "buffer") && probe_cmd(cursor, "capture c", "ready") &&
		probe_cmd(cursor, cmd, "dumped") &&
		sscanf(cursor->line, "dumped %dx%d", w, h) == 2 && *w > 0 && *h > 0;
	return ok ? load_dump(ph_scratch(dump_name), (size_t)*w * *h) : NULL;
}

/*
 * Over the empty second output the compositor shows its theme's default
 * cursor. The truth is the theme itself, read with libxcursor: the session's
 * hotspot and image must be the theme's, and the painted capture must equal
 * the plain one with the theme's image blended in at position - hotspot.
 */
static void test_theme_cursor(struct ph_compositor *c, struct probe *mover) {
	struct probe cursor, painted, plain;
	probe_start(c, &cursor);
	probe_start(c, &painted);
	probe_start(c, &plain);
	char seen[2048], why[160] = "no data";
	XcursorImage *theme = theme_cursor("default");
	probe_cmd(&cursor, "cursor-session 1", "constraints");
	move_pointer(mover, 640 + 300, 200);
	bool entered = collect(&cursor, "cursor hotspot", seen, sizeof(seen));
	int x = -1, y = -1, hx = -1, hy = -1;
	const char *pos = strstr(seen, "cursor position ");
	const char *hot = strstr(seen, "cursor hotspot ");
	if (pos != NULL && hot != NULL) {
		sscanf(pos, "cursor position %d %d", &x, &y);
		sscanf(hot, "cursor hotspot %d %d", &hx, &hy);
	}
	ph_ok(entered && x == 300 && y == 200 && theme != NULL && hx == (int)theme->xhot &&
		hy == (int)theme->yhot, "theme cursor on output 1: position 300,200 in its own "
		"coordinates, hotspot %d,%d, the theme's %d,%d (%s)", hx, hy,
		theme != NULL ? (int)theme->xhot : -1, theme != NULL ? (int)theme->yhot : -1, seen);
	int cw = 0, ch = 0;
	uint32_t *cur = capture_cursor_image(&cursor, "cursor.raw", &cw, &ch);
	ph_ok(same_as_theme(cur, cw, ch, theme, why, sizeof(why)),
		"the cursor session's image is the theme's default cursor (%s)", why);

	char path[512];
	probe_cmd(&painted, "output 1 cursors", "constraints");
	probe_cmd(&plain, "output 1", "constraints");
	probe_cmd(&painted, "buffer p 1", "buffer");
	probe_cmd(&plain, "buffer n 1", "buffer");
	bool captured = probe_cmd(&painted, "capture p", "ready") &&
		probe_cmd(&plain, "capture n", "ready");
	snprintf(path, sizeof(path), "dump p %s", ph_scratch("painted.raw"));
	captured = captured && probe_cmd(&painted, path, "dumped");
	snprintf(path, sizeof(path), "dump n %s", ph_scratch("plain.raw"));
	captured = captured && probe_cmd(&plain, path, "dumped");
	ph_ok(captured, "both output captures saved");

	uint32_t *p = captured ? load_dump(ph_scratch("painted.raw"), 640 * 480) : NULL;
	uint32_t *n = captured ? load_dump(ph_scratch("plain.raw"), 640 * 480) : NULL;
	long mismatches = -1, covered = 0;
	snprintf(why, sizeof(why), "no data");
	if (theme != NULL && p != NULL && n != NULL) {
		int tw = (int)theme->width, th = (int)theme->height;
		int left = x - (int)theme->xhot, top = y - (int)theme->yhot;
		mismatches = 0;
		for (int j = 0; j < 480; j++) {
			for (int i = 0; i < 640; i++) {
				int ci = i - left, cj = j - top;
				uint32_t want = n[j * 640 + i] | 0xff000000u;
				if (ci >= 0 && cj >= 0 && ci < tw && cj < th) {
					uint32_t src = theme->pixels[cj * tw + ci];
					covered += src >> 24 != 0;
					want = over(src, want);
				}
				uint32_t got = p[j * 640 + i] | 0xff000000u;
				if (got != want && mismatches++ == 0) {
					snprintf(why, sizeof(why), "first at %d,%d: 0x%08x, expected 0x%08x",
						i, j, got, want);
				}
			}
		}
		if (mismatches == 0) {
			snprintf(why, sizeof(why), "%ld cursor pixels", covered);
		}
	}
	ph_ok(mismatches == 0 && covered > 0, "painted = plain + the theme's cursor image "
		"blended at position - the theme's hotspot, every pixel (%s)", why);
	XcursorImageDestroy(theme);
	free(cur);
	free(p);
	free(n);
	probe_cmd(&cursor, "quit", NULL);
	probe_cmd(&painted, "quit", NULL);
	probe_cmd(&plain, "quit", NULL);
	ph_wait(&cursor.process, 5000);
	ph_wait(&painted.process, 5000);
	ph_wait(&plain.process, 5000);
}

static void run(bool software) {
	if (software) {
		setenv("WLR_NO_HARDWARE_CURSORS", "1", 1);
	}
	ph_diag("cursors %s", software ? "drawn in software" : "on a cursor plane");
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "640x480", "--outputs", "2",
			NULL})) {
		ph_ok(false, "compositor started");
		return;
	}
	char color[32], cursor_spec[64], line[256];
	snprintf(color, sizeof(color), "0xff%06x", BACKGROUND);
	snprintf(cursor_spec, sizeof(cursor_spec), "%dx%d+%dx%d:0x%08x", HOTSPOT_X, HOTSPOT_Y,
		CURSOR_W, CURSOR_H, CURSOR_COLOR);
	struct ph_process paint;
	ph_spawn(&c, &paint, (const char *[]){ph_path("ph-paint"), "--fullscreen", "--color", color,
		"--cursor", cursor_spec, NULL}, PH_PIPE_STDIN | PH_PIPE_STDOUT);
	bool mapped = false;
	while (!mapped && ph_expect_line(&paint, "ready", line, sizeof(line), 5000)) {
		mapped = strcmp(line, "ready 640x480") == 0;
	}
	ph_ok(mapped, "client fills output 0: %s", line);

	struct probe cursor, mover, painted, plain;
	probe_start(&c, &mover);
	probe_start(&c, &cursor);
	probe_cmd(&cursor, "cursor-session 0", "constraints");
	ph_ok(strstr(cursor.line, "formats=0,") != NULL,
		"cursor image constraints offer ARGB8888 first (%s)", cursor.line);

	test_events(&cursor, &mover);
	test_image(&cursor);
	test_example(&c);
	probe_start(&c, &painted);
	probe_start(&c, &plain);
	test_paint(&painted, &plain, &mover, &paint, software);
	test_grim(&c);
	probe_cmd(&painted, "quit", NULL);
	probe_cmd(&plain, "quit", NULL);
	ph_wait(&painted.process, 5000);
	ph_wait(&plain.process, 5000);

	probe_cmd(&cursor, "destroy-cursor-session", "destroyed");
	probe_cmd(&cursor, "destroy-session", "destroyed");
	probe_cmd(&cursor, "quit", NULL);
	ph_ok(ph_wait(&cursor.process, 5000) == 0, "cursor probe exits cleanly");

	test_theme_cursor(&c, &mover);
	test_scale(&c, &mover);
	test_transform(&c, &mover);
	test_shape(&c, &mover, &paint);

	probe_cmd(&mover, "quit", NULL);
	ph_wait(&mover.process, 5000);
	ph_kill(&paint);
	ph_compositor_finish(&c);
	if (software) {
		ph_ok(ph_compositor_log_contains(&c, "forcing software cursors"),
			"wlroots really drew the cursors in software");
	}
	unsetenv("WLR_NO_HARDWARE_CURSORS");
}

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 120);
	/* 39 checks per run; software cursors add 2 (the whole-frame check and the log line). */
	ph_plan(39 + 41);
	run(false);
	run(true);
	return ph_finish();
}
