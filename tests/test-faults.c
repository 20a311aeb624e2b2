/*
 * Faults: capture clients killed (SIGKILL) in every capture state, an output
 * removed under sessions and pending frames, mode/transform/scale changes
 * with a frame pending, SHM pools shrunk under the compositor, buffers that
 * are not wl_shm, and a leak check over 1,000 session lifecycles (fd count
 * and VmRSS of the compositor). After each fault the compositor must be
 * alive and other clients' captures must still give the right pixels: grim
 * (a fresh session) and one probe session that lives through all of it.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "probe.h"

#define WINDOW_ARGB 0xff3366cc /* ph-paint's default 200x150 window at 0,0 */
#define RSS_SLACK_KB 4096

/* grim of one output: size and a rectangle of one colour. */
static bool grim_check(struct ph_compositor *c, const char *output, int width, int height,
		int x, int y, int w, int h, uint32_t argb, char *why, size_t why_size) {
	char out[2048];
	const char *png = ph_scratch("grim.png");
	int code = ph_run(c, (const char *[]){"grim", "-o", output, png, NULL}, 10000, out,
		sizeof(out));
	struct ph_image image;
	if (code != 0 || !ph_image_load(png, &image)) {
		snprintf(why, why_size, "grim exit %d: %.200s", code, out);
		return false;
	}
	bool ok = image.width == width && image.height == height;
	if (!ok) {
		snprintf(why, why_size, "image %dx%d, expected %dx%d", image.width, image.height,
			width, height);
	} else {
		ok = ph_image_rect_is(&image, x, y, w, h, argb, why, why_size);
	}
	ph_image_finish(&image);
	return ok;
}

static bool window_visible(struct ph_compositor *c, char *why, size_t why_size) {
	return grim_check(c, "HEADLESS-1", 320, 240, 0, 0, 200, 150, WINDOW_ARGB, why, why_size);
}

/* Polls until grim of output succeeds (want) or fails (!want): the signal was handled. */
static bool wait_output(struct ph_compositor *c, const char *output, bool want) {
	for (int i = 0; i < 100; i++) {
		int code = ph_run(c, (const char *[]){"grim", "-o", output, ph_scratch("poll.png"),
			NULL}, 10000, NULL, 0);
		if ((code == 0) == want) {
			return true;
		}
		ph_sleep_ms(50);
	}
	return false;
}

static bool spawn_hold(struct ph_compositor *c, struct ph_process *p, const char *state,
		const char *output) {
	char line[256];
	ph_spawn(c, p, (const char *[]){ph_path("ph-stress"), "hold", state, output, NULL},
		PH_PIPE_STDOUT);
	return ph_expect_line(p, "holding", line, sizeof(line), 10000);
}

/*
 * Leaves a capture of the probe's session waiting: captures until one does
 * not complete at once (earlier faults leave damage behind). Waiting 300 ms
 * only decides whether to capture again; nothing is asserted on time.
 */
static void make_pending(struct probe *probe) {
	char line[256];
	for (int i = 0; i < 10; i++) {
		probe_cmd(probe, "capture keep", NULL);
		if (!ph_read_line(&probe->process, line, sizeof(line), 300)) {
			return;
		}
	}
}

static void test_kills(struct ph_compositor *c, struct probe *probe) {
	static const char *const states[] = {
		"session", "frame", "pending", "ready", "cursor", "toplevel-pending",
		"truncated-pending",
	};
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		struct ph_process hold;
		bool toplevel = strcmp(states[i], "toplevel-pending") == 0;
		bool held = spawn_hold(c, &hold, states[i], "0");
		if (toplevel) {
			/* Its window covers ours: the output must show it gone before grim looks. */
			make_pending(probe);
		}
		ph_kill(&hold); /* SIGKILL: no destructor reaches the compositor */
		char why[256] = "";
		bool gone = !toplevel || (ph_expect_line(&probe->process, "ready", probe->line,
			sizeof(probe->line), 5000) && (probe_word(probe, "keep", 32, 32) & 0xffffff) ==
			(WINDOW_ARGB & 0xffffff));
		bool ok = held && gone && kill(c->pid, 0) == 0 && window_visible(c, why, sizeof(why));
		ph_ok(ok, "client SIGKILLed with %s: compositor alive, grim pixels %s",
			states[i], held ? why : "(state never reached)");
	}
}

static void test_output_removal(struct ph_compositor *c) {
	static const char *const states[] = {"pending", "frame", "session", "ready"};
	struct ph_process holds[4];
	bool held = true;
	for (int i = 0; i < 4; i++) {
		held = spawn_hold(c, &holds[i], states[i], "1") && held;
	}
	ph_ok(held, "four clients hold sessions and frames on HEADLESS-2");
	kill(c->pid, SIGUSR2); /* removes the last output */
	ph_ok(wait_output(c, "HEADLESS-2", false), "HEADLESS-2 removed under them");
	char why[256];
	ph_ok(window_visible(c, why, sizeof(why)), "HEADLESS-1 still captures (%s)", why);
	for (int i = 0; i < 4; i++) {
		ph_kill(&holds[i]);
	}
	ph_ok(window_visible(c, why, sizeof(why)),
		"and after those clients died with objects on the removed output (%s)", why);
	kill(c->pid, SIGUSR1); /* adds one */
	ph_ok(wait_output(c, "HEADLESS-3", true), "a new output appears");
	ph_ok(grim_check(c, "HEADLESS-3", 320, 240, 0, 0, 320, 240, 0xff000000, why, sizeof(why)),
		"and captures: empty, black (%s)", why);
}

/* A frame waits on the probe's session while the output changes. */
static void change_with_pending(struct ph_compositor *c, struct probe *probe,
		const char *what, const char *const *randr) {
	make_pending(probe);
	char out[1024];
	int code = ph_run(c, randr, 10000, out, sizeof(out));
	char line[256] = "";
	bool ready = false;
	while (ph_read_line(&probe->process, line, sizeof(line), 5000)) {
		if (strncmp(line, "ready", 5) == 0 || strncmp(line, "failed", 6) == 0) {
			ready = strncmp(line, "ready", 5) == 0;
			break;
		}
	}
	/* New constraints: the frame that waited through them carries full damage. */
	ph_ok(code == 0 && ready && strcmp(line, "ready damage=0,0,320,240") == 0,
		"%s with a frame pending: wlr-randr exit %d, frame %s", what, code, line);
}

static void test_output_changes(struct ph_compositor *c, struct probe *probe) {
	char why[256];
	change_with_pending(c, probe, "transform 90", (const char *[]){"wlr-randr", "--output",
		"HEADLESS-1", "--transform", "90", NULL});
	/* grim applies the transform event: the window is at the logical top-left again. */
	ph_ok(grim_check(c, "HEADLESS-1", 240, 320, 0, 0, 200, 150, WINDOW_ARGB, why, sizeof(why)),
		"grim of the rotated output (%s)", why);
	change_with_pending(c, probe, "transform back", (const char *[]){"wlr-randr", "--output",
		"HEADLESS-1", "--transform", "normal", NULL});
	change_with_pending(c, probe, "scale 2", (const char *[]){"wlr-randr", "--output",
		"HEADLESS-1", "--scale", "2", NULL});
	/* 200x150 logical pixels at scale 2 cover the whole 320x240 output. */
	ph_ok(grim_check(c, "HEADLESS-1", 320, 240, 0, 0, 320, 240, WINDOW_ARGB, why, sizeof(why)),
		"grim at scale 2: the window fills the output (%s)", why);
	change_with_pending(c, probe, "scale back", (const char *[]){"wlr-randr", "--output",
		"HEADLESS-1", "--scale", "1", NULL});
	ph_ok(window_visible(c, why, sizeof(why)), "pixels as before (%s)", why);
}

static void run_mode(struct ph_compositor *c, const char *mode) {
	char out[8192];
	int code = ph_run(c, (const char *[]){ph_path("ph-stress"), mode, NULL}, 30000, out,
		sizeof(out));
	ph_diag("%s", out);
	char *result = strstr(out, "PASS");
	if (result == NULL) {
		result = strstr(out, "FAIL");
	}
	ph_ok(code == 0, "%s: %.300s", mode, result != NULL ? result : out);
}

static void test_leaks(struct ph_compositor *c) {
	/*
	 * Warm-up: allocator pools, and under ASan its 8 MB quarantine of freed
	 * memory, which 100 lifecycles do not fill.
	 */
	ph_ok(ph_run(c, (const char *[]){ph_path("ph-stress"), "cycle", "1000", NULL}, 120000,
		NULL, 0) == 0, "1000 session lifecycles (warm-up)");
	long rss_before, fds_before, rss_after, fds_after;
	ph_process_usage(c->pid, &rss_before, &fds_before);
	char out[1024];
	int code = ph_run(c, (const char *[]){ph_path("ph-stress"), "cycle", "1000", NULL},
		120000, out, sizeof(out));
	ph_ok(code == 0, "1000 session lifecycles, a new connection every 10: %s", out);
	ph_process_usage(c->pid, &rss_after, &fds_after);
	ph_ok(fds_before > 0 && fds_after == fds_before, "compositor fds: %ld before, %ld after",
		fds_before, fds_after);
	ph_ok(rss_before > 0 && rss_after - rss_before < RSS_SLACK_KB,
		"compositor VmRSS: %ld KiB before, %ld KiB after (%+ld KiB)", rss_before, rss_after,
		rss_after - rss_before);
}

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 240);
	ph_plan(32);
	/* See test-soak.c: a small ASan quarantine so RSS shows pinhole's own memory. */
	char asan[512];
	const char *old = getenv("ASAN_OPTIONS");
	snprintf(asan, sizeof(asan), "%s%squarantine_size_mb=8", old != NULL ? old : "",
		old != NULL && old[0] != '\0' ? ":" : "");
	setenv("ASAN_OPTIONS", asan, 1);

	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "320x240", "--outputs", "2",
			NULL})) {
		ph_ok(false, "compositor started");
		return ph_finish();
	}
	struct ph_process paint;
	ph_spawn(&c, &paint, (const char *[]){ph_path("ph-paint"), NULL},
		PH_PIPE_STDIN | PH_PIPE_STDOUT);
	char line[256];
	ph_ok(ph_expect_line(&paint, "ready", line, sizeof(line), 5000), "window mapped");

	/* A session that lives through every fault below. */
	struct probe probe;
	probe_start(&c, &probe);
	probe_cmd(&probe, "output 0", "constraints");
	probe_cmd(&probe, "buffer keep 1", "buffer");
	ph_ok(probe_cmd(&probe, "capture keep", "ready"), "long-lived session: first frame");

	test_kills(&c, &probe);
	test_output_removal(&c);
	test_output_changes(&c, &probe);
	run_mode(&c, "truncate");
	run_mode(&c, "foreign-buffer");
	test_leaks(&c);

	/* The long-lived session still sees new content, exactly. */
	ph_write_line(&paint, "rect 10 10 20 20 0xff00ff00");
	ph_expect_line(&paint, "ok", line, sizeof(line), 5000);
	bool ready = probe_cmd(&probe, "capture keep", "ready");
	uint32_t word = probe_word(&probe, "keep", 15, 15) & 0xffffff;
	uint32_t around = probe_word(&probe, "keep", 100, 100) & 0xffffff;
	ph_ok(ready && word == 0x00ff00 && around == 0x3366cc,
		"long-lived session after all faults: new pixels 0x%06x, old 0x%06x", word, around);
	probe_cmd(&probe, "quit", NULL);
	ph_ok(ph_wait(&probe.process, 5000) == 0, "probe exits cleanly");

	ph_kill(&paint);
	ph_compositor_finish(&c);
	return ph_finish();
}
