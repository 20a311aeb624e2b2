/*
 * XWayland: an X11 application maps in pinhole, gets focus, is listed in
 * ext-foreign-toplevel-list and is captured as a toplevel (grim -T) with the
 * pixels it draws. xlogo draws its background in the colour we ask for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"
#include "probe.h"

/*
 * xlogo's X: a thick stroke from the top-left corner to the bottom-right one
 * and a thin stroke from the top-right to the bottom-left, blue on green,
 * nothing else (xlogo does not antialias). Away from the crossing every row
 * has exactly these two runs of blue: the wide one (\) moves right row by
 * row, the narrow one (/) moves left.
 */
static bool x_shape(const struct ph_image *image, char *why, size_t size) {
	const uint32_t green = 0xff00ff00, blue = 0xff0000ff;
	int w = image->width, h = image->height;
	long blue_pixels = 0;
	for (int y = 0; y < h; y++) {
		for (int x = 0; x < w; x++) {
			uint32_t pixel = ph_image_at(image, x, y);
			if (pixel != green && pixel != blue) {
				snprintf(why, size, "pixel (%d,%d) is 0x%08x, neither green nor blue", x, y,
					pixel);
				return false;
			}
			blue_pixels += pixel == blue;
		}
	}
	if (blue_pixels < w * h * 15 / 100 || blue_pixels > w * h * 40 / 100) {
		snprintf(why, size, "%ld blue pixels of %d: not an X's worth", blue_pixels, w * h);
		return false;
	}
	int last_wide = -1, last_narrow = w;
	for (int y = 0; y < h; y++) {
		if (y > h * 3 / 10 && y < h * 7 / 10) {
			continue; /* the crossing */
		}
		int starts[3], ends[3], runs = 0;
		for (int x = 0; x < w; x++) {
			bool is_blue = ph_image_at(image, x, y) == blue;
			bool was_blue = x > 0 && ph_image_at(image, x - 1, y) == blue;
			if (is_blue && !was_blue && runs < 3) {
				starts[runs] = x;
				ends[runs++] = x;
			}
			if (is_blue && runs > 0) {
				ends[runs - 1] = x;
			}
		}
		if (runs != 2) {
			snprintf(why, size, "row %d has %d runs of blue, not 2", y, runs);
			return false;
		}
		int width0 = ends[0] - starts[0] + 1, width1 = ends[1] - starts[1] + 1;
		/* Above the crossing the thick stroke is on the left, below it on the right. */
		int wide = y < h / 2 ? 0 : 1, narrow = 1 - wide;
		int wide_width = wide == 0 ? width0 : width1, narrow_width = wide == 0 ? width1 : width0;
		int wide_centre = (starts[wide] + ends[wide]) / 2;
		int narrow_centre = (starts[narrow] + ends[narrow]) / 2;
		if (wide_width < 2 * narrow_width || wide_centre < last_wide ||
				narrow_centre > last_narrow) {
			snprintf(why, size, "row %d: strokes %d-%d and %d-%d are not the X's \\ (wide, "
				"moving right) and / (narrow, moving left)", y, starts[0], ends[0], starts[1],
				ends[1]);
			return false;
		}
		last_wide = wide_centre;
		last_narrow = narrow_centre;
	}
	snprintf(why, size, "an X: %ld blue pixels, a wide \\ and a narrow / stroke", blue_pixels);
	return true;
}

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 90);
	ph_plan(10);
	/*
	 * Declared dependencies: a missing one fails the test. Xwayland is where
	 * its pkg-config file says (meson passes it as PH_XWAYLAND), the X11
	 * clients come through PATH.
	 */
	const char *xwayland = getenv("PH_XWAYLAND");
	bool have = xwayland != NULL && xwayland[0] != '\0' && access(xwayland, X_OK) == 0;
	ph_ok(have, "Xwayland found through pkg-config (xwayland.pc): %s",
		xwayland != NULL && xwayland[0] != '\0' ? xwayland : "no xwayland.pc at configure time");
	if (!ph_require_programs("XWayland test", (const char *[]){"xlogo", "xev", "xprop",
			"xwininfo", "grim", NULL}) || !have) {
		return ph_finish();
	}
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "640x480", NULL})) {
		ph_ok(false, "compositor started");
		return ph_finish();
	}
	ph_ok(c.display[0] == ':', "DISPLAY exported: %s", c.display);
	struct ph_process xlogo;
	ph_spawn(&c, &xlogo, (const char *[]){"xlogo", "-bg", "#00ff00", "-fg", "#0000ff",
		"-geometry", "120x100", NULL}, 0);

	char out[8192], identifier[128] = "";
	for (int i = 0; i < 100 && identifier[0] == '\0'; i++) {
		ph_run(&c, (const char *[]){ph_path("capture-shm"), "-l", NULL}, 5000, out, sizeof(out));
		for (char *l = strtok(out, "\n"); l != NULL; l = strtok(NULL, "\n")) {
			if (strncmp(l, "toplevel ", 9) == 0 && strstr(l, "app_id=XLogo") != NULL) {
				sscanf(l + 9, "%127s", identifier);
			}
		}
		ph_sleep_ms(50);
	}
	ph_ok(identifier[0] != '\0', "X11 window listed as a foreign toplevel: %s", identifier);
	if (identifier[0] == '\0') {
		ph_compositor_dump_log(&c);
	}

	/* The window manager gave it focus: X11's _NET_ACTIVE_WINDOW names it. */
	char active[256] = "", wininfo[4096] = "";
	ph_run(&c, (const char *[]){"xprop", "-root", "_NET_ACTIVE_WINDOW", NULL}, 5000, active,
		sizeof(active));
	ph_run(&c, (const char *[]){"xwininfo", "-name", "xlogo", NULL}, 5000, wininfo,
		sizeof(wininfo));
	unsigned long active_id = 0, window_id = 0;
	char *hash = strstr(active, "# ");
	if (hash != NULL) {
		sscanf(hash + 2, "%lx", &active_id);
	}
	char *id = strstr(wininfo, "Window id: ");
	if (id != NULL) {
		sscanf(id + 11, "%lx", &window_id);
	}
	ph_ok(active_id != 0 && active_id == window_id, "focused: active 0x%lx, xlogo 0x%lx",
		active_id, window_id);

	int code = ph_run(&c, (const char *[]){"grim", "-T", identifier, ph_scratch("x11.png"), NULL},
		10000, out, sizeof(out));
	struct ph_image image;
	char why[128] = "no image";
	bool ok = code == 0 && ph_image_load(ph_scratch("x11.png"), &image);
	ok = ok && image.width == 120 && image.height == 100;
	/* The corners are background; the X runs corner to corner but leaves these 3x3 alone. */
	ok = ok && ph_image_rect_is(&image, 117, 0, 3, 3, 0xff00ff00, why, sizeof(why)) &&
		ph_image_rect_is(&image, 0, 97, 3, 3, 0xff00ff00, why, sizeof(why));
	bool shaped = ok && x_shape(&image, why, sizeof(why));
	ph_ok(shaped, "grim -T captures the X11 window: %dx%d, green background, blue X (%s)",
		image.width, image.height, why);
	if (image.pixels != NULL) {
		ph_image_finish(&image);
	}

	code = ph_run(&c, (const char *[]){"grim", ph_scratch("screen.png"), NULL}, 10000, out,
		sizeof(out));
	ok = code == 0 && ph_image_load(ph_scratch("screen.png"), &image);
	ok = ok && ph_image_rect_is(&image, 117, 0, 3, 3, 0xff00ff00, why, sizeof(why));
	ph_ok(ok, "and it is on screen at the top-left (%s)", why);
	if (image.pixels != NULL) {
		ph_image_finish(&image);
	}
	ph_kill(&xlogo);

	/*
	 * Input: xev's window at the top-left gets the pointer motion and the click
	 * that a virtual pointer makes on pinhole's seat, at the same coordinates.
	 */
	struct ph_process xev;
	ph_spawn(&c, &xev, (const char *[]){"xev", "-geometry", "200x150", NULL}, PH_PIPE_STDOUT);
	char line[512];
	bool mapped = ph_expect_line(&xev, "Expose event", line, sizeof(line), 10000);
	struct probe probe;
	probe_start(&c, &probe);
	bool clicked = probe_cmd(&probe, "click 40 50 640 480", "clicked");
	bool motion = false, press = false, release = false, at = false;
	int64_t deadline = ph_now_ms() + 10000;
	while (!release && ph_now_ms() < deadline &&
			ph_read_line(&xev, line, sizeof(line), 1000)) {
		motion = motion || strncmp(line, "MotionNotify event", 18) == 0;
		press = press || strncmp(line, "ButtonPress event", 17) == 0;
		release = press && strncmp(line, "ButtonRelease event", 19) == 0;
		at = at || strstr(line, "(40,50), root:(40,50)") != NULL;
	}
	bool button = ph_expect_line(&xev, "    state 0x100, button 1,", line, sizeof(line), 2000);
	ph_ok(mapped && clicked && motion && press && release && at && button,
		"an X11 app takes input: xev gets motion to (40,50), then button 1 pressed and "
		"released (mapped %d, motion %d, press %d, release %d, at 40,50 %d, button 1 %d)",
		mapped, motion, press, release, at, button);
	probe_cmd(&probe, "quit", NULL);
	ph_wait(&probe.process, 5000);
	ph_kill(&xev);
	ph_compositor_finish(&c);
	return ph_finish();
}
