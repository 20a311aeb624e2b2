/*
 * A session that survives a GPU reset (headless, pixman). The test-only
 * trigger PINHOLE_DEBUG_RENDERER_LOSS=1 makes SIGRTMIN emit the renderer's
 * `lost` signal, which is what wlroots' GLES renderer emits after a reset;
 * pinhole then replaces renderer and allocator (src/renderer_recovery.c).
 * Afterwards: the existing client's next frame is shown, a capture frame that
 * waited across the reset completes with it, grim (output, toplevel, cursor)
 * shows the clients' own pixels, a new client works, a second reset too; the
 * compositor exits cleanly under ASan/LSan.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "probe.h"

#define RED 0xffff0000u
#define BLACK 0xff000000u
#define BROWN 0xff806040u
#define SLATE 0xff405060u
#define NAVY 0xff112233u

/* The pointer rests on the empty desktop here: the theme's default cursor. */
#define POINTER_X 500
#define POINTER_Y 380
#define CURSOR_BOX 32

static bool wait_for_log(struct ph_compositor *c, const char *needle, int timeout_ms) {
	int64_t end = ph_now_ms() + timeout_ms;
	while (!ph_compositor_log_contains(c, needle) && ph_now_ms() < end) {
		ph_sleep_ms(20);
	}
	return ph_compositor_log_contains(c, needle);
}

static bool grim(struct ph_compositor *c, const char *const *args, const char *file,
		struct ph_image *image) {
	const char *argv[8] = {"grim"};
	int n = 1;
	for (; args != NULL && args[n - 1] != NULL && n < 6; n++) {
		argv[n] = args[n - 1];
	}
	argv[n] = ph_scratch(file);
	char out[2048];
	int code = ph_run(c, argv, 10000, out, sizeof(out));
	if (code != 0) {
		ph_diag("grim %s: exit %d %s", file, code, out);
		return false;
	}
	return ph_image_load(ph_scratch(file), image);
}

static long count_pixels(const struct ph_image *image, uint32_t argb) {
	long count = 0;
	for (int i = 0; i < image->width * image->height; i++) {
		count += image->pixels[i] == argb;
	}
	return count;
}

/* The window fills 320x240 at the top-left with color; the rest is black but the cursor. */
static void check_desktop(const char *what, const struct ph_image *image, uint32_t color) {
	char why[160] = "";
	bool ok = image->width == 640 && image->height == 480 &&
		ph_image_rect_is(image, 0, 0, 320, 240, color, why, sizeof(why)) &&
		ph_image_rect_is(image, 320, 0, 320, 240, BLACK, why, sizeof(why)) &&
		ph_image_rect_is(image, 0, 240, 320, 240, BLACK, why, sizeof(why));
	ph_ok(ok, "%s: the window shows 0x%08x, the desktop black (%dx%d %s)", what, color,
		image->width, image->height, why);
}

/* The cursor's box: the same pixels as before the reset, and not the bare desktop. */
static void check_cursor(const char *what, const struct ph_image *before,
		const struct ph_image *after) {
	int differ = 0, drawn = 0;
	for (int y = POINTER_Y; y < POINTER_Y + CURSOR_BOX; y++) {
		for (int x = POINTER_X - 4; x < POINTER_X + CURSOR_BOX; x++) {
			differ += ph_image_at(before, x, y) != ph_image_at(after, x, y);
			drawn += ph_image_at(after, x, y) != BLACK;
		}
	}
	ph_ok(differ == 0 && drawn > 20, "%s: the cursor at %d,%d as before the reset "
		"(%d pixels differ, %d cursor pixels)", what, POINTER_X, POINTER_Y, differ, drawn);
}

static bool lose_renderer(struct ph_compositor *c, int recovery) {
	char want[96];
	snprintf(want, sizeof(want), "renderer and allocator recreated (recovery %d)", recovery);
	kill(c->pid, SIGRTMIN);
	return wait_for_log(c, want, 10000);
}

static bool paint(struct ph_process *p, const char *cmd) {
	char line[256];
	return ph_write_line(p, "%s", cmd) && ph_expect_line(p, "ok", line, sizeof(line), 10000);
}

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 120);
	ph_plan(21);
	struct ph_compositor c;
	if (!ph_compositor_start_env(&c, (const char *[]){"--mode", "640x480", NULL},
			(const char *[]){"PINHOLE_DEBUG_RENDERER_LOSS=1", NULL})) {
		ph_ok(false, "compositor started");
		return ph_finish();
	}
	char line[256];
	struct ph_process paint_a;
	ph_spawn(&c, &paint_a, (const char *[]){ph_path("ph-paint"), "--size", "320x240",
		"--color", "0xffff0000", "--app-id", "survive-a", NULL},
		PH_PIPE_STDIN | PH_PIPE_STDOUT);
	ph_ok(ph_expect_line(&paint_a, "ready", line, sizeof(line), 5000) &&
		ph_compositor_log_contains(&c, "PINHOLE_DEBUG_RENDERER_LOSS=1"),
		"client mapped (%s); the test trigger is on", line);

	/* An ext-image-copy-capture session with a frame, and the pointer on the desktop. */
	struct probe probe;
	bool ok = probe_start(&c, &probe) && probe_cmd(&probe, "output 0", "constraints") &&
		probe_cmd(&probe, "buffer a 1", "buffer") && probe_cmd(&probe, "capture a", "ready");
	ok = ok && probe_count(&probe, "a", 0, 0, 320, 240, RED) == 320 * 240;
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "pointer %d %d 640 480", POINTER_X, POINTER_Y);
	ok = ok && probe_cmd(&probe, cmd, "moved");
	ph_ok(ok, "capture session: first frame has the window's red (%s)", probe.line);

	struct ph_image before_cursor = {0};
	ph_ok(grim(&c, (const char *[]){"-c", NULL}, "before-cursor.png", &before_cursor) &&
		before_cursor.width == 640, "grim -c before the reset");

	/* A frame that waits for new content across the reset. */
	ok = probe_cmd(&probe, "capture a", NULL);
	char got[256] = "";
	ph_ok(ok && probe_quiet(&probe, PH_HEADLESS_REFRESH_HZ, got, sizeof(got)),
		"the session's second frame waits for new content (%s)", got);

	ph_ok(lose_renderer(&c, 1), "SIGRTMIN: the renderer's lost signal; renderer and "
		"allocator recreated");
	ph_ok(kill(c.pid, 0) == 0 && ph_compositor_log_contains(&c, "capture: renderer replaced"),
		"pinhole still runs; the capture module took the new renderer");

	/*
	 * The frame that waited is served from the first commit after the reset.
	 * Windows lost their textures with the renderer: each is shown again
	 * (and captured) from its next commit.
	 */
	ph_ok(ph_expect_line(&probe.process, "ready", probe.line, sizeof(probe.line), 10000),
		"the capture frame that waited across the reset completes (%s)", probe.line);
	/* Its first commit after the reset changes 16x16 pixels: the window shows whole again. */
	ok = paint(&paint_a, "rect 0 0 16 16 0xff405060") && probe_cmd(&probe, "capture a", "ready");
	long slate = ok ? probe_count(&probe, "a", 0, 0, 16, 16, SLATE) : -1;
	long red = ok ? probe_count(&probe, "a", 16, 0, 304, 16, RED) +
		probe_count(&probe, "a", 0, 16, 320, 224, RED) : -1;
	long black = ok ? probe_count(&probe, "a", 320, 0, 320, 240, BLACK) : -1;
	ph_ok(ok && slate == 256 && red == 320 * 240 - 256 && black == 320 * 240,
		"the existing client draws on: after its 16x16 change the session's next frame has "
		"the whole window (%ld new, %ld red pixels), %ld black (%s)", slate, red, black,
		probe.line);
	/* And the session goes on: a frame waiting for a change gets it. */
	ok = probe_cmd(&probe, "capture a", NULL) && paint(&paint_a, "color 0xff806040") &&
		ph_expect_line(&probe.process, "ready", probe.line, sizeof(probe.line), 10000);
	ph_ok(ok && probe_count(&probe, "a", 0, 0, 320, 240, BROWN) == 320 * 240,
		"the session's next frame has the client's repaint (%s)", probe.line);
	struct ph_image image = {0};
	if (grim(&c, NULL, "after.png", &image)) {
		check_desktop("grim after the reset", &image, BROWN);
	} else {
		ph_ok(false, "grim after the reset");
	}
	ph_image_finish(&image);
	struct ph_image after_cursor = {0};
	if (grim(&c, (const char *[]){"-c", NULL}, "after-cursor.png", &after_cursor) &&
			before_cursor.pixels != NULL) {
		check_cursor("grim -c after the reset", &before_cursor, &after_cursor);
	} else {
		ph_ok(false, "grim -c after the reset");
	}
	ph_image_finish(&after_cursor);

	/* A new client after the reset: on the output and as a toplevel capture. */
	struct ph_process paint_b;
	ph_spawn(&c, &paint_b, (const char *[]){ph_path("ph-paint"), "--size", "100x100",
		"--color", "0xff112233", "--app-id", "survive-b", NULL}, PH_PIPE_STDOUT);
	ph_ok(ph_expect_line(&paint_b, "ready", line, sizeof(line), 5000),
		"a new client maps after the reset (%s)", line);
	long navy = -1;
	if (grim(&c, NULL, "new-client.png", &image)) {
		navy = count_pixels(&image, NAVY);
	}
	ph_image_finish(&image);
	ph_ok(navy == 100 * 100, "grim: the new window's 100x100 pixels of 0x%08x (%ld)", NAVY,
		navy);
	char out[4096];
	int code = ph_run(&c, (const char *[]){ph_path("capture-shm"), "-l", NULL}, 10000, out,
		sizeof(out));
	char identifier[128] = "";
	for (char *l = strtok(out, "\n"); l != NULL; l = strtok(NULL, "\n")) {
		if (strstr(l, "survive-b") != NULL && strncmp(l, "toplevel ", 9) == 0) {
			sscanf(l + 9, "%127s", identifier);
		}
	}
	char why[160] = "no toplevel";
	ok = code == 0 && identifier[0] != '\0' &&
		grim(&c, (const char *[]){"-T", identifier, NULL}, "toplevel.png", &image) &&
		image.width == 100 && image.height == 100 &&
		ph_image_rect_is(&image, 0, 0, 100, 100, NAVY, why, sizeof(why));
	ph_image_finish(&image);
	ph_ok(ok, "grim -T of the new window: exactly its pixels (%s)", why);

	/* Again: the new renderer's lost signal is followed too. */
	ph_kill(&paint_b);
	ph_ok(lose_renderer(&c, 2), "a second reset: recreated again");
	ph_ok(paint(&paint_a, "rect 0 0 16 16 0xff112233"),
		"the first client's next frame (a 16x16 change) is done");
	if (grim(&c, NULL, "second.png", &image)) {
		char why2[160] = "";
		bool whole = image.width == 640 &&
			ph_image_rect_is(&image, 0, 0, 16, 16, NAVY, why2, sizeof(why2)) &&
			ph_image_rect_is(&image, 16, 0, 304, 240, BROWN, why2, sizeof(why2)) &&
			ph_image_rect_is(&image, 0, 16, 16, 224, BROWN, why2, sizeof(why2)) &&
			ph_image_rect_is(&image, 320, 0, 320, 480, BLACK, why2, sizeof(why2)) &&
			ph_image_rect_is(&image, 0, 240, 320, 240, BLACK, why2, sizeof(why2));
		ph_ok(whole, "grim after the second reset: the whole window with its change, the "
			"desktop black (%s)", why2);
	} else {
		ph_ok(false, "grim after the second reset");
	}
	ph_image_finish(&image);
	/* An output plugged in after the resets renders with the new renderer. */
	kill(c.pid, SIGUSR1);
	ph_ok(wait_for_log(&c, "output HEADLESS-2 added", 10000),
		"an output added after the resets (SIGUSR1)");
	ok = grim(&c, (const char *[]){"-o", "HEADLESS-2", NULL}, "hotplug.png", &image) &&
		image.width == 640 && image.height == 480;
	ph_ok(ok && ph_image_rect_is(&image, 0, 0, 640, 480, BLACK, why, sizeof(why)),
		"grim -o HEADLESS-2: its empty desktop, %dx%d (%s)", image.width, image.height, why);
	ph_image_finish(&image);
	ph_image_finish(&before_cursor);

	ph_write_line(&probe.process, "quit");
	ph_wait(&probe.process, 5000);
	ph_kill(&paint_a);
	ph_compositor_finish(&c);
	return ph_finish();
}
