/*
 * Windows and outputs: new windows centred on the output under the pointer
 * (xdg-shell and X11), windows of an output turned off moving to the one
 * left, an output turned off and on again coming back where it was (issue
 * 12 measured the opposite: wlr-randr --off then --on collapsed two
 * 1920x1080 outputs into one black 1920x1080 picture), and kanshi switching
 * between two profiles that move and scale an output, its windows going with it;
 * then wlr-randr's mode, scale and transform refitting a maximized and a
 * fullscreen window and bringing floating windows that stick out back in.
 *
 * The truths: grim's pictures (their size is the layout as grim sees it
 * through xdg-output; the windows' colours where they should be), what
 * wlr-randr lists (output management heads), the outputs each window's
 * foreign-toplevel handle names (ph-toplevels), what the X server tells an
 * X11 window (ph-x11's ConfigureNotify lines). The pointer is
 * ph-capture-probe's virtual pointer. Two headless 1920x1080 outputs,
 * --placement center.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "probe.h"
#include "wm-checks.h"

#define A_COLOUR 0xffc02020u /* ph-window 300x200 */
#define C_COLOUR 0xff20c0c0u /* ph-x11 200x150 */
#define D_COLOUR 0xff2040c0u /* ph-window 160x120 */
#define E_COLOUR 0xffe0e020u /* ph-window 160x120 */
#define M_COLOUR 0xff40a040u /* ph-window, maximized */
#define F_COLOUR 0xffa040a0u /* ph-window, fullscreen */
#define FOOT_COLOUR 0xff306090u /* foot's background, maximized */

/* The pointer to a layout point; W x H is the layout's size now. */
static bool pointer_to(struct probe *probe, int x, int y, int w, int h) {
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "pointer %d %d %d %d", x, y, w, h);
	return probe_cmd(probe, cmd, "moved");
}

static void spawn_window(struct ph_compositor *c, struct ph_process *p, const char *app_id,
		uint32_t colour, const char *size) {
	char colour_arg[16];
	snprintf(colour_arg, sizeof(colour_arg), "%06x", colour & 0xffffff);
	ph_spawn(c, p, (const char *[]){ph_path("ph-window"), "--app-id", app_id, "--color",
		colour_arg, "--size", size, NULL}, PH_PIPE_STDIN | PH_PIPE_STDOUT);
}

/* Whether wlr-randr's block for the output (up to the next output) has every needle. */
static bool randr_block_has(const char *listing, const char *output, const char *const *needles) {
	char head[64];
	snprintf(head, sizeof(head), "%s \"", output);
	const char *start = strstr(listing, head);
	if (start == NULL) {
		return false;
	}
	const char *end = strstr(start + 1, "\nHEADLESS-");
	size_t len = end != NULL ? (size_t)(end - start) : strlen(start);
	char *block = strndup(start, len);
	bool all = block != NULL;
	for (int i = 0; all && needles[i] != NULL; i++) {
		all = strstr(block, needles[i]) != NULL;
	}
	free(block);
	return all;
}

/* wlr-randr's listing until both outputs' blocks say what is wanted. */
static bool randr_shows(struct ph_compositor *c, const char *const *first,
		const char *const *second, char *out, size_t size) {
	int64_t deadline = ph_now_ms() + WM_WAIT_MS;
	for (;;) {
		int code = ph_run(c, (const char *[]){"wlr-randr", NULL}, 5000, out, size);
		if (code == 0 && randr_block_has(out, "HEADLESS-1", first) &&
				randr_block_has(out, "HEADLESS-2", second)) {
			return true;
		}
		if (ph_now_ms() >= deadline) {
			ph_diag("wlr-randr (exit %d): %s", code, out);
			return false;
		}
		ph_sleep_ms(100);
	}
}

static bool box_at(struct ph_compositor *c, const char *const *grim_args, uint32_t colour,
		int x, int y, int w, int h, long count, int want_w, int want_h, char *why,
		size_t size) {
	struct wm_box seen;
	int width = 0, height = 0;
	bool ok = wm_wait_box(c, grim_args, colour, (struct wm_box){x, y, x + w, y + h, count},
		&seen, &width, &height);
	snprintf(why, size, "%08x at %d,%d-%d,%d (%ld px) in %dx%d", colour, seen.x1, seen.y1,
		seen.x2, seen.y2, seen.count, width, height);
	return ok && width == want_w && height == want_h;
}

/*
 * At scale 2 the window's edges are filtered: its inside (2 px in) is
 * solid and nothing of its colour lies more than a pixel outside its box.
 */
static bool scaled_box_at(struct ph_compositor *c, const char *const *grim_args,
		uint32_t colour, int x, int y, int w, int h, int want_w, int want_h, char *why,
		size_t size) {
	int64_t deadline = ph_now_ms() + WM_WAIT_MS;
	for (;;) {
		struct ph_image image;
		if (wm_screenshot(c, grim_args, &image)) {
			struct wm_box seen = wm_colour_box(&image, colour);
			char inside[128] = "";
			bool ok = image.width == want_w && image.height == want_h &&
				ph_image_rect_is(&image, x + 2, y + 2, w - 4, h - 4, colour, inside,
					sizeof(inside)) &&
				seen.x1 >= x - 1 && seen.y1 >= y - 1 && seen.x2 <= x + w + 1 &&
				seen.y2 <= y + h + 1;
			snprintf(why, size, "%08x at %d,%d-%d,%d in %dx%d%s%s", colour, seen.x1, seen.y1,
				seen.x2, seen.y2, image.width, image.height, inside[0] ? ": " : "", inside);
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

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 180);
	ph_plan(25);
	if (!ph_require_programs("grim, wlr-randr, kanshi, kanshictl, Xwayland, foot",
			(const char *[]){"grim", "wlr-randr", "kanshi", "kanshictl", "Xwayland", "foot",
			NULL})) {
		return ph_finish();
	}
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "1920x1080", "--outputs", "2",
			"--placement", "center", NULL})) {
		ph_ok(false, "compositor with two outputs started");
		return ph_finish();
	}
	char line[1024], out[8192], why[512], why2[512], why3[512];
	struct ph_process toplevels, a, x11, d, e, kanshi;
	struct probe probe;
	ph_spawn(&c, &toplevels, (const char *[]){ph_path("ph-toplevels"), NULL},
		PH_PIPE_STDIN | PH_PIPE_STDOUT);
	bool ready = ph_expect_line(&toplevels, "listed", line, sizeof(line), WM_WAIT_MS) &&
		probe_start(&c, &probe);
	const char *const wide[] = {NULL};

	/* 1. New windows on the output under the pointer, centred in it. */
	bool pointed = ready && pointer_to(&probe, 2880, 540, 3840, 1080);
	spawn_window(&c, &a, "out-a", A_COLOUR, "300x200");
	bool listed = WM_EXPECT(&toplevels, line, "app_id=out-a ", "outputs=HEADLESS-2 ");
	bool shown = box_at(&c, wide, A_COLOUR, 2730, 440, 300, 200, 0, 3840, 1080, why,
		sizeof(why));
	ph_ok(pointed && listed && shown, "pointer on HEADLESS-2: a new xdg window is centred "
		"there (handle on HEADLESS-2; grim: %s)", why);

	ph_spawn(&c, &x11, (const char *[]){ph_path("ph-x11"), "--color", "20c0c0", "--size",
		"200x150", "--title", "out-c", NULL}, PH_PIPE_STDIN | PH_PIPE_STDOUT);
	bool told = WM_EXPECT(&x11, line, "configure 2780 465 200 150");
	shown = box_at(&c, wide, C_COLOUR, 2780, 465, 200, 150, 0, 3840, 1080, why, sizeof(why));
	ph_ok(told && shown, "and a new X11 window too: ConfigureNotify 2780,465 (grim: %s)", why);

	/* 2. HEADLESS-2 off: its windows come to HEADLESS-1. */
	int code = ph_run(&c, (const char *[]){"wlr-randr", "--output", "HEADLESS-2", "--off",
		NULL}, 5000, out, sizeof(out));
	bool listing = randr_shows(&c, (const char *[]){"Enabled: yes", "Position: 0,0", NULL},
		(const char *[]){"Enabled: no", NULL}, out, sizeof(out));
	ph_ok(code == 0 && listing, "wlr-randr --output HEADLESS-2 --off: its listing has "
		"HEADLESS-2 off, HEADLESS-1 at 0,0");
	listed = WM_EXPECT(&toplevels, line, "app_id=out-a ", "outputs=HEADLESS-1 ");
	told = WM_EXPECT(&x11, line, "configure 860 465 200 150");
	/* The X11 window is over the middle of the xdg one: that part of it is hidden. */
	shown = box_at(&c, wide, A_COLOUR, 810, 440, 300, 200, 300 * 200 - 200 * 150, 1920, 1080,
		why, sizeof(why)) && box_at(&c, wide, C_COLOUR, 860, 465, 200, 150, 0, 1920, 1080,
		why2, sizeof(why2));
	ph_ok(listed && told && shown, "both windows move to HEADLESS-1, centred: the xdg handle "
		"on HEADLESS-1, the X11 client told 860,465, grim's 1920x1080 picture has them "
		"(%s; %s)", why, why2);

	/* 3. On again: back at 1920,0, the desktop 3840x1080 again. */
	code = ph_run(&c, (const char *[]){"wlr-randr", "--output", "HEADLESS-2", "--on", NULL},
		5000, out, sizeof(out));
	listing = randr_shows(&c, (const char *[]){"Enabled: yes", "Position: 0,0", NULL},
		(const char *[]){"Enabled: yes", "Position: 1920,0", "Scale: 1.000000", NULL}, out,
		sizeof(out));
	ph_ok(code == 0 && listing, "wlr-randr --output HEADLESS-2 --on: listed at 1920,0 again, "
		"HEADLESS-1 at 0,0");
	pointed = pointer_to(&probe, 2880, 540, 3840, 1080);
	spawn_window(&c, &d, "out-d", D_COLOUR, "160x120");
	listed = WM_EXPECT(&toplevels, line, "app_id=out-d ", "outputs=HEADLESS-2 ");
	shown = box_at(&c, wide, D_COLOUR, 2800, 480, 160, 120, 0, 3840, 1080, why, sizeof(why)) &&
		box_at(&c, wide, C_COLOUR, 860, 465, 200, 150, 0, 3840, 1080, why2, sizeof(why2));
	ph_ok(pointed && listed && shown, "grim's picture is 3840x1080 again with the windows on "
		"HEADLESS-1 where they were and a new one centred on HEADLESS-2 (%s; %s)", why, why2);
	shown = box_at(&c, (const char *[]){"-o", "HEADLESS-2", NULL}, D_COLOUR, 880, 480, 160, 120,
		0, 1920, 1080, why, sizeof(why));
	ph_ok(shown, "grim -o HEADLESS-2 draws it at 880,480 of the output (%s)", why);

	/* 4. kanshi: two profiles for the same outputs, switched with kanshictl. */
	const char *config_path = ph_scratch("kanshi.conf");
	FILE *config = fopen(config_path, "w");
	if (config != NULL) {
		fprintf(config, "profile side {\n"
			"\toutput HEADLESS-1 position 0,0 scale 1\n"
			"\toutput HEADLESS-2 position 1920,0 scale 1\n"
			"}\n"
			"profile stacked {\n"
			"\toutput HEADLESS-1 position 0,0 scale 1\n"
			"\toutput HEADLESS-2 position 0,1080 scale 2\n"
			"}\n");
		fclose(config);
	}
	ph_spawn(&c, &kanshi, (const char *[]){"kanshi", "-c", config_path, NULL}, 0);
	/* kanshictl answers once kanshi is up and the profile is applied. */
	code = -1;
	int64_t deadline = ph_now_ms() + WM_WAIT_MS;
	while (code != 0 && ph_now_ms() < deadline) {
		code = ph_run(&c, (const char *[]){"kanshictl", "switch", "stacked", NULL}, 5000, out,
			sizeof(out));
		if (code != 0) {
			ph_sleep_ms(100);
		}
	}
	listing = randr_shows(&c, (const char *[]){"Position: 0,0", "Scale: 1.000000", NULL},
		(const char *[]){"Enabled: yes", "Position: 0,1080", "Scale: 2.000000", NULL}, out,
		sizeof(out));
	ph_ok(code == 0 && listing, "kanshictl switch stacked: wlr-randr lists HEADLESS-2 at "
		"0,1080 with scale 2 (kanshictl: %s)", code == 0 ? "ok" : out);
	/*
	 * HEADLESS-2 is now 960x540 (logical) under HEADLESS-1, and its window
	 * went with it, keeping its offset from the corner, 880,480, where it
	 * would stick out of the smaller output: it comes back inside by the
	 * least distance, to 800,420 of the output, 800,1500 of the layout.
	 */
	shown = scaled_box_at(&c, (const char *[]){"-s", "1", NULL}, D_COLOUR, 800, 1500, 160,
		120, 1920, 1620, why, sizeof(why)) &&
		box_at(&c, (const char *[]){"-s", "1", NULL}, C_COLOUR, 860, 465, 200, 150, 0, 1920,
			1620, why2, sizeof(why2));
	ph_ok(shown, "grim -s 1: the picture is 1920x1620, HEADLESS-2's window went with it and, "
		"sticking out of its 960x540, came back in to 800,420 of it; HEADLESS-1's unmoved "
		"(%s; %s)", why, why2);
	pointed = pointer_to(&probe, 480, 1350, 1920, 1620);
	spawn_window(&c, &e, "out-e", E_COLOUR, "160x120");
	listed = WM_EXPECT(&toplevels, line, "app_id=out-e ", "outputs=HEADLESS-2 ");
	shown = scaled_box_at(&c, (const char *[]){"-s", "1", NULL}, E_COLOUR, 400, 1290, 160, 120,
		1920, 1620, why, sizeof(why));
	ph_ok(pointed && listed && shown, "a new window with the pointer on the scaled output is "
		"centred in its 960x540 (%s)", why);

	code = ph_run(&c, (const char *[]){"kanshictl", "switch", "side", NULL}, 5000, out,
		sizeof(out));
	listing = randr_shows(&c, (const char *[]){"Position: 0,0", NULL},
		(const char *[]){"Position: 1920,0", "Scale: 1.000000", NULL}, out, sizeof(out));
	ph_ok(code == 0 && listing, "kanshictl switch side: HEADLESS-2 back at 1920,0, scale 1");
	/* Both windows of HEADLESS-2 went with it: 800,420 and 400,210 of it. */
	shown = box_at(&c, wide, E_COLOUR, 2320, 210, 160, 120, 0, 3840, 1080, why, sizeof(why)) &&
		box_at(&c, wide, D_COLOUR, 2720, 420, 160, 120, 0, 3840, 1080, why2, sizeof(why2));
	bool unmoved = box_at(&c, wide, C_COLOUR, 860, 465, 200, 150, 0, 3840, 1080, why3,
		sizeof(why3));
	ph_ok(shown && unmoved, "grim: 3840x1080, HEADLESS-2's windows back at their places in "
		"it, HEADLESS-1's unmoved (%s; %s; %s)", why, why2, why3);

	/* kanshi would answer the changes below with its profile. */
	ph_kill(&kanshi);

	/*
	 * 5. A maximized window on HEADLESS-1 and a fullscreen one on
	 * HEADLESS-2 through new modes, scales and transforms: each is told
	 * its output's new box and shows there. Over the maximized ph-window
	 * (whose configures are the truth for its size), foot 1.28, maximized
	 * too, draws its background over all of its window: grim's truth for
	 * where a real terminal is.
	 */
	struct ph_process m, f, foot;
	pointed = pointer_to(&probe, 960, 540, 3840, 1080);
	ph_spawn(&c, &m, (const char *[]){ph_path("ph-window"), "--app-id", "out-m", "--color",
		"40a040", "--size", "300x200", "--maximized", NULL}, PH_PIPE_STDIN | PH_PIPE_STDOUT);
	bool maximized = WM_EXPECT(&m, line, "configure 1920 1080 ", "maximized") &&
		WM_EXPECT(&m, line, "ready 1920x1080");
	pointed = pointer_to(&probe, 2880, 540, 3840, 1080) && pointed;
	spawn_window(&c, &f, "out-f", F_COLOUR, "300x200");
	bool fullscreen = WM_EXPECT(&f, line, "ready 300x200") &&
		ph_write_line(&f, "fullscreen") && WM_EXPECT(&f, line, "configure 1920 1080 ",
		"fullscreen");
	shown = box_at(&c, wide, M_COLOUR, 0, 0, 1920, 1080, 0, 3840, 1080, why, sizeof(why)) &&
		box_at(&c, wide, F_COLOUR, 1920, 0, 1920, 1080, 0, 3840, 1080, why2, sizeof(why2));
	ph_ok(pointed && maximized && fullscreen && shown, "a maximized window on HEADLESS-1, a "
		"fullscreen one on HEADLESS-2, each told 1920x1080 (grim: %s; %s)", why, why2);
	pointed = pointer_to(&probe, 960, 540, 3840, 1080);
	/* Cursor hidden: the window is its background colour only. */
	ph_spawn(&c, &foot, (const char *[]){"foot", "-o", "colors-dark.background=306090", "-o",
		"main.pad=0x0", "-o", "csd.preferred=none", "--app-id", "out-foot", "--maximized",
		"sh", "-c", "printf '\\033[?25l'; exec cat", NULL}, 0);
	shown = box_at(&c, wide, FOOT_COLOUR, 0, 0, 1920, 1080, 0, 3840, 1080, why, sizeof(why));
	ph_ok(pointed && shown, "foot --maximized on HEADLESS-1 over it: its background fills "
		"the output (grim: %s)", why);

	code = ph_run(&c, (const char *[]){"wlr-randr", "--output", "HEADLESS-1", "--custom-mode",
		"1280x720", NULL}, 5000, out, sizeof(out));
	listing = randr_shows(&c, (const char *[]){"1280x720 px", NULL},
		(const char *[]){"Position: 1920,0", NULL}, out, sizeof(out));
	bool told_m = WM_EXPECT(&m, line, "configure 1280 720 ", "maximized");
	shown = box_at(&c, wide, FOOT_COLOUR, 0, 0, 1280, 720, 0, 3840, 1080, why, sizeof(why)) &&
		box_at(&c, wide, F_COLOUR, 1920, 0, 1920, 1080, 0, 3840, 1080, why2, sizeof(why2));
	ph_ok(code == 0 && listing && told_m && shown, "wlr-randr --output HEADLESS-1 "
		"--custom-mode 1280x720: the maximized ph-window is told 1280x720, foot fills it, "
		"the fullscreen one on HEADLESS-2 is untouched (grim: %s; %s)", why, why2);

	code = ph_run(&c, (const char *[]){"wlr-randr", "--output", "HEADLESS-2", "--scale", "2",
		NULL}, 5000, out, sizeof(out));
	listing = randr_shows(&c, (const char *[]){"1280x720 px", NULL},
		(const char *[]){"Scale: 2.000000", NULL}, out, sizeof(out));
	bool told_f = WM_EXPECT(&f, line, "configure 960 540 ", "fullscreen");
	/* The layout: HEADLESS-1 1280x720 at 0,0, HEADLESS-2 960x540 at 1920,0. */
	shown = scaled_box_at(&c, (const char *[]){"-s", "1", NULL}, F_COLOUR, 1920, 0, 960, 540,
		2880, 720, why, sizeof(why));
	ph_ok(code == 0 && listing && told_f && shown, "wlr-randr --output HEADLESS-2 --scale 2: "
		"the fullscreen window is told 960x540 and covers it (grim -s 1: %s)", why);

	code = ph_run(&c, (const char *[]){"wlr-randr", "--output", "HEADLESS-1", "--transform",
		"90", NULL}, 5000, out, sizeof(out));
	listing = randr_shows(&c, (const char *[]){"Transform: 90", NULL},
		(const char *[]){"Scale: 2.000000", NULL}, out, sizeof(out));
	told_m = WM_EXPECT(&m, line, "configure 720 1280 ", "maximized");
	/*
	 * HEADLESS-1 is 720 wide now: the X11 window (860,465, 200x150) sticks
	 * out of it and comes back in the least distance, to 520,465.
	 */
	told = WM_EXPECT(&x11, line, "configure 520 465 200 150");
	shown = box_at(&c, (const char *[]){"-s", "1", NULL}, FOOT_COLOUR, 0, 0, 720, 1280, 0,
		2880, 1280, why, sizeof(why));
	ph_ok(code == 0 && listing && told_m && told && shown, "wlr-randr --output HEADLESS-1 "
		"--transform 90: the maximized ph-window is told 720x1280, foot fills it (grim -s 1: "
		"%s); the X11 window that stuck out is told 520,465", why);

	/*
	 * HEADLESS-1 moves to the right of HEADLESS-2 (2880,0): the maximized
	 * window's old box is then nearer HEADLESS-2 than its own output, but
	 * it stays maximized on HEADLESS-1, told 720x1280 again for its new
	 * place; the X11 window goes along to 3400,465. grim's picture starts
	 * at the layout's left edge, 1920: HEADLESS-1 is at 960,0 of it.
	 */
	code = ph_run(&c, (const char *[]){"wlr-randr", "--output", "HEADLESS-1", "--pos",
		"2880,0", NULL}, 5000, out, sizeof(out));
	listing = randr_shows(&c, (const char *[]){"Position: 2880,0", NULL},
		(const char *[]){"Position: 1920,0", NULL}, out, sizeof(out));
	told_m = WM_EXPECT(&m, line, "configure 720 1280 ", "maximized");
	told = WM_EXPECT(&x11, line, "configure 3400 465 200 150");
	const char *const scale1[] = {"-s", "1", NULL};
	shown = box_at(&c, scale1, FOOT_COLOUR, 960, 0, 720, 1280, 0, 1680, 1280, why,
		sizeof(why));
	ph_ok(code == 0 && listing && told_m && told && shown, "wlr-randr --output HEADLESS-1 "
		"--pos 2880,0: the maximized windows stay on it, the ph-window told 720x1280 again, "
		"foot there in grim -s 1 (%s); the X11 window went along, told 3400,465", why);

	/*
	 * Without the maximized and fullscreen windows: what the shrinking
	 * outputs did to the floating ones. HEADLESS-2's two (800,420 and
	 * 400,210 of it) fit in its 960x540 and stayed. On HEADLESS-1, 720
	 * wide since its transform, the xdg window (810,440 of it, 300x200)
	 * came in to 420,440 of it, under the X11 one at 520,465 of it.
	 */
	/*
	 * The fullscreen window's floating place was centred on HEADLESS-2
	 * (2730,440, 300x200) and would stick out of its 960x540 since the
	 * scale: it came inside with it, to 2580,340, which is where it goes
	 * when it leaves fullscreen (660,340 of grim's picture).
	 */
	ph_write_line(&f, "unfullscreen");
	told_f = WM_EXPECT(&f, line, "configure 300 200 ") && strstr(line, "fullscreen") == NULL;
	shown = scaled_box_at(&c, scale1, F_COLOUR, 660, 340, 300, 200, 1680, 1280, why,
		sizeof(why));
	ph_ok(told_f && shown, "unfullscreen: the window is told 300x200 and its place is on "
		"HEADLESS-2, moved in when the scale shrank it (grim -s 1: %s)", why);

	ph_kill(&foot);
	ph_write_line(&m, "quit");
	ph_write_line(&f, "quit");
	bool gone = ph_wait(&m, WM_WAIT_MS) == 0 && ph_wait(&f, WM_WAIT_MS) == 0;
	shown = scaled_box_at(&c, scale1, D_COLOUR, 800, 420, 160, 120, 1680, 1280, why,
		sizeof(why)) &&
		scaled_box_at(&c, scale1, E_COLOUR, 400, 210, 160, 120, 1680, 1280, why2,
			sizeof(why2));
	unmoved = box_at(&c, scale1, A_COLOUR, 1380, 440, 300, 200, 300 * 200 - 200 * 150, 1680,
		1280, why3, sizeof(why3)) &&
		box_at(&c, scale1, C_COLOUR, 1480, 465, 200, 150, 0, 1680, 1280, why3, sizeof(why3));
	ph_ok(gone && shown && unmoved, "floating windows that were off their narrowed output "
		"are back on it, moved the least distance; those that fit stay (grim -s 1: %s; %s; "
		"%s)", why, why2, why3);

	ph_write_line(&a, "quit");
	ph_write_line(&d, "quit");
	ph_write_line(&e, "quit");
	ph_write_line(&x11, "quit");
	bool exits = ph_wait(&a, WM_WAIT_MS) == 0 && ph_wait(&d, WM_WAIT_MS) == 0 &&
		ph_wait(&e, WM_WAIT_MS) == 0 && ph_wait(&x11, WM_WAIT_MS) == 0;
	ph_ok(exits, "the windows' clients exit cleanly");
	probe_cmd(&probe, "quit", NULL);
	ph_wait(&probe.process, 5000);
	ph_write_line(&toplevels, "quit");
	ph_ok(ph_wait(&toplevels, WM_WAIT_MS) == 0, "ph-toplevels saw no protocol error");
	ph_compositor_finish(&c);
	return ph_finish();
}
