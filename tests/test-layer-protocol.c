/*
 * The layer shell, request by request, with tests/clients/ph-layer (which
 * prints what the compositor tells it) and grim for the pixels: anchors,
 * margins and exclusive zones, where windows go, popups of layer surfaces
 * kept on the output and those of windows in the usable area, keyboard
 * interactivity (exclusive holds the keyboard against clicks and hands it
 * back, on_demand takes it on click and gives it up to a clicked window),
 * laid out again when the output turns, closed when it is turned off or
 * goes, and the protocol's errors for an exclusive edge the surface is not
 * anchored to and for a size of 0 on a side not anchored to both edges.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "harness.h"
#include "probe.h"

#define BLACK 0xff000000u
#define PANEL 0xff00ff00u
#define CORNER 0xff0000ffu
#define WINDOW 0xffff0000u
#define POPUP 0xff00ffffu
#define BAR 0xffffff00u

/* Keyboard focus given on map comes before "mapped": *entered says whether it came. */
static bool spawn_layer_focus(struct ph_compositor *c, struct ph_process *p, const char *what,
		const char *const *args, bool *entered) {
	const char *argv[24] = {ph_path("ph-layer")};
	int argc = 1;
	for (int i = 0; args[i] != NULL && argc < 23; i++) {
		argv[argc++] = args[i];
	}
	ph_spawn(c, p, argv, PH_PIPE_STDOUT);
	char line[256] = "";
	bool mapped = false;
	*entered = false;
	for (int64_t end = ph_now_ms() + 10000; ph_now_ms() < end && !mapped;) {
		if (ph_read_line(p, line, sizeof(line), 500)) {
			*entered = *entered || strcmp(line, "keyboard-enter") == 0;
			mapped = strncmp(line, "mapped", 6) == 0;
		}
	}
	ph_ok(mapped, "%s: %s", what, mapped ? line : "not mapped");
	return mapped;
}

static bool spawn_layer(struct ph_compositor *c, struct ph_process *p, const char *what,
		const char *const *args) {
	bool entered;
	return spawn_layer_focus(c, p, what, args, &entered);
}

static bool grim_image(struct ph_compositor *c, const char *name, struct ph_image *image) {
	char out[1024];
	int code = ph_run(c, (const char *[]){"grim", ph_scratch(name), NULL}, 10000, out,
		sizeof(out));
	bool ok = code == 0 && ph_image_load(ph_scratch(name), image);
	if (!ok) {
		ph_ok(false, "grim %s: exit %d %s", name, code, out);
	}
	return ok;
}

static bool rect_is(const struct ph_image *image, int x, int y, int w, int h, uint32_t argb,
		const char *what, char *why, size_t size) {
	char detail[160];
	if (ph_image_rect_is(image, x, y, w, h, argb, detail, sizeof(detail))) {
		return true;
	}
	snprintf(why, size, "%s: %s", what, detail);
	return false;
}

/* Reads lines until one starts with prefix; false if a line starting with forbidden comes first. */
static bool expect_without(struct ph_process *p, const char *prefix, const char *forbidden,
		int timeout_ms, bool *saw_forbidden) {
	char line[256];
	*saw_forbidden = false;
	for (int64_t end = ph_now_ms() + timeout_ms; ph_now_ms() < end;) {
		if (!ph_read_line(p, line, sizeof(line), 500)) {
			continue;
		}
		if (forbidden != NULL && strncmp(line, forbidden, strlen(forbidden)) == 0) {
			*saw_forbidden = true;
		}
		if (strncmp(line, prefix, strlen(prefix)) == 0) {
			return true;
		}
	}
	return false;
}

static void test_geometry(struct ph_compositor *c) {
	/* A 50 px panel 10 px from the left edge, full height, claiming its width. */
	struct ph_process panel, corner, window;
	spawn_layer(c, &panel, "left panel mapped", (const char *[]){"--layer", "top",
		"--anchor", "tlb", "--size", "50x0", "--margin", "0,0,0,10", "--exclusive", "50",
		"--color", "0xff00ff00", NULL});
	/* 40x30 in the bottom-right corner, 5 px from the right and 7 from the bottom. */
	spawn_layer(c, &corner, "corner surface mapped", (const char *[]){"--layer", "overlay",
		"--anchor", "br", "--size", "40x30", "--margin", "0,5,7,0", "--color", "0xff0000ff",
		NULL});
	ph_spawn(c, &window, (const char *[]){ph_path("ph-paint"), "--color", "0xffff0000", NULL},
		PH_PIPE_STDOUT);
	char line[256];
	ph_ok(ph_expect_line(&window, "ready", line, sizeof(line), 10000), "window: %s", line);

	struct ph_image image;
	if (grim_image(c, "geometry.png", &image)) {
		char why[256] = "";
		bool ok = rect_is(&image, 0, 0, 10, 480, BLACK, "left margin", why, sizeof(why)) &&
			rect_is(&image, 10, 0, 50, 480, PANEL, "panel", why, sizeof(why)) &&
			rect_is(&image, 60, 0, 200, 150, WINDOW, "window right of the zone (10 + 50)",
				why, sizeof(why)) &&
			rect_is(&image, 60, 150, 200, 10, BLACK, "under the window", why, sizeof(why)) &&
			rect_is(&image, 595, 443, 40, 30, CORNER, "corner surface", why, sizeof(why)) &&
			rect_is(&image, 635, 443, 5, 30, BLACK, "right margin", why, sizeof(why)) &&
			rect_is(&image, 595, 473, 40, 7, BLACK, "bottom margin", why, sizeof(why));
		ph_ok(ok, "anchors, margins, exclusive zone and window placement exact%s%s",
			ok ? "" : ": ", why);
		ph_image_finish(&image);
	}
	ph_kill(&window);
	ph_kill(&corner);
	ph_kill(&panel);
}

static void test_popup(struct ph_compositor *c) {
	/*
	 * A 40 px bottom bar asks for a 100x100 popup below its point (600,0):
	 * that is off the output at the bottom and the right, so it flips up and
	 * slides left, to 540,-99 relative to the bar.
	 */
	struct ph_process bar;
	spawn_layer(c, &bar, "bottom bar mapped", (const char *[]){"--layer", "bottom",
		"--anchor", "blr", "--size", "0x40", "--exclusive", "40", "--color", "0xffffff00",
		"--popup", "600,0+100x100:0xff00ffff", NULL});
	char line[256];
	bool configured = ph_expect_line(&bar, "popup ", line, sizeof(line), 10000);
	ph_ok(configured && strcmp(line, "popup 540 -99 100 100") == 0,
		"the bar's popup is unconstrained to the output: '%s'", configured ? line : "none");
	/* Its first buffer: the popup's ack and commit follow its configure at once. */
	struct probe probe;
	probe_start(c, &probe);
	probe_cmd(&probe, "roundtrips 2", "roundtrips");
	struct ph_image image;
	if (grim_image(c, "popup.png", &image)) {
		char why[256] = "";
		bool ok = rect_is(&image, 540, 341, 100, 100, POPUP, "popup", why, sizeof(why)) &&
			rect_is(&image, 0, 441, 540, 39, BAR, "bar", why, sizeof(why)) &&
			rect_is(&image, 0, 0, 640, 341, BLACK, "above", why, sizeof(why));
		ph_ok(ok, "the popup shows above the bar at 540,341%s%s", ok ? "" : ": ", why);
		ph_image_finish(&image);
	}

	/*
	 * A window's popup must stay in the usable area: 100x400 at 150,140 of a
	 * window at 0,0 reaches y 540, so it slides up to end where the bar's
	 * exclusive zone begins (y 440), not at the bottom of the output.
	 */
	struct ph_process window;
	ph_spawn(c, &window, (const char *[]){ph_path("ph-paint"), "--color", "0xffff0000",
		"--popup", "150x140+100x400:0xff00ffff", "--popup-slide", NULL}, PH_PIPE_STDOUT);
	bool shown = ph_expect_line(&window, "popup-ready", line, sizeof(line), 10000);
	if (grim_image(c, "window-popup.png", &image)) {
		char why[256] = "";
		bool ok = shown &&
			rect_is(&image, 150, 40, 100, 400, POPUP, "popup", why, sizeof(why)) &&
			rect_is(&image, 150, 440, 100, 40, BAR, "bar under it", why, sizeof(why)) &&
			rect_is(&image, 200, 0, 50, 40, BLACK, "above it", why, sizeof(why));
		ph_ok(ok, "a window's popup slides into the usable area, above the bar (shown %d)%s%s",
			shown, ok ? "" : ": ", why);
		ph_image_finish(&image);
	}
	ph_kill(&window);
	probe_cmd(&probe, "quit", NULL);
	ph_wait(&probe.process, 5000);
	ph_kill(&bar);
}

static void test_keyboard(struct ph_compositor *c, struct probe *probe) {
	struct ph_process window;
	ph_spawn(c, &window, (const char *[]){ph_path("ph-paint"), "--color", "0xffff0000",
		"--input", NULL}, PH_PIPE_STDOUT);
	bool forbidden;
	ph_ok(expect_without(&window, "keyboard-enter", NULL, 10000, &forbidden),
		"window mapped with the keyboard");

	/* exclusive on the overlay layer: takes the keyboard, keeps it against clicks. */
	struct ph_process prompt;
	bool entered;
	spawn_layer_focus(c, &prompt, "exclusive prompt mapped", (const char *[]){"--layer",
		"overlay", "--anchor", "bl", "--size", "50x50", "--keyboard", "exclusive", NULL},
		&entered);
	ph_ok(entered, "the exclusive prompt has the keyboard");
	ph_ok(expect_without(&window, "keyboard-leave", NULL, 5000, &forbidden),
		"the window lost it");
	probe_cmd(probe, "click 100 100 640 480", "clicked");
	/* Focus would change between the press and the release. */
	bool clicked = expect_without(&window, "pointer-button 272 released", "keyboard-enter",
		5000, &forbidden);
	probe_cmd(probe, "key 30", "key");
	bool key = expect_without(&prompt, "key 30 pressed", NULL, 5000, &forbidden);
	ph_ok(clicked && !forbidden && key, "a click on the window does not take the keyboard "
		"from it (clicked %d, window focused %d, key to the prompt %d)", clicked, forbidden,
		key);
	ph_kill(&prompt);
	ph_ok(expect_without(&window, "keyboard-enter", NULL, 5000, &forbidden),
		"prompt gone: the keyboard is back with the window");

	/* on_demand on the bottom layer: a click focuses it, a click on the window takes it back. */
	struct ph_process widget;
	spawn_layer(c, &widget, "on_demand widget mapped", (const char *[]){"--layer", "bottom",
		"--anchor", "tr", "--size", "100x100", "--keyboard", "on_demand", NULL});
	probe_cmd(probe, "click 600 50 640 480", "clicked");
	bool widget_focused = expect_without(&widget, "keyboard-enter", NULL, 5000, &forbidden);
	bool window_left = expect_without(&window, "keyboard-leave", NULL, 5000, &forbidden);
	ph_ok(widget_focused && window_left, "a click gives the on_demand surface the keyboard "
		"(widget %d, window left %d)", widget_focused, window_left);
	probe_cmd(probe, "click 100 100 640 480", "clicked");
	bool widget_left = expect_without(&widget, "keyboard-leave", NULL, 5000, &forbidden);
	bool window_back = expect_without(&window, "keyboard-enter", NULL, 5000, &forbidden);
	ph_ok(widget_left && window_back, "a click on the window takes it back (widget left %d, "
		"window %d)", widget_left, window_back);
	ph_kill(&widget);
	ph_kill(&window);
}

/* Reads lines until one is exactly want (a layout change may configure more than once). */
static bool expect_exact(struct ph_process *p, const char *want, int timeout_ms) {
	char line[256];
	for (int64_t end = ph_now_ms() + timeout_ms; ph_now_ms() < end;) {
		if (ph_read_line(p, line, sizeof(line), 500) && strcmp(line, want) == 0) {
			return true;
		}
	}
	return false;
}

/* A turned output is laid out again: a full-width bar gets the new width. */
static void test_relayout(struct ph_compositor *c) {
	struct ph_process bar;
	spawn_layer(c, &bar, "top bar mapped", (const char *[]){"--anchor", "tlr", "--size",
		"0x20", "--exclusive", "20", NULL});
	char out[1024];
	int code = ph_run(c, (const char *[]){"wlr-randr", "--output", "HEADLESS-1", "--transform",
		"90", NULL}, 10000, out, sizeof(out));
	ph_ok(code == 0 && expect_exact(&bar, "configure 480 20", 10000),
		"output turned by 90 degrees (wlr-randr exit %d %s): the bar is configured to its "
		"new width, 480", code, out);
	code = ph_run(c, (const char *[]){"wlr-randr", "--output", "HEADLESS-1", "--transform",
		"normal", NULL}, 10000, out, sizeof(out));
	ph_ok(code == 0 && expect_exact(&bar, "configure 640 20", 10000),
		"and back to 640 (wlr-randr exit %d %s)", code, out);
	ph_kill(&bar);
}

static void test_closed(struct ph_compositor *c) {
	kill(c->pid, SIGUSR1);
	bool added = false;
	for (int64_t end = ph_now_ms() + 10000; ph_now_ms() < end && !added;) {
		added = ph_compositor_log_contains(c, "output HEADLESS-2 added");
		if (!added) {
			ph_sleep_ms(50);
		}
	}
	ph_ok(added, "a second output, HEADLESS-2");
	struct ph_process first, second;
	/* Turned off, an output leaves the layout: its surfaces will not show again. */
	struct ph_process off;
	spawn_layer(c, &off, "surface on HEADLESS-2 mapped", (const char *[]){"--output", "1",
		"--anchor", "t", "--size", "100x20", NULL});
	char out[1024], line[256];
	int code = ph_run(c, (const char *[]){"wlr-randr", "--output", "HEADLESS-2", "--off",
		NULL}, 10000, out, sizeof(out));
	ph_ok(code == 0 && ph_expect_line(&off, "closed", line, sizeof(line), 10000),
		"HEADLESS-2 turned off (wlr-randr exit %d %s): its layer surface got closed", code,
		out);
	ph_kill(&off);
	code = ph_run(c, (const char *[]){"wlr-randr", "--output", "HEADLESS-2", "--on", NULL},
		10000, out, sizeof(out));
	ph_ok(code == 0, "HEADLESS-2 on again: exit %d %s", code, out);
	/* With a popup open when its output goes. */
	bool mapped = spawn_layer(c, &second, "surface with a popup on HEADLESS-2 mapped",
		(const char *[]){"--output", "1", "--anchor", "t", "--size", "100x20", "--popup",
		"10,10+20x20:0xff00ffff", NULL}) &&
		ph_expect_line(&second, "popup ", line, sizeof(line), 10000);
	spawn_layer(c, &first, "surface on HEADLESS-1 mapped", (const char *[]){"--output", "0",
		"--anchor", "t", "--size", "100x20", "--color", "0xffffff00", NULL});
	kill(c->pid, SIGUSR2);
	bool closed = mapped && ph_expect_line(&second, "closed", line, sizeof(line), 10000);
	ph_ok(closed, "HEADLESS-2 removed: its layer surface got closed");
	struct ph_image image;
	if (grim_image(c, "closed.png", &image)) {
		char why[256] = "";
		bool ok = image.width == 640 &&
			rect_is(&image, 270, 0, 100, 20, BAR, "the surface on HEADLESS-1", why,
				sizeof(why));
		ph_ok(ok, "the other output's surface stays (%dx%d)%s%s", image.width, image.height,
			ok ? "" : ": ", why);
		ph_image_finish(&image);
	}
	ph_ok(!ph_exited(&second), "the client whose surface was closed is still connected");
	ph_kill(&second);
	ph_kill(&first);
}

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 80);
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "640x480", NULL})) {
		ph_ok(false, "compositor started");
		return ph_finish();
	}
	struct ph_process version;
	ph_spawn(&c, &version, (const char *[]){ph_path("ph-layer"), NULL}, PH_PIPE_STDOUT);
	char line[256];
	ph_ok(ph_expect_line(&version, "layer-shell", line, sizeof(line), 10000) &&
		strcmp(line, "layer-shell version 5") == 0, "zwlr_layer_shell_v1 offered at "
		"version 5 (exclusive_edge), the highest wlroots 0.20 has: '%s'", line);
	ph_kill(&version);

	test_geometry(&c);
	test_popup(&c);
	struct probe probe;
	probe_start(&c, &probe);
	ph_ok(probe_cmd(&probe, "keyboard", "keyboard"), "virtual keyboard");
	test_keyboard(&c, &probe);
	probe_cmd(&probe, "quit", NULL);
	ph_wait(&probe.process, 5000);

	/* An exclusive edge the surface is not anchored to: invalid_exclusive_edge (4). */
	struct ph_process bad;
	ph_spawn(&c, &bad, (const char *[]){ph_path("ph-layer"), "--anchor", "tl",
		"--exclusive", "20", "--exclusive-edge", "b", NULL}, PH_PIPE_STDOUT);
	bool error = ph_expect_line(&bad, "protocol-error", line, sizeof(line), 10000);
	ph_ok(error && strcmp(line, "protocol-error zwlr_layer_surface_v1 4") == 0,
		"exclusive edge bottom on a surface anchored top-left: '%s'",
		error ? line : "no error");
	ph_wait(&bad, 5000);

	/*
	 * A side of 0 without the anchors to both of its edges: invalid_size (1).
	 * The size is not the compositor's to give: no configure comes first.
	 */
	static const struct {
		const char *anchor, *size, *what;
	} zero_sizes[] = {
		{"l", "0x50", "width 0 anchored left only"},
		{"tb", "0x50", "width 0 anchored top and bottom"},
		{"lrt", "100x0", "height 0 anchored left, right and top"},
		{"", "0x0", "no size and no anchors"},
	};
	for (size_t i = 0; i < sizeof(zero_sizes) / sizeof(zero_sizes[0]); i++) {
		ph_spawn(&c, &bad, (const char *[]){ph_path("ph-layer"), "--anchor",
			zero_sizes[i].anchor, "--size", zero_sizes[i].size, NULL}, PH_PIPE_STDOUT);
		char before[256] = "";
		error = false;
		while (!error && ph_read_line(&bad, line, sizeof(line), 10000)) {
			error = strncmp(line, "protocol-error", 14) == 0;
			if (!error && strncmp(line, "configure", 9) == 0) {
				snprintf(before, sizeof(before), "%s", line);
			}
		}
		ph_ok(error && strcmp(line, "protocol-error zwlr_layer_surface_v1 1") == 0 &&
			before[0] == '\0', "%s: '%s'%s%s", zero_sizes[i].what, error ? line : "no error",
			before[0] != '\0' ? ", after " : "", before);
		ph_wait(&bad, 5000);
	}

	test_relayout(&c);
	test_closed(&c);
	ph_compositor_finish(&c);
	return ph_finish();
}
