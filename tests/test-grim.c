/*
 * grim 1.5 against pinhole: a client draws four known quadrants at the
 * top-left of a 640x480 output; every grim mode must show exactly them.
 */
#include <stdlib.h>
#include <string.h>
#include "harness.h"

#define RED 0xffff0000u
#define GREEN 0xff00ff00u
#define BLUE 0xff0000ffu
#define WHITE 0xffffffffu
#define BLACK 0xff000000u

static void check_quadrants(const char *what, const char *path, int ox, int oy, int w, int h,
		int image_w, int image_h) {
	struct ph_image image;
	if (!ph_image_load(path, &image)) {
		ph_ok(false, "%s: image %s readable", what, path);
		return;
	}
	char why[128];
	bool ok = image.width == image_w && image.height == image_h;
	snprintf(why, sizeof(why), "size %dx%d", image.width, image.height);
	ok = ok && ph_image_rect_is(&image, ox, oy, w / 2, h / 2, RED, why, sizeof(why));
	ok = ok && ph_image_rect_is(&image, ox + w / 2, oy, w / 2, h / 2, GREEN, why, sizeof(why));
	ok = ok && ph_image_rect_is(&image, ox, oy + h / 2, w / 2, h / 2, BLUE, why, sizeof(why));
	ok = ok && ph_image_rect_is(&image, ox + w / 2, oy + h / 2, w / 2, h / 2, WHITE, why,
		sizeof(why));
	ph_ok(ok, "%s: quadrants exact (%s)", what, why);
	ph_image_finish(&image);
}

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 90);
	ph_plan(18);
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "640x480", NULL})) {
		ph_ok(false, "compositor started");
		return ph_finish();
	}
	struct ph_process paint;
	ph_spawn(&c, &paint, (const char *[]){ph_path("ph-paint"), "--pattern", "quad",
		"--size", "320x240", "--app-id", "grim-test", NULL}, PH_PIPE_STDOUT);
	char line[256];
	ph_ok(ph_expect_line(&paint, "ready", line, sizeof(line), 5000), "client mapped: %s", line);

	char out[4096];
	int code = ph_run(&c, (const char *[]){"grim", ph_scratch("full.png"), NULL}, 10000,
		out, sizeof(out));
	ph_ok(code == 0, "grim exit %d %s", code, out);
	check_quadrants("grim", ph_scratch("full.png"), 0, 0, 320, 240, 640, 480);
	struct ph_image image;
	if (ph_image_load(ph_scratch("full.png"), &image)) {
		char why[128];
		ph_ok(ph_image_rect_is(&image, 320, 240, 320, 240, BLACK, why, sizeof(why)),
			"grim: empty desktop is black (%s)", why);
		ph_image_finish(&image);
	}

	code = ph_run(&c, (const char *[]){"grim", "-o", "HEADLESS-1", ph_scratch("output.png"),
		NULL}, 10000, out, sizeof(out));
	ph_ok(code == 0, "grim -o exit %d %s", code, out);
	check_quadrants("grim -o HEADLESS-1", ph_scratch("output.png"), 0, 0, 320, 240, 640, 480);

	code = ph_run(&c, (const char *[]){"grim", "-g", "150,110 20x20", ph_scratch("geom.png"),
		NULL}, 10000, out, sizeof(out));
	ph_ok(code == 0, "grim -g exit %d %s", code, out);
	/* The region straddles the centre of the window: a 10x10 corner of each quadrant. */
	check_quadrants("grim -g '150,110 20x20'", ph_scratch("geom.png"), 0, 0, 20, 20, 20, 20);

	code = ph_run(&c, (const char *[]){"grim", "-t", "ppm", ph_scratch("full.ppm"), NULL},
		10000, out, sizeof(out));
	ph_ok(code == 0, "grim -t ppm exit %d %s", code, out);
	check_quadrants("grim -t ppm", ph_scratch("full.ppm"), 0, 0, 320, 240, 640, 480);

	/* grim -T needs the ext-foreign-toplevel-list identifier: ask capture-shm. */
	code = ph_run(&c, (const char *[]){ph_path("capture-shm"), "-l", NULL}, 10000, out,
		sizeof(out));
	char identifier[128] = "";
	for (char *l = strtok(out, "\n"); l != NULL; l = strtok(NULL, "\n")) {
		if (strstr(l, "grim-test") != NULL && strncmp(l, "toplevel ", 9) == 0) {
			sscanf(l + 9, "%127s", identifier);
		}
	}
	ph_ok(code == 0 && identifier[0] != '\0', "toplevel listed: '%s'", identifier);
	code = ph_run(&c, (const char *[]){"grim", "-T", identifier, ph_scratch("toplevel.png"),
		NULL}, 10000, out, sizeof(out));
	ph_ok(code == 0, "grim -T exit %d %s", code, out);
	check_quadrants("grim -T", ph_scratch("toplevel.png"), 0, 0, 320, 240, 320, 240);

	/*
	 * Right after a change the compositor has applied but not rendered yet, the
	 * last frame is stale: grim must get the new one (here: the window upright
	 * on an output turned by 90 degrees, not the old picture turned).
	 */
	code = ph_run(&c, (const char *[]){"wlr-randr", "--output", "HEADLESS-1", "--transform",
		"90", NULL}, 10000, out, sizeof(out));
	ph_ok(code == 0, "wlr-randr --transform 90 exit %d %s", code, out);
	code = ph_run(&c, (const char *[]){"grim", ph_scratch("turned.png"), NULL}, 10000, out,
		sizeof(out));
	ph_ok(code == 0, "grim right after the transform change: exit %d %s", code, out);
	check_quadrants("grim right after the transform change", ph_scratch("turned.png"), 0, 0,
		320, 240, 480, 640);

	ph_kill(&paint);
	ph_compositor_finish(&c);
	return ph_finish();
}
