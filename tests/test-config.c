/*
 * The configuration file and key bindings, end to end: bindings pressed
 * through a virtual keyboard (ph-keycombo) start commands whose files appear,
 * Print, Shift+Print (slurp stood in for) and Ctrl+Print leave PNGs in
 * XDG_PICTURES_DIR with the pixels ph-paint drew, a bad file on SIGHUP keeps the old bindings working and
 * logs FILE:LINE: reason, a good one changes them, an output section sets
 * mode, scale and position (as wlr-randr reports them), the exit binding
 * needs a second press within a second, and [keyboard] sets the keymap a
 * client receives (pinhole on Xvfb, keys from xdotool).
 */
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "harness.h"

#define WINDOW_COLOR 0xFF3366CCu
#define BLACK 0xFF000000u

static void write_text(const char *path, const char *text) {
	FILE *file = fopen(path, "w");
	fputs(text, file);
	fclose(file);
}

/*
 * One virtual keyboard for the whole test (ph-keycombo -), so that the seat keeps
 * its keyboard and ph-paint its wl_keyboard between presses.
 */
static struct ph_process keys;
static bool keys_running;

static bool press(struct ph_compositor *c, const char *combo) {
	if (keys_running) {
		char line[256];
		bool sent = ph_write_line(&keys, "%s", combo) &&
			ph_expect_line(&keys, "sent ", line, sizeof(line), 5000);
		if (!sent) {
			ph_diag("ph-keycombo did not press %s", combo);
		}
		return sent;
	}
	char out[1024];
	int code = ph_run(c, (const char *[]){ph_path("ph-keycombo"), combo, NULL}, 10000, out,
		sizeof(out));
	if (code != 0) {
		ph_diag("ph-keycombo %s: exit %d: %s", combo, code, out);
	}
	return code == 0;
}

/* Waits (the command runs on its own) until a file holds needle. */
static bool wait_for_text(const char *path, const char *needle, int timeout_ms) {
	int64_t end = ph_now_ms() + timeout_ms;
	while (ph_now_ms() < end) {
		if (ph_file_contains(path, needle)) {
			return true;
		}
		ph_sleep_ms(20);
	}
	return false;
}

/* The one PNG in dir whose name is not in `seen`, loaded once grim has finished it. */
static bool wait_for_png(const char *dir, char *seen, size_t seen_size, struct ph_image *image,
		char *name, size_t name_size) {
	int64_t end = ph_now_ms() + 10000;
	while (ph_now_ms() < end) {
		DIR *d = opendir(dir);
		struct dirent *entry;
		while (d != NULL && (entry = readdir(d)) != NULL) {
			size_t len = strlen(entry->d_name);
			if (len < 4 || strcmp(entry->d_name + len - 4, ".png") != 0 ||
					strstr(seen, entry->d_name) != NULL) {
				continue;
			}
			char path[1024];
			snprintf(path, sizeof(path), "%s/%s", dir, entry->d_name);
			/* grim writes in place: a picture that does not decode yet is still growing. */
			if (ph_image_load(path, image)) {
				snprintf(name, name_size, "%s", entry->d_name);
				strncat(seen, entry->d_name, seen_size - strlen(seen) - 2);
				strcat(seen, " ");
				closedir(d);
				return true;
			}
		}
		if (d != NULL) {
			closedir(d);
		}
		ph_sleep_ms(50);
	}
	return false;
}

/* The next "key ..." line of ph-paint --input that is not a modifier key's. */
static bool next_plain_key(struct ph_process *paint, char *line, size_t size) {
	static const char *const modifiers[] = {"Super_L", "Shift_L", "Control_L", "Alt_L"};
	while (ph_expect_line(paint, "key ", line, size, 5000)) {
		bool modifier = false;
		for (size_t i = 0; i < sizeof(modifiers) / sizeof(modifiers[0]); i++) {
			const char *end = line + strlen(line) - strlen(modifiers[i]);
			modifier |= end > line && strcmp(end, modifiers[i]) == 0;
		}
		if (!modifier) {
			return true;
		}
	}
	return false;
}

/* Without reaping it: ph_compositor_finish wants its exit status. */
static bool alive(struct ph_compositor *c) {
	siginfo_t info = {0};
	return c->pid > 0 && waitid(P_PID, (id_t)c->pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		info.si_pid != c->pid;
}

static void test_bindings(void) {
	const char *config = ph_scratch("config.ini");
	const char *mark = ph_scratch("terminal.mark");
	const char *mark2 = ph_scratch("binding.mark");
	const char *launched = ph_scratch("launcher.mark");
	const char *locked = ph_scratch("locker.mark");
	const char *started = ph_scratch("autostart.mark");
	const char *pictures = ph_scratch("Pictures");
	char text[4096];
	snprintf(text, sizeof(text),
		"# the test's configuration\n"
		"[general]\n"
		"terminal = echo terminal >> %s\n"
		"launcher = echo launcher >> %s\n"
		"locker = echo locker >> %s\n"
		"[bindings]\n"
		"Super+t = exec echo one >> %s\n"
		"[autostart]\n"
		"exec = echo first >> %s\n"
		"exec = echo second >> %s\n", mark, launched, locked, mark2, started, started);
	write_text(config, text);
	char pictures_env[600];
	snprintf(pictures_env, sizeof(pictures_env), "XDG_PICTURES_DIR=%s", pictures);
	/*
	 * slurp needs layer-shell and a user's drag; a stand-in first in PATH
	 * answers with the region a user would have chosen.
	 */
	const char *bin = ph_scratch("bin");
	mkdir(bin, 0700);
	char slurp[600];
	snprintf(slurp, sizeof(slurp), "%s/slurp", bin);
	write_text(slurp, "#!/bin/sh\necho '150,100 100x100'\n");
	chmod(slurp, 0755);
	static char path_env[4096];
	snprintf(path_env, sizeof(path_env), "PATH=%s:%s", bin, getenv("PATH"));
	struct ph_compositor c;
	if (!ph_compositor_start_env(&c, (const char *[]){"-c", config, "--mode", "640x480", NULL},
			(const char *[]){pictures_env, path_env, NULL})) {
		ph_ok(false, "compositor started with -c");
		return;
	}
	struct ph_process paint;
	ph_spawn(&c, &paint, (const char *[]){ph_path("ph-paint"), "--size", "200x150",
		"--color", "0xFF3366CC", "--app-id", "config-test", "--input", NULL}, PH_PIPE_STDOUT);
	char line[256];
	ph_ok(ph_expect_line(&paint, "ready", line, sizeof(line), 5000), "client mapped: %s", line);
	keys_running = ph_spawn(&c, &keys, (const char *[]){ph_path("ph-keycombo"), "-", NULL},
		PH_PIPE_STDIN | PH_PIPE_STDOUT) &&
		ph_expect_line(&keys, "ready", line, sizeof(line), 5000);
	ph_ok(keys_running && ph_expect_line(&paint, "keyboard-enter", line, sizeof(line), 5000),
		"a virtual keyboard, and the window has the keyboard focus");

	/* Started in order, each a process of its own (daemons, usually): they run side by side. */
	ph_ok(wait_for_text(started, "first\n", 5000) && wait_for_text(started, "second\n", 5000),
		"[autostart] commands ran, both of them");
	ph_ok(press(&c, "Super+Return") && wait_for_text(mark, "terminal", 5000),
		"Super+Return runs the configured terminal command");
	ph_ok(press(&c, "Super+t") && wait_for_text(mark2, "one", 5000),
		"a configured exec binding runs its command");
	ph_ok(press(&c, "Super+d") && wait_for_text(launched, "launcher", 5000),
		"Super+d runs the configured launcher");
	ph_ok(press(&c, "Super+Escape") && wait_for_text(locked, "locker", 5000),
		"Super+Escape runs the configured locker");
	/*
	 * An application's own shortcut is not taken: Ctrl+t reaches the window
	 * (evdev 20), and it is the first key other than a modifier that does:
	 * the bindings' keys before were all consumed.
	 */
	ph_ok(press(&c, "Ctrl+t") && next_plain_key(&paint, line, sizeof(line)) &&
		strcmp(line, "key 20 pressed t") == 0,
		"Ctrl+t is the application's: the first key the window gets (%s)", line);

	char seen[2048] = "", name[256];
	struct ph_image image;
	bool got = press(&c, "Print") && wait_for_png(pictures, seen, sizeof(seen), &image, name,
		sizeof(name));
	ph_ok(got, "Print: a PNG in XDG_PICTURES_DIR (%s)", got ? name : "none");
	if (got) {
		char why[128] = "", why_black[128] = "";
		bool ok = image.width == 640 && image.height == 480 &&
			ph_image_rect_is(&image, 0, 0, 200, 150, WINDOW_COLOR, why, sizeof(why)) &&
			ph_image_rect_is(&image, 200, 150, 440, 330, BLACK, why_black, sizeof(why_black));
		ph_ok(ok, "Print: the whole 640x480 output, the window's pixels at its place "
			"(%dx%d %s %s)", image.width, image.height, why, why_black);
		ph_image_finish(&image);
	}
	got = press(&c, "Ctrl+Print") && wait_for_png(pictures, seen, sizeof(seen), &image, name,
		sizeof(name));
	ph_ok(got, "Ctrl+Print: another PNG (%s)", got ? name : "none");
	if (got) {
		char why[128] = "";
		ph_ok(image.width == 200 && image.height == 150 &&
			ph_image_rect_is(&image, 0, 0, 200, 150, WINDOW_COLOR, why, sizeof(why)),
			"Ctrl+Print: exactly the focused window (%dx%d %s)", image.width, image.height,
			why);
		ph_image_finish(&image);
	}

	got = press(&c, "Shift+Print") && wait_for_png(pictures, seen, sizeof(seen), &image, name,
		sizeof(name));
	ph_ok(got, "Shift+Print: a third PNG (%s)", got ? name : "none");
	if (got) {
		/* The region 150,100 100x100: the window's bottom-right 50x50 corner, then black. */
		char why[128] = "", why_right[128] = "", why_below[128] = "";
		ph_ok(image.width == 100 && image.height == 100 &&
			ph_image_rect_is(&image, 0, 0, 50, 50, WINDOW_COLOR, why, sizeof(why)) &&
			ph_image_rect_is(&image, 50, 0, 50, 100, BLACK, why_right, sizeof(why_right)) &&
			ph_image_rect_is(&image, 0, 50, 50, 50, BLACK, why_below, sizeof(why_below)),
			"Shift+Print: exactly the region slurp chose (%dx%d %s %s %s)", image.width,
			image.height, why, why_right, why_below);
		ph_image_finish(&image);
	}

	ph_ok(press(&c, "Super+f") && ph_expect_line(&paint, "ready 640x480", line, sizeof(line),
		5000), "Super+f: the window is fullscreen (%s)", line);
	ph_ok(press(&c, "Super+f") && ph_expect_line(&paint, "ready 200x150", line, sizeof(line),
		5000), "Super+f again: back to its size (%s)", line);
	ph_ok(press(&c, "Super+Shift+q") && ph_wait(&paint, 5000) == 0,
		"Super+Shift+q: the window was asked to close and its client exited");

	/* A mistake on reload: the message names file and line, the old binding still works. */
	write_text(config, "[general]\n[bindings]\nSuper+t = explode\n");
	kill(c.pid, SIGHUP);
	char want[1024];
	snprintf(want, sizeof(want), "%s:3: unknown action 'explode'", config);
	int64_t end = ph_now_ms() + 5000;
	while (!ph_compositor_log_contains(&c, want) && ph_now_ms() < end) {
		ph_sleep_ms(20);
	}
	ph_ok(ph_compositor_log_contains(&c, want), "bad file on SIGHUP: '%s' logged", want);
	remove(mark2);
	ph_ok(press(&c, "Super+t") && wait_for_text(mark2, "one", 5000),
		"after the bad reload the old binding still runs its command");

	snprintf(text, sizeof(text), "[bindings]\nSuper+t = exec echo two >> %s\n", mark2);
	write_text(config, text);
	kill(c.pid, SIGHUP);
	end = ph_now_ms() + 5000;
	while (!ph_compositor_log_contains(&c, "configuration reloaded") && ph_now_ms() < end) {
		ph_sleep_ms(20);
	}
	remove(mark2);
	ph_ok(press(&c, "Super+t") && wait_for_text(mark2, "two", 5000) &&
		!ph_file_contains(mark2, "one"), "after a good SIGHUP reload the binding runs the new "
		"command");

	/* Exit: a lone press does nothing, two within a second end the session. */
	ph_ok(press(&c, "Super+Shift+e"), "exit pressed once");
	ph_sleep_ms(1300); /* the confirmation window is the behaviour under test */
	bool pressed = press(&c, "Super+Shift+e");
	/* A client served after the press: the compositor did not start to shut down. */
	char randr[4096];
	int randr_code = ph_run(&c, (const char *[]){"wlr-randr", NULL}, 10000, randr,
		sizeof(randr));
	ph_ok(pressed && randr_code == 0 && alive(&c),
		"a second press 1.3 s later is a new first press: still serving (wlr-randr exit %d)",
		randr_code);
	ph_sleep_ms(1300);
	press(&c, "Super+Shift+e");
	press(&c, "Super+Shift+e");
	end = ph_now_ms() + 5000;
	while (alive(&c) && ph_now_ms() < end) {
		ph_sleep_ms(20);
	}
	ph_ok(!alive(&c), "two presses within a second end the session");
	ph_kill(&paint);
	ph_kill(&keys);
	keys_running = false;
	/*
	 * The compositor has exited on its own: ph_compositor_finish only reaps it,
	 * so its status must be 0 and its log clean.
	 */
	ph_ok(ph_compositor_log_contains(&c, "exit confirmed"), "the log says why it ended");
	ph_compositor_finish(&c);
}

static int count_in_log(struct ph_compositor *c, const char *needle) {
	char *log = ph_read_file(c->log_path);
	int count = 0;
	for (const char *p = log; p != NULL && (p = strstr(p, needle)) != NULL; p++) {
		count++;
	}
	free(log);
	return count;
}

/* One output's lines of wlr-randr's listing (cut in place), or NULL. */
static char *output_block(char *listing, const char *name) {
	char *start = strstr(listing, name);
	if (start == NULL) {
		return NULL;
	}
	for (char *nl = strchr(start, '\n'); nl != NULL; nl = strchr(nl + 1, '\n')) {
		if (nl[1] != ' ' && nl[1] != '\0') {
			nl[1] = '\0';
			break;
		}
	}
	return start;
}

static void test_outputs(void) {
	const char *config = ph_scratch("outputs.ini");
	write_text(config,
		"[output:HEADLESS-1]\n"
		"position = 0,0\n"
		"[output:HEADLESS-2]\n"
		"mode = 320x200\n"
		"scale = 2\n"
		"position = 700,40\n");
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"-c", config, "--outputs", "2", "--mode",
			"640x480", NULL})) {
		ph_ok(false, "compositor with two outputs started");
		return;
	}
	char out[8192];
	int code = ph_run(&c, (const char *[]){"wlr-randr", NULL}, 10000, out, sizeof(out));
	const char *second = output_block(out, "HEADLESS-2");
	ph_ok(code == 0 && second != NULL, "wlr-randr lists HEADLESS-2 (exit %d)", code);
	if (second != NULL) {
		bool ok = strstr(second, "320x200 px") != NULL &&
			strstr(second, "Position: 700,40") != NULL && strstr(second, "Scale: 2.0") != NULL;
		ph_ok(ok, "HEADLESS-2 has the configured mode (320x200), position (700,40) and scale (2)");
		if (!ok) {
			ph_diag("wlr-randr:\n%s", second);
		}
	}
	/* And grim, independently: the whole layout is 700+160 wide at scale 2. */
	code = ph_run(&c, (const char *[]){"grim", ph_scratch("layout.png"), NULL}, 10000, out,
		sizeof(out));
	struct ph_image image = {0};
	bool loaded = code == 0 && ph_image_load(ph_scratch("layout.png"), &image);
	ph_ok(loaded && image.width == (700 + 160) * 2 && image.height == 480 * 2,
		"grim of everything: %dx%d (want %dx%d)", image.width, image.height, 860 * 2, 960);
	if (loaded) {
		ph_image_finish(&image);
	}

	/* A reload moves it. */
	write_text(config, "[output:HEADLESS-1]\nposition = 0,0\n"
		"[output:HEADLESS-2]\nmode = 320x200\nposition = 640,0\n");
	kill(c.pid, SIGHUP);
	int64_t end = ph_now_ms() + 5000;
	while (!ph_compositor_log_contains(&c, "configuration reloaded") && ph_now_ms() < end) {
		ph_sleep_ms(20);
	}
	code = ph_run(&c, (const char *[]){"wlr-randr", NULL}, 10000, out, sizeof(out));
	second = output_block(out, "HEADLESS-2");
	bool moved = code == 0 && second != NULL && strstr(second, "Position: 640,0") != NULL &&
		strstr(second, "Scale: 1.0") != NULL;
	ph_ok(moved, "after SIGHUP: moved to 640,0, scale back to 1");
	if (!moved) {
		ph_diag("wlr-randr:\n%s", second != NULL ? second : out);
	}

	/* Off and on again: out of the layout (grim sees one output), then back in it. */
	const char *sizes[] = {"enabled = no", "enabled = yes"};
	const int want_width[] = {640, 960};
	for (int i = 0; i < 2; i++) {
		char text[512];
		snprintf(text, sizeof(text), "[output:HEADLESS-1]\nposition = 0,0\n"
			"[output:HEADLESS-2]\nmode = 320x200\nposition = 640,0\n%s\n", sizes[i]);
		write_text(config, text);
		int reloads_before = count_in_log(&c, "configuration reloaded");
		kill(c.pid, SIGHUP);
		end = ph_now_ms() + 5000;
		while (count_in_log(&c, "configuration reloaded") == reloads_before &&
				ph_now_ms() < end) {
			ph_sleep_ms(20);
		}
		code = ph_run(&c, (const char *[]){"wlr-randr", NULL}, 10000, out, sizeof(out));
		second = output_block(out, "HEADLESS-2");
		ph_ok(code == 0 && second != NULL && strstr(second, i == 0 ? "Enabled: no" :
			"Enabled: yes") != NULL, "%s: wlr-randr agrees", sizes[i]);
		code = ph_run(&c, (const char *[]){"grim", ph_scratch("onoff.png"), NULL}, 10000, out,
			sizeof(out));
		loaded = code == 0 && ph_image_load(ph_scratch("onoff.png"), &image);
		ph_ok(loaded && image.width == want_width[i] && image.height == 480,
			"%s: grim of everything is %dx%d (want %dx480)", sizes[i], image.width,
			image.height, want_width[i]);
		if (loaded) {
			ph_image_finish(&image);
		}
	}
	ph_compositor_finish(&c);
}

static void test_bad_start(void) {
	const char *config = ph_scratch("bad.ini");
	write_text(config, "[keyboard]\nlayout = us\n\nrepeat-rate = fast\n");
	char out[4096], want[1024];
	int code = ph_run(NULL, (const char *[]){ph_path("pinhole"), "--backend", "headless", "-c",
		config, NULL}, 10000, out, sizeof(out));
	snprintf(want, sizeof(want), "pinhole: %s:4: expected a whole number from 0 to 1000, not "
		"'fast'", config);
	ph_ok(code == 2 && strncmp(out, want, strlen(want)) == 0,
		"a bad file at start: exit 2 and '%s' (got %d '%s')", want, code, out);
}

/*
 * A keyboard whose keymap is pinhole's: the X11 backend's, under Xvfb, with
 * keys typed by xdotool. ph-paint compiles the keymap it receives and names
 * its layout and the keysym of each key itself.
 */
static void test_keyboard(void) {
	char log[300], cmd[1024];
	snprintf(log, sizeof(log), "%s", ph_scratch("xvfb.log"));
	snprintf(cmd, sizeof(cmd), "exec Xvfb -displayfd 1 -screen 0 800x600x24 -nolisten tcp "
		"2>'%s'", log);
	struct ph_process xvfb;
	ph_spawn(NULL, &xvfb, (const char *[]){"sh", "-c", cmd, NULL}, PH_PIPE_STDOUT);
	char line[256] = "";
	int number = -1;
	bool up = ph_read_line(&xvfb, line, sizeof(line), 10000) &&
		sscanf(line, "%d", &number) == 1 && number >= 0;
	ph_ok(up, "Xvfb is running on :%d", number);
	if (!up) {
		ph_dump_tail("Xvfb log", log, 1800);
		ph_kill(&xvfb);
		return;
	}
	char display_env[64];
	snprintf(display_env, sizeof(display_env), "DISPLAY=:%d", number);

	const char *config = ph_scratch("keyboard.ini");
	write_text(config, "[keyboard]\nlayout = de\nrepeat-rate = 33\nrepeat-delay = 444\n");
	struct ph_compositor c;
	if (!ph_compositor_start_env(&c, (const char *[]){"--backend", "x11", "--mode", "640x480",
			"-c", config, NULL}, (const char *[]){display_env, NULL})) {
		ph_ok(false, "pinhole started on Xvfb");
		ph_kill(&xvfb);
		return;
	}
	struct ph_process paint;
	ph_spawn(&c, &paint, (const char *[]){ph_path("ph-paint"), "--keymap", "--size", "200x150",
		NULL}, PH_PIPE_STDOUT);
	ph_ok(ph_expect_line(&paint, "keymap ", line, sizeof(line), 5000) &&
		strcmp(line, "keymap German") == 0, "the client's keymap is [keyboard]'s: %s", line);
	ph_ok(ph_expect_line(&paint, "repeat ", line, sizeof(line), 5000) &&
		strcmp(line, "repeat 33 444") == 0, "repeat rate and delay: %s", line);
	ph_ok(ph_expect_line(&paint, "keyboard-enter", line, sizeof(line), 5000),
		"the window has the keyboard focus");
	/* The key labelled Y on a US keyboard (evdev 21) is Z in the German layout. */
	char out[1024];
	const char *xdotool[] = {"env", display_env, "xdotool", "mousemove", "100", "100",
		"key", "--clearmodifiers", "y", NULL};
	int code = ph_run(NULL, xdotool, 10000, out, sizeof(out));
	ph_ok(code == 0 && ph_expect_line(&paint, "key 21 pressed", line, sizeof(line), 5000) &&
		strcmp(line, "key 21 pressed z") == 0, "xdotool's Y key arrives as z: %s (xdotool %d)",
		line, code);

	write_text(config, "[keyboard]\nlayout = us\n");
	kill(c.pid, SIGHUP);
	ph_ok(ph_expect_line(&paint, "keymap ", line, sizeof(line), 5000) &&
		strcmp(line, "keymap English (US)") == 0, "after SIGHUP the client gets the new "
		"keymap: %s", line);
	code = ph_run(NULL, xdotool, 10000, out, sizeof(out));
	ph_ok(code == 0 && ph_expect_line(&paint, "key 21 pressed", line, sizeof(line), 5000) &&
		strcmp(line, "key 21 pressed y") == 0, "and the same key is y: %s", line);

	/* Super + left drag moves the window: 100 right, 80 down. */
	code = ph_run(NULL, (const char *[]){"env", display_env, "xdotool", "mousemove", "50", "50",
		"keydown", "super", "mousedown", "1", "mousemove", "100", "90", "mousemove", "150",
		"130", "mouseup", "1", "keyup", "super", NULL}, 10000, out, sizeof(out));
	ph_ok(code == 0, "xdotool drag with Super held: exit %d %s", code, out);
	code = ph_run(&c, (const char *[]){"grim", ph_scratch("dragged.png"), NULL}, 10000, out,
		sizeof(out));
	struct ph_image image;
	if (code == 0 && ph_image_load(ph_scratch("dragged.png"), &image)) {
		char why[128] = "", why_black[128] = "";
		ph_ok(ph_image_rect_is(&image, 100, 80, 200, 150, WINDOW_COLOR, why, sizeof(why)) &&
			ph_image_rect_is(&image, 0, 0, 640, 80, BLACK, why_black, sizeof(why_black)),
			"the window moved to (100,80): %s %s", why, why_black);
		ph_image_finish(&image);
	} else {
		ph_ok(false, "grim after the drag: exit %d %s", code, out);
	}
	/* Super + right drag resizes it from its bottom-right corner: the client draws 300x200. */
	code = ph_run(NULL, (const char *[]){"env", display_env, "xdotool", "mousemove", "150", "130",
		"keydown", "super", "mousedown", "3", "mousemove", "200", "160", "mousemove", "250",
		"180", "mouseup", "3", "keyup", "super", NULL}, 10000, out, sizeof(out));
	ph_ok(code == 0 && ph_expect_line(&paint, "ready 300x200", line, sizeof(line), 5000),
		"Super+right drag resizes the window by the drag: %s", line);
	ph_kill(&paint);
	ph_compositor_finish(&c);
	ph_kill(&xvfb);
}

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 110);
	test_bad_start();
	test_bindings();
	test_outputs();
	test_keyboard();
	return ph_finish();
}
