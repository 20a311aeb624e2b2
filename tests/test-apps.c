/*
 * Everyday Wayland applications inside pinhole, seen through grim:
 * - foot (its own SHM renderer): colours set on the command line, a block
 *   character (U+2588, which foot draws itself, not from the font) in the
 *   first cell and the text cursor hidden, so the window is exactly one
 *   foreground cell on the background colour, 20x5 cells, no padding and no
 *   decorations;
 * - weston-simple-shm: its animated 256x256 pattern fills exactly its window,
 *   and successive screenshots follow the animation;
 * - weston-simple-egl: EGL through Mesa's software rasteriser on wl_shm (no
 *   GPU, no linux-dmabuf): its spinning triangle is drawn inside its 250x250
 *   window, and once more of its frames have been shown, a screenshot shows
 *   it turned. Its screenshots follow the frame callbacks in its own
 *   WAYLAND_DEBUG log, not a timer, so a client that gets no frame callback
 *   (or is stopped) fails the check, named as such.
 * One application at a time, each at the output's top-left, black around it.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"

#define OUT_W 640
#define OUT_H 480
#define BLACK 0xff000000u
#define FOOT_BG 0xff204080u
#define FOOT_FG 0xfff0c010u
#define FOOT_COLS 20
#define FOOT_ROWS 5

static bool grim(struct ph_compositor *c, const char *name, struct ph_image *image) {
	char out[2048];
	int code = ph_run(c, (const char *[]){"grim", ph_scratch(name), NULL}, 10000, out,
		sizeof(out));
	if (code != 0) {
		ph_diag("grim exit %d: %s", code, out);
		return false;
	}
	if (!ph_image_load(ph_scratch(name), image)) {
		ph_diag("%s: unreadable", name);
		return false;
	}
	if (image->width != OUT_W || image->height != OUT_H) {
		ph_diag("%s is %dx%d", name, image->width, image->height);
		ph_image_finish(image);
		return false;
	}
	return true;
}

/* Bounding box and count of the non-black pixels. */
struct extent {
	int x1, y1, x2, y2; /* x2, y2 exclusive; all 0 when the screen is black */
	long count;
};

static struct extent non_black(const struct ph_image *image) {
	struct extent e = {image->width, image->height, 0, 0, 0};
	for (int y = 0; y < image->height; y++) {
		for (int x = 0; x < image->width; x++) {
			if (ph_image_at(image, x, y) != BLACK) {
				e.count++;
				e.x1 = x < e.x1 ? x : e.x1;
				e.y1 = y < e.y1 ? y : e.y1;
				e.x2 = x + 1 > e.x2 ? x + 1 : e.x2;
				e.y2 = y + 1 > e.y2 ? y + 1 : e.y2;
			}
		}
	}
	if (e.count == 0) {
		e = (struct extent){0};
	}
	return e;
}

static bool same_pixels(const struct ph_image *a, const struct ph_image *b, int w, int h) {
	for (int y = 0; y < h; y++) {
		for (int x = 0; x < w; x++) {
			if (ph_image_at(a, x, y) != ph_image_at(b, x, y)) {
				return false;
			}
		}
	}
	return true;
}

/* Screenshots until pred holds or 5 s pass: the application draws on its own schedule. */
static bool wait_for_screen(struct ph_compositor *c, const char *name, struct ph_image *image,
		bool (*pred)(const struct ph_image *image, const void *data), const void *data) {
	int64_t deadline = ph_now_ms() + 5000;
	for (int attempt = 0;; attempt++) {
		char file[64];
		snprintf(file, sizeof(file), "%s-%d.png", name, attempt);
		if (grim(c, file, image)) {
			if (pred(image, data)) {
				return true;
			}
			if (ph_now_ms() >= deadline) {
				return false; /* the caller checks the last picture */
			}
			ph_image_finish(image);
		} else if (ph_now_ms() >= deadline) {
			memset(image, 0, sizeof(*image));
			return false;
		}
		ph_sleep_ms(100);
	}
}

/* foot has run the command: the block is in the first cell. */
static bool block_shown(const struct ph_image *image, const void *data) {
	return ph_image_at(image, 0, 0) == FOOT_FG;
}

/*
 * The application's own picture, and nothing of the one before (its window
 * may take a frame to go once it is killed).
 */
static bool shm_pattern_shown(const struct ph_image *image, const void *data) {
	struct extent e = non_black(image);
	return e.x1 == 0 && e.y1 == 0 && e.x2 == 256 && e.y2 == 256 && e.count == 256 * 256;
}

static bool triangle_shown(const struct ph_image *image, const void *data) {
	struct extent e = non_black(image);
	return e.count > 1000 && e.x2 <= 250 && e.y2 <= 250;
}

/* Differs from the given picture inside the window's box. */
static bool moved_on(const struct ph_image *image, const void *data) {
	const struct ph_image *before = data;
	return !same_pixels(image, before, 256, 256);
}

static void test_foot(struct ph_compositor *c) {
	char bg[32], fg[32];
	snprintf(bg, sizeof(bg), "colors-dark.background=%06x", FOOT_BG & 0xffffff);
	snprintf(fg, sizeof(fg), "colors-dark.foreground=%06x", FOOT_FG & 0xffffff);
	char size[16];
	snprintf(size, sizeof(size), "%dx%d", FOOT_COLS, FOOT_ROWS);
	struct ph_process foot;
	/* Hide the cursor, print U+2588 FULL BLOCK, wait to be killed. */
	/* foot's own log (stderr) says whether the compositor got its protocol order right. */
	char foot_log[512];
	snprintf(foot_log, sizeof(foot_log), "%s", ph_scratch("foot.err"));
	ph_spawn(c, &foot, (const char *[]){"sh", "-c", "exec \"$@\" 2>\"$0\"", foot_log,
		"foot", "-o", bg, "-o", fg, "-o", "main.pad=0x0",
		"-o", "csd.preferred=none", "--app-id", "foot-test", "-W", size, "sh", "-c",
		"printf '\\033[?25l\\342\\226\\210'; exec sleep 60", NULL}, 0);

	struct ph_image image;
	bool shown = wait_for_screen(c, "foot", &image, block_shown, NULL);
	struct extent window = shown ? non_black(&image) : (struct extent){0};
	/* The block is the first cell: its size is the cell size. */
	int cell_w = 0, cell_h = 0;
	while (shown && ph_image_at(&image, cell_w, 0) == FOOT_FG) {
		cell_w++;
	}
	while (shown && ph_image_at(&image, 0, cell_h) == FOOT_FG) {
		cell_h++;
	}
	ph_ok(shown && cell_w > 0 && cell_h > 0, "foot: window shown, the block cell is %dx%d",
		cell_w, cell_h);
	int win_w = cell_w * FOOT_COLS, win_h = cell_h * FOOT_ROWS;
	ph_ok(window.x1 == 0 && window.y1 == 0 && window.x2 == win_w && window.y2 == win_h,
		"foot: the window is exactly %dx%d cells (%dx%d pixels) at (0,0), black around it "
		"(non-black box %d,%d-%d,%d)", FOOT_COLS, FOOT_ROWS, win_w, win_h, window.x1,
		window.y1, window.x2, window.y2);
	char why[200] = "no picture";
	bool exact = shown && cell_w > 0 && cell_h > 0 &&
		ph_image_rect_is(&image, 0, 0, cell_w, cell_h, FOOT_FG, why, sizeof(why)) &&
		ph_image_rect_is(&image, cell_w, 0, win_w - cell_w, win_h, FOOT_BG, why,
			sizeof(why)) &&
		ph_image_rect_is(&image, 0, cell_h, cell_w, win_h - cell_h, FOOT_BG, why,
			sizeof(why)) &&
		ph_image_rect_is(&image, win_w, 0, OUT_W - win_w, OUT_H, BLACK, why, sizeof(why)) &&
		ph_image_rect_is(&image, 0, win_h, win_w, OUT_H - win_h, BLACK, why, sizeof(why));
	ph_ok(exact, "foot: the block in the foreground colour, every other pixel of the window "
		"in the background colour, exactly (%s)", why);
	if (shown) {
		ph_image_finish(&image);
	}
	ph_kill(&foot);
	/*
	 * This seat has no keyboard, so foot gets no wl_keyboard.enter: a
	 * text-input enter is then one foot refuses ("compositor sent
	 * ime::enter() event before the corresponding keyboard_enter() event").
	 */
	char *log = ph_read_file(foot_log);
	bool in_order = log != NULL && strstr(log, "before the corresponding keyboard_enter") == NULL;
	ph_ok(in_order, "foot, on a seat without a keyboard: its log has no text-input enter "
		"before a keyboard enter (%s)", log == NULL ? "no log" : in_order ? "ok" :
		"foot refused the text-input enter");
	free(log);
}

static void test_simple_shm(struct ph_compositor *c) {
	struct ph_process client;
	ph_spawn(c, &client, (const char *[]){"weston-simple-shm", NULL}, 0);
	struct ph_image first, second;
	bool shown = wait_for_screen(c, "simple-shm", &first, shm_pattern_shown, NULL);
	struct extent e = shown ? non_black(&first) : (struct extent){0};
	/* Its pattern has no black pixel: the window is the non-black box, full. */
	ph_ok(shown && e.x1 == 0 && e.y1 == 0 && e.x2 == 256 && e.y2 == 256 && e.count == 256 * 256,
		"weston-simple-shm: its 256x256 pattern fills its window at (0,0), black around it "
		"(box %d,%d-%d,%d, %ld pixels)", e.x1, e.y1, e.x2, e.y2, e.count);
	bool moved = shown && wait_for_screen(c, "simple-shm-next", &second, moved_on, &first);
	struct extent e2 = moved ? non_black(&second) : (struct extent){0};
	ph_ok(moved && e2.count == 256 * 256 && e2.x2 == 256 && e2.y2 == 256,
		"weston-simple-shm: a later screenshot shows the animation moved on, same window");
	if (shown) {
		ph_image_finish(&first);
	}
	if (moved) {
		ph_image_finish(&second);
	}
	ph_kill(&client);
}

/*
 * weston-simple-egl's frames as its own WAYLAND_DEBUG log (its stderr, read
 * through a pipe) tells them. Mesa asks for a frame callback with every
 * buffer it commits (swap interval 1) and draws the next frame only once the
 * callback is done, that is once pinhole has shown the commit: the done
 * events are the client's frame count, and the moments to take a screenshot.
 */
struct egl_client {
	struct ph_process process;
	unsigned long requested_callback; /* asked for, not yet committed */
	unsigned long awaited_callback; /* committed with a buffer, not yet done */
	bool attached; /* a buffer attached since the last commit */
	int committed, shown;
	int64_t last_shown_ms; /* when the test read the last done event */
};

static void egl_parse(struct egl_client *e, const char *line) {
	static const char frame[] = ".frame(new id wl_callback#", callback[] = "wl_callback#";
	const char *request = strstr(line, " -> ");
	const char *at;
	if (request != NULL) {
		if ((at = strstr(request, frame)) != NULL) {
			e->requested_callback = strtoul(at + strlen(frame), NULL, 10);
		} else if (strstr(request, ".attach(wl_buffer#") != NULL) {
			e->attached = true;
		} else if (strstr(request, "wl_surface#") != NULL &&
				strstr(request, ".commit()") != NULL && e->attached) {
			e->attached = false;
			e->committed++;
			e->awaited_callback = e->requested_callback;
			e->requested_callback = 0;
		}
	} else if ((at = strstr(line, callback)) != NULL) {
		char *end;
		unsigned long id = strtoul(at + strlen(callback), &end, 10);
		if (id != 0 && id == e->awaited_callback && strncmp(end, ".done(", 6) == 0) {
			e->awaited_callback = 0;
			e->shown++;
			e->last_shown_ms = ph_now_ms();
		}
	}
}

/* Reads the client's log until it has seen `count` frames shown, or the deadline passes. */
static bool egl_wait_shown(struct egl_client *e, int count, int64_t deadline) {
	char line[1024];
	while (e->shown < count) {
		int64_t left = deadline - ph_now_ms();
		if (left <= 0 || !ph_read_line(&e->process, line, sizeof(line), (int)left)) {
			return false;
		}
		egl_parse(e, line);
	}
	return true;
}

/* Reads what the client has logged until now (it logs every few milliseconds while it draws). */
static void egl_catch_up(struct egl_client *e) {
	char line[1024];
	while (ph_read_line(&e->process, line, sizeof(line), 1)) {
		egl_parse(e, line);
	}
}

/* How a wait for a picture went, for the check's message. */
struct egl_wait {
	int screenshots, failed_screenshots;
	int frames; /* shown during the wait */
	struct extent last; /* of the last screenshot */
	int64_t end_ms;
};

/*
 * A screenshot after each frame pinhole shows the client, until pred holds
 * or EGL_TIMEOUT_MS pass (without frames: a stopped client, or frame
 * callbacks that do not come). The image is kept only when pred holds.
 */
#define EGL_TIMEOUT_MS 10000
static bool wait_for_egl_screen(struct ph_compositor *c, struct egl_client *e, const char *name,
		struct ph_image *image, bool (*pred)(const struct ph_image *image, const void *data),
		const void *data, struct egl_wait *wait) {
	*wait = (struct egl_wait){0};
	int first_shown = e->shown;
	int64_t deadline = ph_now_ms() + EGL_TIMEOUT_MS;
	for (;;) {
		/* A frame shown since the last screenshot began. */
		bool shown = egl_wait_shown(e, e->shown + 1, deadline);
		if (shown) {
			egl_catch_up(e);
		}
		wait->frames = e->shown - first_shown;
		wait->end_ms = ph_now_ms();
		if (!shown) {
			return false;
		}
		char file[64];
		snprintf(file, sizeof(file), "%s-%d.png", name, wait->screenshots++);
		if (grim(c, file, image)) {
			wait->last = non_black(image);
			if (pred(image, data)) {
				return true;
			}
			ph_image_finish(image);
		} else {
			wait->failed_screenshots++;
		}
	}
}

/*
 * The triangle spins about its vertical axis: edge-on it is a sliver of a
 * few hundred pixels, or nothing. Turned means drawn again, not merely changed.
 */
static bool triangle_turned(const struct ph_image *image, const void *data) {
	const struct ph_image *before = data;
	return triangle_shown(image, NULL) && !same_pixels(image, before, 250, 250);
}

static void egl_wait_describe(struct egl_client *e, const struct egl_wait *wait,
		char *out, size_t size) {
	char state[64];
	ph_exit_describe(&e->process, state, sizeof(state));
	char age[48] = "none";
	if (e->shown > 0) {
		snprintf(age, sizeof(age), "%lld ms before the end", (long long)(wait->end_ms -
			e->last_shown_ms));
	}
	snprintf(out, size, "during the wait: frames shown %d, screenshots %d (%d failed), the last "
		"with box %d,%d-%d,%d and %ld pixels; in all: buffers committed %d, frame callbacks "
		"done %d, the last %s; the client: %s", wait->frames, wait->screenshots,
		wait->failed_screenshots, wait->last.x1, wait->last.y1, wait->last.x2, wait->last.y2,
		wait->last.count, e->committed, e->shown, age, state);
}

static void test_simple_egl(struct ph_compositor *c) {
	struct egl_client e = {0};
	/* Only its debug log (stderr) in the pipe; its stdout has fps lines. */
	ph_spawn(c, &e.process, (const char *[]){"sh", "-c",
		"WAYLAND_DEBUG=client exec weston-simple-egl 2>&1 >/dev/null", NULL},
		PH_PIPE_STDOUT);
	/* Room for the log of the frames drawn while grim runs (a few kB each). */
	if (e.process.stdout_fd >= 0) {
		fcntl(e.process.stdout_fd, F_SETPIPE_SZ, 1 << 20);
	}
	struct ph_image first, second;
	struct egl_wait wait;
	char how[400];
	bool shown = wait_for_egl_screen(c, &e, "simple-egl", &first, triangle_shown, NULL,
		&wait);
	egl_wait_describe(&e, &wait, how, sizeof(how));
	ph_ok(shown, "weston-simple-egl (Mesa software EGL on wl_shm): the triangle is drawn "
		"inside its 250x250 window at (0,0) (%s)", how);
	bool turned = shown && wait_for_egl_screen(c, &e, "simple-egl-next", &second,
		triangle_turned, &first, &wait);
	if (shown) {
		egl_wait_describe(&e, &wait, how, sizeof(how));
	}
	ph_ok(turned, "weston-simple-egl: after frames it was shown, a screenshot shows the "
		"triangle turned, still inside its window (%s)", shown ? how : "no first picture");
	if (shown) {
		ph_image_finish(&first);
	}
	if (turned) {
		ph_image_finish(&second);
	}
	ph_kill(&e.process);
}

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 100);
	ph_plan(10);
	struct ph_compositor c;
	char mode[32];
	snprintf(mode, sizeof(mode), "%dx%d", OUT_W, OUT_H);
	if (!ph_compositor_start(&c, (const char *[]){"--mode", mode, NULL})) {
		ph_ok(false, "compositor started");
		return ph_finish();
	}
	test_foot(&c);
	test_simple_shm(&c);
	test_simple_egl(&c);
	ph_compositor_finish(&c);
	return ph_finish();
}
