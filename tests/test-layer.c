/*
 * wlr-layer-shell with the helper clients of a real desktop, each checked on
 * what it did: swaybg's colour where no window is, waybar's bar at the top
 * with windows placed below it, a mako notification on the overlay layer
 * (over a fullscreen window, which itself covers the bar; neither appears in
 * a toplevel capture), fuzzel taking the keyboard, launching a .desktop entry
 * and giving the keyboard back, `grim -g "$(slurp)"` cropping exactly what a
 * virtual pointer dragged, mako's output=NULL surface on the output under the
 * pointer, and layer surfaces closed when their output goes away.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include "harness.h"
#include "media.h"
#include "probe.h"

#define WIDTH 640
#define HEIGHT 480
#define BAR_HEIGHT 30
#define BACKGROUND 0xff336699u /* swaybg -c */
#define BAR 0xff00ff00u /* waybar's CSS */
#define NOTIFICATION 0xffff00ffu /* mako's background-color */
#define WINDOW 0xffff0000u
#define FULLSCREEN 0xff0000ffu

/* mako: 200 px wide, 10 px from the top-right corner of the usable area. */
#define NOTE_X (WIDTH - 10 - 200)
#define NOTE_Y (BAR_HEIGHT + 10)

static const char waybar_config[] =
	"{\"layer\": \"top\", \"position\": \"top\", \"height\": 30, \"exclusive\": true,\n"
	" \"modules-left\": [], \"modules-center\": [], \"modules-right\": []}\n";
static const char waybar_style[] =
	"* { border: none; border-radius: 0; min-height: 0; margin: 0; padding: 0; }\n"
	"window#waybar { background-color: #00ff00; }\n";
/* The 20 px padding keeps the text away from the band the test checks. */
static const char mako_config[] =
	"layer=overlay\nanchor=top-right\nwidth=200\nheight=100\nmargin=10\npadding=20\n"
	"border-size=0\nborder-radius=0\nbackground-color=#ff00ff\ntext-color=#000000\n"
	"default-timeout=0\n";

static bool wait_log(struct ph_compositor *c, const char *needle, int timeout_ms) {
	for (int64_t end = ph_now_ms() + timeout_ms; ph_now_ms() < end;) {
		if (ph_compositor_log_contains(c, needle)) {
			return true;
		}
		ph_sleep_ms(50);
	}
	return false;
}

/* grim with extra arguments into scratch/NAME, loaded; false (and a failed check) if not. */
static bool grim(struct ph_compositor *c, const char *name, const char *const *args,
		struct ph_image *image) {
	const char *argv[8] = {"grim"};
	int argc = 1;
	for (int i = 0; args != NULL && args[i] != NULL && argc < 6; i++) {
		argv[argc++] = args[i];
	}
	argv[argc++] = ph_scratch(name);
	char out[2048];
	int code = ph_run(c, argv, 10000, out, sizeof(out));
	if (code != 0 || !ph_image_load(ph_scratch(name), image)) {
		ph_ok(false, "grim %s: exit %d %s", name, code, out);
		return false;
	}
	return true;
}

struct expect_rect {
	int x, y, width, height;
	uint32_t argb;
	const char *what;
};

static void check_rects(const char *what, const struct ph_image *image,
		const struct expect_rect *rects, size_t count) {
	char why[256] = "";
	bool ok = true;
	const char *failed = "";
	for (size_t i = 0; i < count && ok; i++) {
		ok = ph_image_rect_is(image, rects[i].x, rects[i].y, rects[i].width, rects[i].height,
			rects[i].argb, why, sizeof(why));
		failed = rects[i].what;
	}
	if (ok) {
		ph_ok(true, "%s", what);
	} else {
		ph_ok(false, "%s: %s: %s", what, failed, why);
	}
}

/* grim until every rect is as expected (8 s at most), then one check of the last picture. */
static void wait_rects(struct ph_compositor *c, const char *what, const char *name,
		const struct expect_rect *rects, size_t count) {
	int64_t deadline = ph_now_ms() + 8000;
	for (;;) {
		struct ph_image image;
		if (!grim(c, name, NULL, &image)) {
			return;
		}
		bool ok = true;
		for (size_t i = 0; i < count && ok; i++) {
			ok = ph_image_rect_is(&image, rects[i].x, rects[i].y, rects[i].width,
				rects[i].height, rects[i].argb, NULL, 0);
		}
		if (ok || ph_now_ms() >= deadline) {
			check_rects(what, &image, rects, count);
			ph_image_finish(&image);
			return;
		}
		ph_image_finish(&image);
		ph_sleep_ms(100);
	}
}

static bool read_until(struct ph_process *p, const char *prefix, char *line, size_t size,
		int timeout_ms) {
	return ph_expect_line(p, prefix, line, size, timeout_ms);
}

static void toplevel_identifier(struct ph_compositor *c, const char *app_id, char *id,
		size_t size) {
	char out[4096], needle[128];
	snprintf(needle, sizeof(needle), "app_id=%s", app_id);
	id[0] = '\0';
	ph_run(c, (const char *[]){ph_path("capture-shm"), "-l", NULL}, 10000, out, sizeof(out));
	for (char *l = strtok(out, "\n"); l != NULL; l = strtok(NULL, "\n")) {
		if (strncmp(l, "toplevel ", 9) == 0 && strstr(l, needle) != NULL) {
			char format[16];
			snprintf(format, sizeof(format), "%%%zus", size - 1);
			sscanf(l + 9, format, id);
		}
	}
}

static void test_fullscreen(struct ph_compositor *c) {
	struct ph_process fs;
	ph_spawn(c, &fs, (const char *[]){ph_path("ph-paint"), "--fullscreen", "--color",
		"0xff0000ff", "--app-id", "layer-fullscreen", NULL}, PH_PIPE_STDOUT);
	char line[256];
	ph_ok(read_until(&fs, "ready", line, sizeof(line), 10000), "fullscreen window: %s", line);
	struct ph_image image;
	if (grim(c, "fullscreen.png", NULL, &image)) {
		const struct expect_rect rects[] = {
			{0, 0, WIDTH, BAR_HEIGHT, FULLSCREEN, "the bar (top layer) is covered"},
			{0, 0, NOTE_X, HEIGHT, FULLSCREEN, "the window covers the output"},
			{NOTE_X, NOTE_Y, 200, 10, NOTIFICATION, "the notification (overlay) is over it"},
		};
		check_rects("fullscreen: covers top, not overlay", &image, rects, 3);
		ph_image_finish(&image);
	}
	char id[128];
	toplevel_identifier(c, "layer-fullscreen", id, sizeof(id));
	if (id[0] != '\0' && grim(c, "fullscreen-toplevel.png", (const char *[]){"-T", id, NULL},
			&image)) {
		char why[128] = "";
		bool ok = image.width == WIDTH && image.height == HEIGHT &&
			ph_image_rect_is(&image, 0, 0, WIDTH, HEIGHT, FULLSCREEN, why, sizeof(why));
		ph_ok(ok, "grim -T of the fullscreen window: %dx%d, only its own pixels, no "
			"notification (%s)", image.width, image.height, why);
		ph_image_finish(&image);
	} else {
		ph_ok(false, "fullscreen window listed as a toplevel");
	}
	ph_kill(&fs);
}

/*
 * fuzzel takes the keyboard (exclusive) from the focused window, launches
 * the entry typed into it, and the window gets the keyboard back.
 */
static void test_fuzzel(struct ph_compositor *c, struct ph_process *window,
		struct probe *probe) {
	char entry[1024];
	mkdir(ph_scratch("apps"), 0700);
	mkdir(ph_scratch("apps/applications"), 0700);
	snprintf(entry, sizeof(entry),
		"[Desktop Entry]\nType=Application\nName=Pinhole Layer Probe\n"
		"Exec=sh -c 'echo launched > %s'\n", ph_scratch("launched.txt"));
	ph_write_file(ph_scratch("apps/applications/pinhole-layer-probe.desktop"), entry);
	/* Listed first: Enter launches it unless the typed name reached fuzzel. */
	snprintf(entry, sizeof(entry),
		"[Desktop Entry]\nType=Application\nName=Pinhole Decoy\n"
		"Exec=sh -c 'echo decoy > %s'\n", ph_scratch("launched.txt"));
	ph_write_file(ph_scratch("apps/applications/pinhole-decoy.desktop"), entry);
	/* Only the test's entry: fuzzel must not find (and the test not launch) anything else. */
	setenv("XDG_DATA_DIRS", ph_scratch("apps"), 1);
	setenv("XDG_DATA_HOME", ph_scratch("apps"), 1);
	unlink(ph_scratch("launched.txt"));

	struct ph_process fuzzel;
	ph_spawn_logged(c, &fuzzel, "fuzzel.log", "fuzzel --no-icons --width 30 --lines 5");
	bool mapped = wait_log(c, "layer surface 'launcher' mapped on HEADLESS-1, layer", 10000);
	char line[256];
	bool left = read_until(window, "keyboard-leave", line, sizeof(line), 5000);
	ph_ok(mapped && left, "fuzzel mapped (%d) and took the keyboard from the window (%d)",
		mapped, left);
	if (!mapped) {
		ph_dump_tail("fuzzel", ph_scratch("fuzzel.log"), 2000);
	}

	char out[1024];
	int code = ph_run(c, (const char *[]){"wlrctl", "keyboard", "type", "Layer Probe", NULL},
		10000, out, sizeof(out));
	/* wlrctl's keymap has no Return: Enter (evdev 28) comes from the probe's keyboard. */
	bool enter = probe_cmd(probe, "key 28", "key");
	bool launched = false;
	for (int64_t end = ph_now_ms() + 10000; ph_now_ms() < end && !launched;) {
		launched = ph_file_contains(ph_scratch("launched.txt"), "launched");
		if (!launched) {
			ph_sleep_ms(50);
		}
	}
	ph_ok(launched && enter, "typed 'Layer Probe' (wlrctl exit %d %s) and Enter into fuzzel: "
		"that entry's command ran, not the decoy's", code, out);
	int status = ph_wait(&fuzzel, 10000);
	ph_ok(status == 0, "fuzzel exited after launching: %d", status);

	/* The window got the keyboard back, and none of the typed keys on the way. */
	bool keys = false, entered = false;
	for (int64_t end = ph_now_ms() + 5000; ph_now_ms() < end && !entered;) {
		if (!ph_read_line(window, line, sizeof(line), 1000)) {
			continue;
		}
		keys = keys || strncmp(line, "key ", 4) == 0;
		entered = strncmp(line, "keyboard-enter", 14) == 0;
	}
	ph_ok(entered && !keys, "the keyboard went back to the window (%d), which saw none of "
		"fuzzel's keys (%d)", entered, !keys);
}

/* `grim -g "$(slurp)"` with a press-drag-release of a virtual pointer. */
static void test_slurp(struct ph_compositor *c, struct probe *probe) {
	char cmd[1024];
	/* slurp's protocol trace goes to the log that a failure shows. */
	snprintf(cmd, sizeof(cmd),
		"exec 2>'%s'; g=$(WAYLAND_DEBUG=1 slurp) && echo \"$g\" > '%s' && grim -g \"$g\" '%s'",
		ph_scratch("slurp.log"), ph_scratch("slurp.txt"), ph_scratch("slurp.png"));
	struct ph_process shell;
	ph_spawn(c, &shell, (const char *[]){"sh", "-c", cmd, NULL}, 0);
	bool mapped = wait_log(c, "layer surface 'selection' mapped on HEADLESS-1", 10000);
	ph_ok(mapped, "slurp's selection surface mapped");
	/*
	 * From inside the window (red, 0,30 200x150) out onto the background; slurp
	 * counts both end pixels: 150,100 to 250,200 is 101x101.
	 */
	bool dragged = probe_cmd(probe, "pointer 150 100 640 480", "moved") &&
		probe_cmd(probe, "press", "pressed") &&
		probe_cmd(probe, "pointer 200 130 640 480", "moved") &&
		probe_cmd(probe, "pointer 250 200 640 480", "moved") &&
		probe_cmd(probe, "release", "released");
	int status = ph_wait(&shell, 15000);
	char *geometry = ph_read_file(ph_scratch("slurp.txt"));
	if (status != 0) {
		ph_dump_tail("slurp and grim", ph_scratch("slurp.log"), 4000);
	}
	bool reported = geometry != NULL && strcmp(geometry, "150,100 101x101\n") == 0;
	ph_ok(dragged && status == 0 && reported,
		"slurp reports the dragged box: '%s' (exit %d)",
		geometry != NULL ? strtok(geometry, "\n") : "(none)", status);
	free(geometry);
	struct ph_image image;
	if (ph_image_load(ph_scratch("slurp.png"), &image)) {
		const struct expect_rect rects[] = {
			{0, 0, 50, 80, WINDOW, "the window's part"},
			{50, 0, 51, 101, BACKGROUND, "the background right of it"},
			{0, 80, 50, 21, BACKGROUND, "the background under it"},
		};
		char what[128];
		snprintf(what, sizeof(what), "grim -g \"$(slurp)\": %dx%d, exactly the dragged region",
			image.width, image.height);
		if (image.width == 101 && image.height == 101) {
			check_rects(what, &image, rects, 3);
		} else {
			ph_ok(false, "%s", what);
		}
		ph_image_finish(&image);
	} else {
		ph_ok(false, "grim -g \"$(slurp)\" wrote a picture");
	}
}

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 150);
	const char *const needed[] = {"swaybg", "waybar", "mako", "makoctl", "notify-send",
		"fuzzel", "slurp", "wlrctl", "grim"};
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		char path[64];
		snprintf(path, sizeof(path), "/usr/bin/%s", needed[i]);
		if (access(path, X_OK) != 0) {
			ph_ok(false, "%s is installed (tools/dev's root has it)", needed[i]);
			return ph_finish();
		}
	}
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "640x480", NULL})) {
		ph_ok(false, "compositor started");
		return ph_finish();
	}
	mkdir(ph_scratch("home"), 0700);
	setenv("HOME", ph_scratch("home"), 1);
	setenv("XDG_CONFIG_HOME", ph_scratch("home"), 1);
	struct ph_process bus;
	ph_session_bus_start(&c, &bus, NULL);

	/* swaybg: its colour everywhere, nothing else on screen yet. */
	struct ph_process swaybg;
	ph_spawn_logged(&c, &swaybg, "swaybg.log", "swaybg -c '#336699'");
	ph_ok(wait_log(&c, "layer surface 'wallpaper' mapped on HEADLESS-1, layer background",
		10000), "swaybg's wallpaper mapped on the background layer");
	struct ph_image image;
	if (grim(&c, "swaybg.png", NULL, &image)) {
		const struct expect_rect rects[] = {{0, 0, WIDTH, HEIGHT, BACKGROUND, "the screen"}};
		check_rects("swaybg -c '#336699': every pixel", &image, rects, 1);
		ph_image_finish(&image);
	}

	/* waybar: a 30 px bar at the top; a window then maps below it. */
	ph_write_file(ph_scratch("waybar.json"), waybar_config);
	ph_write_file(ph_scratch("waybar.css"), waybar_style);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "waybar -c '%s' -s '%s'", ph_scratch("waybar.json"),
		ph_scratch("waybar.css"));
	struct ph_process waybar;
	ph_spawn_logged(&c, &waybar, "waybar.log", cmd);
	bool bar = wait_log(&c, "layer surface 'waybar' mapped on HEADLESS-1, layer top", 20000);
	ph_ok(bar, "waybar mapped on the top layer");
	if (!bar) {
		ph_dump_tail("waybar", ph_scratch("waybar.log"), 2000);
	}
	/* A keyboard for the whole test, so that focus changes show in the window's events. */
	struct probe probe;
	probe_start(&c, &probe);
	ph_ok(probe_cmd(&probe, "keyboard", "keyboard"), "virtual keyboard: %s", probe.line);
	struct ph_process window;
	ph_spawn(&c, &window, (const char *[]){ph_path("ph-paint"), "--color", "0xffff0000",
		"--app-id", "layer-window", "--input", NULL}, PH_PIPE_STDOUT);
	char line[256];
	bool ready = false, focused = false;
	for (int64_t end = ph_now_ms() + 10000; ph_now_ms() < end && !(ready && focused);) {
		if (ph_read_line(&window, line, sizeof(line), 1000)) {
			ready = ready || strncmp(line, "ready", 5) == 0;
			focused = focused || strncmp(line, "keyboard-enter", 14) == 0;
		}
	}
	ph_ok(ready && focused, "window mapped (%d) and has the keyboard (%d)", ready, focused);
	if (grim(&c, "waybar.png", NULL, &image)) {
		const struct expect_rect rects[] = {
			{0, 0, WIDTH, BAR_HEIGHT, BAR, "the bar"},
			{0, BAR_HEIGHT, 200, 150, WINDOW, "the window right below the bar"},
			{200, BAR_HEIGHT, WIDTH - 200, HEIGHT - BAR_HEIGHT, BACKGROUND, "the background"},
			{0, BAR_HEIGHT + 150, 200, HEIGHT - BAR_HEIGHT - 150, BACKGROUND, "the background"},
		};
		check_rects("waybar: the bar at the top, the window placed below it", &image, rects,
			4);
		ph_image_finish(&image);
	}

	/* mako on the overlay layer, below the bar's exclusive zone. */
	ph_write_file(ph_scratch("mako.conf"), mako_config);
	snprintf(cmd, sizeof(cmd), "mako -c '%s'", ph_scratch("mako.conf"));
	struct ph_process mako;
	ph_spawn_logged(&c, &mako, "mako.log", cmd);
	bool owned = false;
	for (int64_t end = ph_now_ms() + 10000; ph_now_ms() < end && !owned;) {
		char out[512];
		owned = ph_run(&c, (const char *[]){"makoctl", "mode", NULL}, 5000, out,
			sizeof(out)) == 0;
		if (!owned) {
			ph_sleep_ms(100);
		}
	}
	ph_ok(owned, "mako answers on the session bus");
	char out[1024];
	int code = ph_run(&c, (const char *[]){"notify-send", "Layer", "test", NULL}, 10000, out,
		sizeof(out));
	bool note = wait_log(&c, "layer surface 'notifications' mapped on HEADLESS-1, layer overlay",
		10000);
	ph_ok(code == 0 && note, "notify-send (exit %d %s): mako's surface mapped on the overlay "
		"layer", code, out);
	if (!note) {
		ph_dump_tail("mako", ph_scratch("mako.log"), 2000);
	}
	if (grim(&c, "mako.png", NULL, &image)) {
		const struct expect_rect rects[] = {
			{NOTE_X, NOTE_Y, 200, 15, NOTIFICATION, "the notification's top band"},
			{NOTE_X, BAR_HEIGHT, 200, 10, BACKGROUND, "its margin below the bar"},
			{NOTE_X - 10, NOTE_Y, 10, 15, BACKGROUND, "its margin on the left"},
			{0, 0, WIDTH, BAR_HEIGHT, BAR, "the bar"},
			{0, BAR_HEIGHT, 200, 150, WINDOW, "the window"},
		};
		check_rects("mako: the notification at the top-right of the usable area", &image,
			rects, 5);
		ph_image_finish(&image);
	}

	/* Layer surfaces stay out of a toplevel capture: only the window's pixels. */
	char id[128];
	toplevel_identifier(&c, "layer-window", id, sizeof(id));
	if (id[0] != '\0' && grim(&c, "toplevel.png", (const char *[]){"-T", id, NULL}, &image)) {
		char why[128] = "";
		bool ok = image.width == 200 && image.height == 150 &&
			ph_image_rect_is(&image, 0, 0, 200, 150, WINDOW, why, sizeof(why));
		ph_ok(ok, "grim -T of the window: %dx%d, its own pixels only (%s)", image.width,
			image.height, why);
		ph_image_finish(&image);
	} else {
		ph_ok(false, "window listed as a toplevel");
	}

	test_fullscreen(&c);
	/* The fullscreen window is gone: the keyboard is the first window's again. */
	ph_ok(read_until(&window, "keyboard-enter", line, sizeof(line), 5000),
		"focus back to the window after the fullscreen one closed");

	test_fuzzel(&c, &window, &probe);

	test_slurp(&c, &probe);

	/*
	 * output=NULL (mako asks for none) means the output under the pointer; a
	 * second output gets a wallpaper and a bar of its own, and when it goes
	 * away its layer surfaces are closed while their clients live on.
	 */
	code = ph_run(&c, (const char *[]){"makoctl", "dismiss", "--all", NULL}, 10000, out,
		sizeof(out));
	ph_ok(code == 0 && wait_log(&c, "layer surface 'notifications' unmapped", 10000),
		"makoctl dismiss --all: the notification surface went away (exit %d %s)", code, out);
	kill(c.pid, SIGUSR1);
	bool second = wait_log(&c, "layer surface 'wallpaper' mapped on HEADLESS-2", 10000) &&
		wait_log(&c, "layer surface 'waybar' mapped on HEADLESS-2", 10000);
	ph_ok(second, "a new output HEADLESS-2 gets swaybg's wallpaper and waybar's bar");
	/* HEADLESS-2 sits right of HEADLESS-1 in a 1280x480 layout. */
	probe_cmd(&probe, "pointer 900 300 1280 480", "moved");
	code = ph_run(&c, (const char *[]){"notify-send", "Second", "output", NULL}, 10000, out,
		sizeof(out));
	ph_ok(code == 0 && wait_log(&c,
		"layer surface 'notifications' mapped on HEADLESS-2, layer overlay", 10000),
		"output=NULL: mako's next notification is on HEADLESS-2, under the pointer");
	kill(c.pid, SIGUSR2);
	bool closed = wait_log(&c, "layer surface 'wallpaper': its output HEADLESS-2", 10000) &&
		wait_log(&c, "layer surface 'waybar': its output HEADLESS-2", 10000);
	ph_ok(closed, "HEADLESS-2 removed: its wallpaper and bar were closed");
	if (grim(&c, "after.png", NULL, &image)) {
		const struct expect_rect rects[] = {
			{0, 0, WIDTH, BAR_HEIGHT, BAR, "the bar"},
			{0, BAR_HEIGHT, 200, 150, WINDOW, "the window"},
			{200, BAR_HEIGHT, 200, 100, BACKGROUND, "the background"},
		};
		char what[128];
		snprintf(what, sizeof(what), "HEADLESS-1 is untouched (%dx%d)", image.width,
			image.height);
		check_rects(what, &image, rects, 3);
		ph_image_finish(&image);
	}
	ph_ok(!ph_exited(&swaybg) && !ph_exited(&waybar) && !ph_exited(&mako),
		"swaybg, waybar and mako live on (swaybg %d, waybar %d, mako %d)",
		!ph_exited(&swaybg), !ph_exited(&waybar), !ph_exited(&mako));

	/*
	 * A maximized window fills what waybar's exclusive zone leaves, and the
	 * whole output once waybar is gone (ph-paint draws at the size it is
	 * configured to). mako goes first: its notification would cover the
	 * top-right corner.
	 */
	ph_kill(&mako);
	code = ph_run(&c, (const char *[]){"wlrctl", "toplevel", "maximize", "app_id:layer-window",
		NULL}, 5000, out, sizeof(out));
	ph_ok(code == 0, "wlrctl toplevel maximize app_id:layer-window (exit %d %s)", code, out);
	const struct expect_rect under_bar[] = {
		{0, 0, WIDTH, BAR_HEIGHT, BAR, "the bar"},
		{0, BAR_HEIGHT, WIDTH, HEIGHT - BAR_HEIGHT, WINDOW, "the maximized window"},
	};
	wait_rects(&c, "maximized: the window fills the output below waybar's bar",
		"maximized.png", under_bar, 2);
	ph_kill(&waybar);
	const struct expect_rect whole[] = {{0, 0, WIDTH, HEIGHT, WINDOW, "the window"}};
	wait_rects(&c, "waybar killed: its exclusive zone is gone and the maximized window "
		"fills the whole output", "maximized-nobar.png", whole, 1);

	probe_cmd(&probe, "quit", NULL);
	ph_wait(&probe.process, 5000);
	ph_kill(&window);
	ph_kill(&mako);
	ph_kill(&waybar);
	ph_kill(&swaybg);
	ph_session_bus_stop(&bus);
	ph_compositor_finish(&c);
	return ph_finish();
}
