/*
 * X11 window management through Xwayland: configure requests (xdotool
 * windowmove and windowsize), the client's own interactive move and resize
 * (_NET_WM_MOVERESIZE, as GTK and Qt send it when a title bar or border is
 * dragged), new windows centred, and override-redirect windows placed where
 * they put themselves.
 *
 * The truths: what the X server tells the client (ph-x11 prints every
 * ConfigureNotify; xwininfo asks the server), and where grim finds the
 * colours the clients draw (ph-x11's background pixel; xlogo's -bg and -fg).
 * The pointer is ph-capture-probe's virtual pointer. One compositor, one
 * 640x480 output, --placement center.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"
#include "probe.h"
#include "wm-checks.h"

#define OUT_W 640
#define OUT_H 480
#define RED 0xffff0000u
#define XLOGO_BG 0xff00ff00u
#define XLOGO_FG 0xff0000ffu
#define YELLOW 0xffffff00u

static bool pointer_to(struct probe *probe, int x, int y) {
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "pointer %d %d %d %d", x, y, OUT_W, OUT_H);
	return probe_cmd(probe, cmd, "moved");
}

static bool red_at(struct ph_compositor *c, int x, int y, int w, int h, struct wm_box *seen) {
	int width, height;
	return wm_wait_box(c, NULL, RED, (struct wm_box){x, y, x + w, y + h, 0}, seen, &width,
		&height);
}

/* ph-x11's ConfigureNotify lines until one says exactly this box. */
static bool configured(struct ph_process *x11, int x, int y, int w, int h, char *line,
		size_t size) {
	char want[64];
	snprintf(want, sizeof(want), "configure %d %d %d %d", x, y, w, h);
	return wm_expect(x11, line, size, (const char *[]){want, NULL}) && strcmp(line, want) == 0;
}

/*
 * A _NET_WM_MOVERESIZE drag: ph-x11 asks on the press at (x, y); the grab
 * has begun when pinhole takes the pointer away from the window (the client
 * gets a LeaveNotify, mode Normal); then the pointer moves by (dx, dy) and
 * the button comes up.
 */
static bool drag(struct probe *probe, struct ph_process *x11, int direction, int x, int y,
		int dx, int dy) {
	char line[256], want[32];
	ph_write_line(x11, "moveresize %d", direction);
	snprintf(want, sizeof(want), "sent-moveresize %d", direction);
	bool ok = WM_EXPECT(x11, line, "armed") && pointer_to(probe, x, y) &&
		probe_cmd(probe, "press", "pressed") && WM_EXPECT(x11, line, want) &&
		WM_EXPECT(x11, line, "leave 0");
	ok = pointer_to(probe, x + dx, y + dy) && ok;
	return probe_cmd(probe, "release", "released") && ok;
}

static void test_managed(struct ph_compositor *c, struct probe *probe) {
	char line[256], out[8192];
	struct ph_process x11;
	struct wm_box seen;
	ph_spawn(c, &x11, (const char *[]){ph_path("ph-x11"), "--color", "ff0000", "--size",
		"200x150", "--title", "ph-x11-red", NULL}, PH_PIPE_STDIN | PH_PIPE_STDOUT);
	/* Centred: (640 - 200) / 2, (480 - 150) / 2. */
	bool told = configured(&x11, 220, 165, 200, 150, line, sizeof(line));
	bool shown = red_at(c, 220, 165, 200, 150, &seen);
	ph_ok(told && shown, "a new X11 window is centred: ConfigureNotify 220,165 200x150 and "
		"grim's red box there (seen %d,%d-%d,%d)", seen.x1, seen.y1, seen.x2, seen.y2);

	/* xdotool windowmove: a ConfigureRequest for the position. */
	char id[32] = "";
	ph_run(c, (const char *[]){"xdotool", "search", "--name", "^ph-x11-red$", NULL}, 5000,
		id, sizeof(id));
	id[strcspn(id, "\n")] = '\0';
	int code = ph_run(c, (const char *[]){"xdotool", "windowmove", id, "40", "50", NULL}, 5000,
		out, sizeof(out));
	told = configured(&x11, 40, 50, 200, 150, line, sizeof(line));
	bool server = WM_WAIT_OUTPUT(c, ((const char *[]){"xwininfo", "-id", id, NULL}), out,
		"Absolute upper-left X:  40\n", "Absolute upper-left Y:  50\n", "Width: 200\n",
		"Height: 150\n");
	shown = red_at(c, 40, 50, 200, 150, &seen);
	ph_ok(id[0] != '\0' && code == 0 && told && server && shown, "xdotool windowmove %s 40 50: "
		"the client is told 40,50, xwininfo says so, grim shows it there (seen %d,%d-%d,%d)",
		id, seen.x1, seen.y1, seen.x2, seen.y2);

	code = ph_run(c, (const char *[]){"xdotool", "windowsize", id, "300", "200", NULL}, 5000,
		out, sizeof(out));
	told = configured(&x11, 40, 50, 300, 200, line, sizeof(line));
	server = WM_WAIT_OUTPUT(c, ((const char *[]){"xwininfo", "-id", id, NULL}), out,
		"Absolute upper-left X:  40\n", "Width: 300\n", "Height: 200\n");
	shown = red_at(c, 40, 50, 300, 200, &seen);
	ph_ok(code == 0 && told && server && shown, "xdotool windowsize 300 200: ConfigureNotify "
		"40,50 300x200, xwininfo agrees, grim's red box is 300x200 (seen %d,%d-%d,%d)",
		seen.x1, seen.y1, seen.x2, seen.y2);

	/* The client's own move: dragged by (100, 50) from (100, 100). */
	bool dragged = drag(probe, &x11, 8, 100, 100, 100, 50);
	told = configured(&x11, 140, 100, 300, 200, line, sizeof(line));
	shown = red_at(c, 140, 100, 300, 200, &seen);
	ph_ok(dragged && told && shown, "_NET_WM_MOVERESIZE move: pinhole takes the pointer, the "
		"window follows it by 100,50 (ConfigureNotify 140,100; grim %d,%d-%d,%d)",
		seen.x1, seen.y1, seen.x2, seen.y2);

	/* And its own resize from the bottom-right corner (direction 4), by (60, 40). */
	dragged = drag(probe, &x11, 4, 430, 290, 60, 40);
	told = configured(&x11, 140, 100, 360, 240, line, sizeof(line));
	shown = red_at(c, 140, 100, 360, 240, &seen);
	ph_ok(dragged && told && shown, "_NET_WM_MOVERESIZE bottom-right resize: 360x240 at the "
		"same corner (ConfigureNotify; grim %d,%d-%d,%d)", seen.x1, seen.y1, seen.x2, seen.y2);

	ph_write_line(&x11, "quit");
	ph_ok(ph_wait(&x11, WM_WAIT_MS) == 0, "ph-x11 exits cleanly");
}

/*
 * grim until xlogo's 160x120 (-bg #00ff00 -fg #0000ff) is at x, y: its
 * background at the corners, its logo inside, nothing of it around.
 */
static bool xlogo_shown(struct ph_compositor *c, int x, int y, char *why, size_t size) {
	bool shown = false;
	int64_t deadline = ph_now_ms() + WM_WAIT_MS;
	while (!shown && ph_now_ms() < deadline) {
		struct ph_image image;
		if (wm_screenshot(c, NULL, &image)) {
			struct wm_box bg = wm_colour_box(&image, XLOGO_BG);
			struct wm_box fg = wm_colour_box(&image, XLOGO_FG);
			char corner[128] = "";
			shown = ph_image_rect_is(&image, x, y, 8, 8, XLOGO_BG, corner, sizeof(corner)) &&
				ph_image_rect_is(&image, x + 152, y + 112, 8, 8, XLOGO_BG, corner,
					sizeof(corner)) &&
				bg.x1 == x && bg.y1 == y && bg.x2 == x + 160 && bg.y2 == y + 120 &&
				fg.count > 500 && fg.x1 >= x && fg.y1 >= y && fg.x2 <= x + 160 &&
				fg.y2 <= y + 120;
			snprintf(why, size, "background %d,%d-%d,%d, logo %d,%d-%d,%d (%ld px)%s%s",
				bg.x1, bg.y1, bg.x2, bg.y2, fg.x1, fg.y1, fg.x2, fg.y2, fg.count,
				corner[0] ? "; " : "", corner);
			ph_image_finish(&image);
		}
		if (!shown) {
			ph_sleep_ms(100);
		}
	}
	return shown;
}

/* xlogo, a plain Xt client: centred, then moved by xdotool; its own colours show where. */
static void test_xlogo(struct ph_compositor *c) {
	char out[8192];
	struct ph_process xlogo;
	ph_spawn(c, &xlogo, (const char *[]){"xlogo", "-bg", "#00ff00", "-fg", "#0000ff",
		"-geometry", "160x120", NULL}, 0);
	bool centred = WM_WAIT_OUTPUT(c, ((const char *[]){"xwininfo", "-name", "xlogo", NULL}),
		out, "Absolute upper-left X:  240\n", "Absolute upper-left Y:  180\n",
		"Width: 160\n", "Height: 120\n");
	ph_ok(centred, "xlogo 160x120 is centred: xwininfo says 240,180");
	int code = ph_run(c, (const char *[]){"xdotool", "search", "--name", "^xlogo$",
		"windowmove", "400", "300", NULL}, 5000, out, sizeof(out));
	bool moved = WM_WAIT_OUTPUT(c, ((const char *[]){"xwininfo", "-name", "xlogo", NULL}),
		out, "Absolute upper-left X:  400\n", "Absolute upper-left Y:  300\n");
	char why[256] = "";
	bool shown = xlogo_shown(c, 400, 300, why, sizeof(why));
	ph_ok(code == 0 && moved && shown, "xdotool windowmove on xlogo: xwininfo says 400,300 and "
		"grim finds xlogo's background exactly in 400,300-560,420 with its logo inside (%s)",
		why);
	ph_kill(&xlogo);
}

/* Override-redirect windows are not managed: they stay and move where they put themselves. */
static void test_override_redirect(struct ph_compositor *c) {
	char line[256], out[1024];
	struct ph_process menu;
	struct wm_box seen;
	int width, height;
	ph_spawn(c, &menu, (const char *[]){ph_path("ph-x11"), "--color", "ffff00", "--size",
		"100x50", "--title", "ph-x11-menu", "--override-redirect", "20,400", NULL},
		PH_PIPE_STDIN | PH_PIPE_STDOUT);
	bool mapped = WM_EXPECT(&menu, line, "mapped");
	bool shown = wm_wait_box(c, NULL, YELLOW, (struct wm_box){20, 400, 120, 450, 0}, &seen,
		&width, &height);
	ph_ok(mapped && shown, "an override-redirect window shows where it asked, 20,400, not "
		"centred (seen %d,%d-%d,%d)", seen.x1, seen.y1, seen.x2, seen.y2);
	int code = ph_run(c, (const char *[]){"xdotool", "search", "--name", "^ph-x11-menu$",
		"windowmove", "500", "20", NULL}, 5000, out, sizeof(out));
	bool told = configured(&menu, 500, 20, 100, 50, line, sizeof(line));
	shown = wm_wait_box(c, NULL, YELLOW, (struct wm_box){500, 20, 600, 70, 0}, &seen, &width,
		&height);
	ph_ok(code == 0 && told && shown, "moved by xdotool, it goes there at once (the X server's "
		"ConfigureNotify 500,20) and the picture follows (seen %d,%d-%d,%d)", seen.x1, seen.y1,
		seen.x2, seen.y2);
	ph_write_line(&menu, "quit");
	ph_ok(ph_wait(&menu, WM_WAIT_MS) == 0, "the override-redirect ph-x11 exits cleanly");
}

/* xwininfo's corner and size for the named window, until they are these. */
static bool xwininfo_box(struct ph_compositor *c, const char *name, int x, int y, int w, int h,
		char *out, size_t size) {
	char ax[48], ay[48], aw[32], ah[32];
	snprintf(ax, sizeof(ax), "Absolute upper-left X:  %d\n", x);
	snprintf(ay, sizeof(ay), "Absolute upper-left Y:  %d\n", y);
	snprintf(aw, sizeof(aw), "Width: %d\n", w);
	snprintf(ah, sizeof(ah), "Height: %d\n", h);
	return wm_wait_output(c, (const char *[]){"xwininfo", "-name", name, NULL}, out, size,
		(const char *[]){ax, ay, aw, ah, NULL});
}

/*
 * WM_NORMAL_HINTS positions (ICCCM): a window whose client gave USPosition
 * (xlogo -geometry +X+Y: Xt sets it) or PPosition (ph-x11
 * --program-position) goes where it asked instead of being centred, and is
 * kept on the output when that would put it over the edge. xprop shows what
 * the client asked for; xwininfo, ConfigureNotify and grim where it went.
 */
static void test_position_hints(struct ph_compositor *c) {
	char out[8192], line[256];
	struct ph_process xlogo;
	ph_spawn(c, &xlogo, (const char *[]){"xlogo", "-bg", "#00ff00", "-fg", "#0000ff",
		"-geometry", "160x120+100+50", NULL}, 0);
	bool placed = xwininfo_box(c, "xlogo", 100, 50, 160, 120, out, sizeof(out));
	ph_run(c, (const char *[]){"xprop", "-name", "xlogo", "WM_NORMAL_HINTS", NULL}, 5000, out,
		sizeof(out));
	bool asked = strstr(out, "user specified location: 100, 50") != NULL;
	char why[256] = "";
	bool shown = placed && xlogo_shown(c, 100, 50, why, sizeof(why));
	ph_ok(asked && placed, "xlogo -geometry 160x120+100+50 (xprop: user specified location "
		"100, 50) is placed there, not centred: xwininfo 100,50");
	ph_ok(shown, "grim: xlogo's background exactly in 100,50-260,170 with its logo inside "
		"(%s)", why);
	ph_kill(&xlogo);

	/* Asked for 600,400 of a 640x480 output: kept on it, in its bottom-right corner. */
	ph_spawn(c, &xlogo, (const char *[]){"xlogo", "-bg", "#00ff00", "-fg", "#0000ff",
		"-geometry", "160x120+600+400", NULL}, 0);
	placed = xwininfo_box(c, "xlogo", 480, 360, 160, 120, out, sizeof(out));
	shown = placed && xlogo_shown(c, 480, 360, why, sizeof(why));
	ph_ok(placed && shown, "xlogo -geometry 160x120+600+400 is kept on the output: xwininfo "
		"480,360, grim (%s)", why);
	ph_kill(&xlogo);

	struct ph_process x11;
	struct wm_box seen;
	ph_spawn(c, &x11, (const char *[]){ph_path("ph-x11"), "--color", "ff0000", "--size",
		"200x150", "--title", "ph-x11-pp", "--program-position", "30,40", NULL},
		PH_PIPE_STDIN | PH_PIPE_STDOUT);
	bool told = configured(&x11, 30, 40, 200, 150, line, sizeof(line));
	shown = red_at(c, 30, 40, 200, 150, &seen);
	ph_ok(told && shown, "a window with PPosition 30,40 in WM_NORMAL_HINTS: ConfigureNotify "
		"30,40 and grim's red box there (seen %d,%d-%d,%d)", seen.x1, seen.y1, seen.x2,
		seen.y2);
	ph_write_line(&x11, "quit");
	ph_ok(ph_wait(&x11, WM_WAIT_MS) == 0, "that ph-x11 exits cleanly");
}

/*
 * The whole output in one colour: grim's picture is want_w x want_h and all
 * of it is the colour, but for an edge of `edge` pixels (grim -s 1 of a
 * scale-2 output filters the window's edge against what is around it).
 */
static bool output_is(struct ph_compositor *c, const char *const *grim_args, uint32_t colour,
		int edge, int want_w, int want_h, char *why, size_t size) {
	int64_t deadline = ph_now_ms() + WM_WAIT_MS;
	for (;;) {
		struct ph_image image;
		if (wm_screenshot(c, grim_args, &image)) {
			struct wm_box seen = wm_colour_box(&image, colour);
			char inside[128] = "";
			bool ok = image.width == want_w && image.height == want_h &&
				ph_image_rect_is(&image, edge, edge, want_w - 2 * edge, want_h - 2 * edge,
					colour, inside, sizeof(inside));
			snprintf(why, size, "%08x at %d,%d-%d,%d in %dx%d%s%s", colour, seen.x1,
				seen.y1, seen.x2, seen.y2, image.width, image.height, inside[0] ? ": " : "",
				inside);
			ph_image_finish(&image);
			if (ok) {
				return true;
			}
		}
		if (ph_now_ms() >= deadline) {
			return false;
		}
		ph_sleep_ms(100);
	}
}

/* wlr-randr on the output, and a listing that shows the result. */
static bool randr(struct ph_compositor *c, const char *option, const char *value,
		const char *listed) {
	char out[4096];
	int code = ph_run(c, (const char *[]){"wlr-randr", "--output", "HEADLESS-1", option, value,
		NULL}, 5000, out, sizeof(out));
	if (code != 0) {
		ph_diag("wlr-randr %s %s: exit %d: %s", option, value, code, out);
		return false;
	}
	return wm_wait_output(c, (const char *[]){"wlr-randr", NULL}, out, sizeof(out),
		(const char *[]){listed, NULL});
}

/*
 * A maximized and then fullscreen X11 window through output changes: a
 * panel's exclusive zone coming and going (ph-layer), then wlr-randr's mode,
 * scale and transform. Each time the client is told its new box
 * (ConfigureNotify), the X server has it (xwininfo) and grim shows it there.
 * Runs last: it leaves the output changed.
 */
static void test_refit(struct ph_compositor *c) {
	char line[256], out[8192], why[256];
	struct ph_process x11, panel;
	const char *name = "ph-x11-max";
	ph_spawn(c, &x11, (const char *[]){ph_path("ph-x11"), "--color", "ff0000", "--size",
		"200x150", "--title", name, NULL}, PH_PIPE_STDIN | PH_PIPE_STDOUT);
	bool mapped = configured(&x11, 220, 165, 200, 150, line, sizeof(line));
	int code = ph_run(c, (const char *[]){"wlrctl", "toplevel", "maximize", "title:ph-x11-max",
		NULL}, 5000, out, sizeof(out));
	bool told = configured(&x11, 0, 0, 640, 480, line, sizeof(line));
	ph_ok(mapped && code == 0 && told, "wlrctl toplevel maximize: the X11 window is told "
		"0,0 640x480");

	/* A 40 px panel at the top claims its height: the window shrinks below it. */
	ph_spawn(c, &panel, (const char *[]){ph_path("ph-layer"), "--layer", "top", "--anchor",
		"tlr", "--size", "0x40", "--exclusive", "40", "--color", "0xffffff00", NULL},
		PH_PIPE_STDOUT);
	bool panel_up = ph_expect_line(&panel, "mapped", line, sizeof(line), WM_WAIT_MS);
	told = configured(&x11, 0, 40, 640, 440, line, sizeof(line));
	bool server = xwininfo_box(c, name, 0, 40, 640, 440, out, sizeof(out));
	struct wm_box seen;
	bool shown = red_at(c, 0, 40, 640, 440, &seen);
	ph_ok(panel_up && told && server && shown, "a panel with a 40 px exclusive zone maps: the "
		"maximized window is told 0,40 640x440, xwininfo agrees, grim's red below the panel "
		"(seen %d,%d-%d,%d)", seen.x1, seen.y1, seen.x2, seen.y2);
	ph_kill(&panel);
	told = configured(&x11, 0, 0, 640, 480, line, sizeof(line));
	shown = output_is(c, NULL, RED, 0, 640, 480, why, sizeof(why));
	ph_ok(told && shown, "the panel goes: 0,0 640x480 again, the whole output red (%s)", why);

	/* A new mode. */
	bool changed = randr(c, "--custom-mode", "800x600", "800x600 px");
	told = configured(&x11, 0, 0, 800, 600, line, sizeof(line));
	server = xwininfo_box(c, name, 0, 0, 800, 600, out, sizeof(out));
	shown = output_is(c, NULL, RED, 0, 800, 600, why, sizeof(why));
	ph_ok(changed && told && server && shown, "wlr-randr --custom-mode 800x600: the maximized "
		"window is told 0,0 800x600, xwininfo agrees, grim's 800x600 picture is all of it (%s)",
		why);

	/* Fullscreen, then a new scale and a new transform. */
	code = ph_run(c, (const char *[]){"wlrctl", "toplevel", "fullscreen", "title:ph-x11-max",
		NULL}, 5000, out, sizeof(out));
	bool net_state = wm_wait_output(c, (const char *[]){"xprop", "-name", name,
		"_NET_WM_STATE", NULL}, out, sizeof(out),
		(const char *[]){"_NET_WM_STATE_FULLSCREEN", NULL});
	changed = randr(c, "--scale", "2", "Scale: 2.000000");
	told = configured(&x11, 0, 0, 400, 300, line, sizeof(line));
	server = xwininfo_box(c, name, 0, 0, 400, 300, out, sizeof(out));
	shown = output_is(c, (const char *[]){"-s", "1", NULL}, RED, 1, 400, 300, why, sizeof(why));
	ph_ok(code == 0 && net_state && changed && told && server && shown, "fullscreen "
		"(_NET_WM_STATE_FULLSCREEN), then wlr-randr --scale 2: told 0,0 400x300, xwininfo "
		"agrees, grim -s 1 all of it (its edge filtered; %s)", why);

	changed = randr(c, "--transform", "90", "Transform: 90");
	told = configured(&x11, 0, 0, 300, 400, line, sizeof(line));
	server = xwininfo_box(c, name, 0, 0, 300, 400, out, sizeof(out));
	shown = output_is(c, (const char *[]){"-s", "1", NULL}, RED, 1, 300, 400, why, sizeof(why));
	ph_ok(changed && told && server && shown, "wlr-randr --transform 90: told 0,0 300x400, "
		"xwininfo agrees, grim -s 1 all of it (its edge filtered; %s)", why);
	ph_write_line(&x11, "quit");
	ph_ok(ph_wait(&x11, WM_WAIT_MS) == 0, "ph-x11 exits cleanly");
}

/* The X server's word on a window: its upper-left corner, -1 if xwininfo has none. */
static bool xwininfo_corner(struct ph_compositor *c, const char *name, int *x, int *y) {
	char out[8192];
	*x = *y = -1;
	ph_run(c, (const char *[]){"xwininfo", "-name", name, NULL}, 5000, out, sizeof(out));
	const char *ax = strstr(out, "Absolute upper-left X:");
	const char *ay = strstr(out, "Absolute upper-left Y:");
	return ax != NULL && ay != NULL && sscanf(ax, "Absolute upper-left X: %d", x) == 1 &&
		sscanf(ay, "Absolute upper-left Y: %d", y) == 1;
}

/*
 * GTK 3 on X11 (gtk3-demo with GDK_BACKEND=x11): a drag on its header bar.
 * GTK starts the window manager's move once the pointer has gone past its
 * drag threshold; from the moment the window follows the pointer, it must
 * follow it exactly. xwininfo is the X server's word on where it is.
 */
static void test_gtk_drag(void) {
	if (access("/usr/bin/gtk3-demo", X_OK) != 0) {
		ph_ok(false, "gtk3-demo (gtk-3-examples) is installed");
		return;
	}
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "1280x720", "--placement",
			"center", NULL})) {
		ph_ok(false, "compositor for GTK started");
		return;
	}
	const char *name = "Application Class"; /* gtk3-demo's main window */
	struct ph_process gtk;
	ph_spawn(&c, &gtk, (const char *[]){"env", "GDK_BACKEND=x11", "NO_AT_BRIDGE=1",
		"GTK_USE_PORTAL=0", "dbus-run-session", "--", "gtk3-demo", NULL}, 0);
	char out[8192];
	bool centred = wm_wait_output(&c, (const char *[]){"xwininfo", "-name", name, NULL}, out,
		sizeof(out), (const char *[]){"Width: 810\n", "Height: 656\n",
		"Absolute upper-left X:  235\n", "Absolute upper-left Y:  32\n", NULL});
	ph_ok(centred, "gtk3-demo on X11 maps its 810x656 window centred on the 1280x720 output "
		"(xwininfo 235,32)");

	struct probe probe;
	bool ok = probe_start(&c, &probe) && probe_cmd(&probe, "pointer 640 50 1280 720", "moved") &&
		probe_cmd(&probe, "press", "pressed");
	/* Past GTK's threshold, a pixel at a time until the window follows. */
	int px = 640, wx = 235, wy = 32;
	bool following = false;
	char cmd[64];
	for (int step = 0; ok && !following && step < 60; step++) {
		px += 2;
		snprintf(cmd, sizeof(cmd), "pointer %d 50 1280 720", px);
		ok = probe_cmd(&probe, cmd, "moved");
		int64_t deadline = ph_now_ms() + 300;
		while (ok && !following && ph_now_ms() < deadline) {
			following = xwininfo_corner(&c, name, &wx, &wy) && wx != 235;
		}
	}
	/* The window now follows: a further (100, 60) moves it by exactly that. */
	snprintf(cmd, sizeof(cmd), "pointer %d 110 1280 720", px + 100);
	ok = ok && probe_cmd(&probe, cmd, "moved");
	int want_x = wx + 100, want_y = wy + 60, x = -1, y = -1;
	bool moved = false;
	int64_t deadline = ph_now_ms() + WM_WAIT_MS;
	while (ok && following && !moved && ph_now_ms() < deadline) {
		moved = xwininfo_corner(&c, name, &x, &y) && x == want_x && y == want_y;
		if (!moved) {
			ph_sleep_ms(50);
		}
	}
	ok = probe_cmd(&probe, "release", "released") && ok;
	bool asked = ph_compositor_log_contains(&c, "asks for an interactive move");
	ph_ok(ok && following && moved, "a drag on GTK's header bar moves the X11 window with the "
		"pointer: it follows from %d,%d, and 100,60 more of the pointer puts it at %d,%d "
		"(xwininfo %d,%d; GTK %s _NET_WM_MOVERESIZE)", wx, wy, want_x, want_y, x, y,
		asked ? "asked with" : "did not use");
	/* The picture: GTK's window at its new place, black where its corner was. */
	bool shown = false;
	deadline = ph_now_ms() + WM_WAIT_MS;
	while (moved && !shown && ph_now_ms() < deadline) {
		struct ph_image image;
		if (wm_screenshot(&c, NULL, &image)) {
			char why[128];
			shown = ph_image_rect_is(&image, 236, 33, 8, 8, 0xff000000u, why, sizeof(why)) &&
				!ph_image_rect_is(&image, x + 1, y + 1, 8, 8, 0xff000000u, why, sizeof(why)) &&
				!ph_image_rect_is(&image, x + 800, y + 640, 8, 8, 0xff000000u, why, sizeof(why));
			ph_image_finish(&image);
		}
		if (!shown) {
			ph_sleep_ms(100);
		}
	}
	ph_ok(shown, "grim: black where the window's corner was, GTK's pixels at both corners of "
		"its new place");
	probe_cmd(&probe, "quit", NULL);
	ph_wait(&probe.process, 5000);
	ph_kill(&gtk);
	ph_compositor_finish(&c);
}

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 140);
	ph_plan(31);
	if (!ph_require_programs("Xwayland, xdotool, xwininfo, xprop, xlogo, grim, wlr-randr, "
			"wlrctl", (const char *[]){"Xwayland", "xdotool", "xwininfo", "xprop", "xlogo",
			"grim", "wlr-randr", "wlrctl", NULL})) {
		return ph_finish();
	}
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "640x480", "--placement", "center",
			NULL})) {
		ph_ok(false, "compositor started");
		return ph_finish();
	}
	struct probe probe;
	if (!probe_start(&c, &probe)) {
		ph_ok(false, "ph-capture-probe (the virtual pointer) started");
		ph_compositor_finish(&c);
		return ph_finish();
	}
	test_managed(&c, &probe);
	test_xlogo(&c);
	test_override_redirect(&c);
	test_position_hints(&c);
	test_refit(&c);
	probe_cmd(&probe, "quit", NULL);
	ph_wait(&probe.process, 5000);
	ph_compositor_finish(&c);
	test_gtk_drag();
	return ph_finish();
}
