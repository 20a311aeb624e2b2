/*
 * Idle and output power with swayidle 1.9 and wlopm 1.0: swayidle's timeout
 * fires only after two seconds without input (virtual pointer motion, clicks
 * and virtual keyboard keys all count), `resume` comes on the next input, and
 * no timeout fires while an idle-inhibit window (tests/clients/ph-inhibit)
 * is visible on an enabled output; hidden behind a fullscreen window or on an
 * output switched off it no longer counts. wlopm switches an output off and
 * on; ext-image-copy-capture frames of an output that is off wait until it is
 * on again, wlr-screencopy frames fail (wlroots), and an output locked while
 * off shows the lock, never the windows, when it comes back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "probe.h"

#define GREEN 0xff00ff00u
#define LOCKER_CYAN 0xff00ffffu

/* Lines swayidle printed within timeout_ms; the first starting with prefix is kept. */
static bool idle_event(struct ph_process *swayidle, const char *prefix, int timeout_ms) {
	char line[256];
	return ph_expect_line(swayidle, prefix, line, sizeof(line), timeout_ms);
}

/*
 * Swayidle's timeout, in seconds: long enough that a loaded machine's delay
 * between two inputs 250 ms apart never reaches it.
 */
#define TIMEOUT_S "2"
#define TIMEOUT_MS 2000
/* How long "no timeout" is watched: two and a half timeouts. */
#define WATCH_MS 5000

/*
 * Input every 250 ms for WATCH_MS: swayidle must stay silent. Returns how
 * many events of that kind went in.
 */
static int keep_busy(struct probe *probe, struct ph_process *keys, const char *how,
		struct ph_process *swayidle, bool *fired, int64_t *last_input) {
	char line[256];
	int n = 0;
	*fired = false;
	for (int64_t end = ph_now_ms() + WATCH_MS; ph_now_ms() < end; n++) {
		if (strcmp(how, "motion") == 0) {
			char cmd[64];
			snprintf(cmd, sizeof(cmd), "pointer %d 100 640 480", 100 + (n % 2) * 50);
			probe_cmd(probe, cmd, "moved");
		} else {
			ph_write_line(keys, "key 30");
			ph_expect_line(keys, "typed", line, sizeof(line), 5000);
		}
		*last_input = ph_now_ms(); /* the compositor has it: the client had a roundtrip */
		/* Waiting for a timeout line is also the pause between inputs. */
		if (ph_read_line(swayidle, line, sizeof(line), 250)) {
			ph_diag("swayidle printed '%s' while %s kept coming", line, how);
			*fired = true;
		}
	}
	return n;
}

static void test_swayidle(void) {
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "640x480", NULL})) {
		ph_ok(false, "compositor started");
		return;
	}
	char line[256];
	struct probe probe;
	probe_start(&c, &probe);
	struct ph_process keys, swayidle;
	ph_spawn(&c, &keys, (const char *[]){ph_path("ph-keys"), NULL},
		PH_PIPE_STDIN | PH_PIPE_STDOUT);
	ph_ok(ph_expect_line(&keys, "hello", line, sizeof(line), 5000), "virtual keyboard ready");
	ph_spawn(&c, &swayidle, (const char *[]){"swayidle", "-w", "timeout", TIMEOUT_S,
		"echo timeout", "resume", "echo resume", NULL}, PH_PIPE_STDOUT);

	bool fired;
	int64_t quiet;
	int n = keep_busy(&probe, &keys, "motion", &swayidle, &fired, &quiet);
	ph_ok(!fired, "no timeout during %d ms of pointer motion (%d motions)", WATCH_MS, n);
	bool timeout = idle_event(&swayidle, "timeout", TIMEOUT_MS + 5000);
	int64_t after = ph_now_ms() - quiet;
	ph_ok(timeout && after >= TIMEOUT_MS - 100,
		"timeout once the pointer stopped (after %lld ms)", (long long)after);
	probe_cmd(&probe, "pointer 300 300 640 480", "moved");
	ph_ok(idle_event(&swayidle, "resume", 5000), "resume on virtual pointer motion");

	ph_ok(idle_event(&swayidle, "timeout", TIMEOUT_MS + 5000), "timeout again");
	ph_write_line(&keys, "key 30");
	ph_ok(idle_event(&swayidle, "resume", 5000), "resume on a virtual keyboard key");

	n = keep_busy(&probe, &keys, "keys", &swayidle, &fired, &quiet);
	ph_ok(!fired, "no timeout during %d ms of typing (%d keys)", WATCH_MS, n);
	ph_ok(idle_event(&swayidle, "timeout", TIMEOUT_MS + 5000), "timeout once typing stopped");
	/* A click on the empty desktop: motion and button. */
	probe_cmd(&probe, "click 500 400 640 480", "clicked");
	ph_ok(idle_event(&swayidle, "resume", 5000), "resume on a click");

	/* An inhibitor on a visible window holds the timeout back. */
	struct ph_process inhibit, cover;
	ph_spawn(&c, &inhibit, (const char *[]){ph_path("ph-inhibit"), NULL},
		PH_PIPE_STDIN | PH_PIPE_STDOUT);
	ph_ok(ph_expect_line(&inhibit, "ready", line, sizeof(line), 5000),
		"idle-inhibit window shown");
	ph_ok(!ph_read_line(&swayidle, line, sizeof(line), WATCH_MS),
		"no timeout for %d ms while the inhibiting window is visible (%s)", WATCH_MS,
		ph_exited(&swayidle) ? "swayidle died" : "silent");

	/* Covered by a fullscreen window, it is not visible any more. */
	ph_spawn(&c, &cover, (const char *[]){ph_path("ph-paint"), "--fullscreen", NULL},
		PH_PIPE_STDOUT);
	ph_ok(ph_expect_line(&cover, "ready", line, sizeof(line), 5000), "fullscreen window shown");
	ph_ok(idle_event(&swayidle, "timeout", TIMEOUT_MS + 5000),
		"timeout while the inhibiting window is covered");
	ph_kill(&cover);
	probe_cmd(&probe, "pointer 100 100 640 480", "moved");
	ph_ok(idle_event(&swayidle, "resume", 5000), "resume");
	ph_ok(!ph_read_line(&swayidle, line, sizeof(line), WATCH_MS),
		"uncovered again: no timeout for %d ms", WATCH_MS);

	/* On an output switched off, it does not count either. */
	char out[1024];
	int code = ph_run(&c, (const char *[]){"wlopm", "--off", "HEADLESS-1", NULL}, 10000, out,
		sizeof(out));
	ph_ok(code == 0, "wlopm --off (%d %s)", code, out);
	ph_ok(idle_event(&swayidle, "timeout", TIMEOUT_MS + 5000),
		"timeout while the inhibiting window's output is off");
	code = ph_run(&c, (const char *[]){"wlopm", "--on", "HEADLESS-1", NULL}, 10000, out,
		sizeof(out));
	probe_cmd(&probe, "pointer 120 100 640 480", "moved");
	ph_ok(code == 0 && idle_event(&swayidle, "resume", 5000), "output on, resume");

	/* Released: the timeout comes. */
	ph_write_line(&inhibit, "release");
	ph_ok(ph_expect_line(&inhibit, "released", line, sizeof(line), 5000) &&
		idle_event(&swayidle, "timeout", TIMEOUT_MS + 5000), "timeout once the inhibitor is released");

	ph_kill(&inhibit);
	ph_kill(&swayidle);
	ph_write_line(&keys, "quit");
	ph_wait(&keys, 5000);
	probe_cmd(&probe, "quit", NULL);
	ph_wait(&probe.process, 5000);
	ph_compositor_finish(&c);
}

static bool wlopm_says(struct ph_compositor *c, const char *expected) {
	char out[1024];
	int code = ph_run(c, (const char *[]){"wlopm", NULL}, 10000, out, sizeof(out));
	bool ok = code == 0 && strstr(out, expected) != NULL;
	if (!ok) {
		ph_diag("wlopm printed: %s", out);
	}
	return ok;
}

static void test_wlopm_capture(void) {
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "640x480", NULL})) {
		ph_ok(false, "compositor started");
		return;
	}
	char line[256], out[1024];
	struct ph_process window;
	ph_spawn(&c, &window, (const char *[]){ph_path("ph-paint"), "--size", "320x240",
		"--color", "0xff00ff00", NULL}, PH_PIPE_STDOUT);
	ph_ok(ph_expect_line(&window, "ready", line, sizeof(line), 5000), "window mapped");
	ph_ok(wlopm_says(&c, "HEADLESS-1 on"), "wlopm lists HEADLESS-1 on");

	struct probe probe;
	probe_start(&c, &probe);
	probe_cmd(&probe, "output 0", "constraints");
	probe_cmd(&probe, "buffer o 1", "buffer");
	probe_cmd(&probe, "capture o", "ready");
	ph_ok(probe_word(&probe, "o", 10, 10) == GREEN, "output capture while on: the window");

	int code = ph_run(&c, (const char *[]){"wlopm", "--off", "HEADLESS-1", NULL}, 10000, out,
		sizeof(out));
	ph_ok(code == 0 && wlopm_says(&c, "HEADLESS-1 off"), "wlopm --off: wlopm lists it off");
	/* Frames of an output that is off wait (docs/capture.md). */
	probe_cmd(&probe, "fill o 0x11111111", "filled");
	probe_cmd(&probe, "capture o", NULL);
	struct ph_process grim;
	ph_spawn(&c, &grim, (const char *[]){"grim", ph_scratch("off.png"), NULL}, 0);
	bool quiet = !ph_read_line(&probe.process, line, sizeof(line), 1000);
	ph_ok(quiet, "no frame while the output is off (1 s): %s", quiet ? "nothing" : line);
	ph_ok(!ph_exited(&grim), "grim waits while the output is off");

	/* Locked while off: `locked` at once, and when it comes back it shows the lock. */
	struct ph_process locker;
	ph_spawn(&c, &locker, (const char *[]){ph_path("ph-locker"), "--color", "0x00ffff", NULL},
		PH_PIPE_STDIN | PH_PIPE_STDOUT);
	ph_ok(ph_expect_line(&locker, "locked", line, sizeof(line), 5000),
		"locked while the only output is off");
	code = ph_run(&c, (const char *[]){"wlopm", "--on", "HEADLESS-1", NULL}, 10000, out,
		sizeof(out));
	ph_ok(code == 0 && wlopm_says(&c, "HEADLESS-1 on"), "wlopm --on");
	ph_ok(ph_expect_line(&probe.process, "ready", line, sizeof(line), 5000),
		"the waiting frame is ready once the output is on");
	uint32_t word = probe_word(&probe, "o", 10, 10);
	ph_ok(word == LOCKER_CYAN || word == 0xff000000u,
		"and shows the lock (0x%08x: the locker's colour or pinhole's), not the window", word);
	ph_ok(ph_wait(&grim, 10000) == 0, "grim finished once the output is on");
	struct ph_image image;
	bool window_seen = true;
	if (ph_image_load(ph_scratch("off.png"), &image)) {
		window_seen = false;
		for (int y = 0; y < 240 && !window_seen; y++) {
			for (int x = 0; x < 320 && !window_seen; x++) {
				window_seen = ph_image_at(&image, x, y) == GREEN;
			}
		}
		ph_image_finish(&image);
	}
	ph_ok(!window_seen, "grim's picture has no window pixel");
	ph_write_line(&locker, "unlock");
	ph_ok(ph_expect_line(&locker, "unlocked", line, sizeof(line), 5000), "unlocked");
	ph_wait(&locker, 5000);

	probe_cmd(&probe, "quit", NULL);
	ph_wait(&probe.process, 5000);
	ph_kill(&window);
	ph_compositor_finish(&c);
}

/* wlroots' wlr-screencopy fails frames of an output that is off. */
static void test_screencopy_off(void) {
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "640x480", "--no-ext-capture",
			NULL})) {
		ph_ok(false, "compositor started");
		return;
	}
	char out[1024];
	int code = ph_run(&c, (const char *[]){"wlopm", "--off", "HEADLESS-1", NULL}, 10000, out,
		sizeof(out));
	ph_ok(code == 0, "wlopm --off");
	code = ph_run(&c, (const char *[]){"grim", ph_scratch("sc-off.png"), NULL}, 10000, out,
		sizeof(out));
	ph_ok(code != 0, "grim over wlr-screencopy fails on an output that is off (%d %s)", code,
		out);
	code = ph_run(&c, (const char *[]){"wlopm", "--on", "HEADLESS-1", NULL}, 10000, out,
		sizeof(out));
	code = code != 0 ? code : ph_run(&c, (const char *[]){"grim", ph_scratch("sc-on.png"),
		NULL}, 10000, out, sizeof(out));
	ph_ok(code == 0, "and works once it is on again (%d %s)", code, out);
	ph_compositor_finish(&c);
}

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 150);
	test_swayidle();
	test_wlopm_capture();
	test_screencopy_off();
	return ph_finish();
}
