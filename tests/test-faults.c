/*
 * Faults: capture clients killed (SIGKILL) in every capture state, an output
 * removed under sessions and pending frames, mode/transform/scale changes
 * with a frame pending, SHM pools shrunk under the compositor, buffers that
 * are not wl_shm, and a leak check over 1,000 session lifecycles (fd count
 * and VmRSS of the compositor). After each fault the compositor must be
 * alive and other clients' captures must still give the right pixels: grim
 * (a fresh session) and one probe session that lives through all of it.
 * Last, on a 1920x1080 screen whose copies are shared with the helper
 * thread, pools shrunk under a capture buffer and under a scanned-out
 * window (SIGBUS in the middle of a shared copy).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "clients/pattern.h"
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

#define LARGE_W 1920
#define LARGE_H 1080
#define SHRINKER_RGB 0x204060
/*
 * What the shrinking window keeps of its pool: 256 KiB, the first band of a
 * shared copy (CAPTURE_SHARED_COPY_BAND_BYTES), which the event loop's
 * thread takes. The next band, most often the helper's first, is all gone.
 */
#define SHRINKER_KEPT_BYTES (256 << 10)


/* Pixels of a large probe buffer that are not pattern_xy (X byte left out); -1: no buffer. */
static long probe_large_not_pattern(struct probe *probe, const char *name) {
	uint32_t *words = probe_dump(probe, name, LARGE_W, LARGE_H);
	if (words == NULL) {
		return -1;
	}
	long wrong = 0;
	for (int y = 0; y < LARGE_H; y++) {
		for (int x = 0; x < LARGE_W; x++) {
			wrong += (words[(size_t)y * LARGE_W + x] & 0xffffff) !=
				(pattern_xy(x, y, 0) & 0xffffff);
		}
	}
	free(words);
	return wrong;
}

/* grim of the large screen: the pixels that are not pattern_xy; -1: no picture. */
static long grim_large_not_pattern(struct ph_compositor *c) {
	const char *png = ph_scratch("large.png");
	struct ph_image image;
	if (ph_run(c, (const char *[]){"grim", png, NULL}, 20000, NULL, 0) != 0 ||
			!ph_image_load(png, &image)) {
		return -1;
	}
	long wrong = image.width == LARGE_W && image.height == LARGE_H ? 0 : -1;
	for (int y = 0; wrong >= 0 && y < LARGE_H; y++) {
		for (int x = 0; x < LARGE_W; x++) {
			wrong += ph_image_at(&image, x, y) != pattern_xy(x, y, 0);
		}
	}
	ph_image_finish(&image);
	return wrong;
}

static bool wait_ready_size(struct ph_process *p, const char *want, char *line, size_t size) {
	while (ph_expect_line(p, "ready", line, size, 10000)) {
		if (strcmp(line, want) == 0) {
			return true;
		}
	}
	return false;
}

/*
 * Pools shrunk on a 1920x1080 screen, whose copies are shared with the
 * helper thread. (a) A capture buffer's pool shrunk to nothing between
 * create_buffer and capture. (b) A fullscreen window's pool shrunk after
 * its buffer was committed, to its first 256 KiB: the window is scanned
 * out, so the output's copy reads the client's buffer, both threads copy
 * bands of it and whichever first reaches a page that is gone takes the
 * SIGBUS. wlroots' handler maps zeros over the whole pool (found by
 * address, so on either thread), the copy goes on and the frame is ready:
 * rows the copy took before the fault have the window's colour, all others
 * zeros. Then the compositor must go on serving everyone else.
 */
static void test_large_truncate(void) {
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "1920x1080", NULL})) {
		ph_ok(false, "1920x1080: compositor started");
		return;
	}
	struct ph_process good;
	ph_spawn(&c, &good, (const char *[]){ph_path("ph-paint"), "--pattern", "xy",
		"--fullscreen", "--app-id", "good", NULL}, PH_PIPE_STDOUT);
	char line[256] = "";
	ph_ok(wait_ready_size(&good, "ready 1920x1080", line, sizeof(line)),
		"1920x1080: a well-behaved fullscreen window of pattern_xy (%s)", line);

	struct probe probe;
	probe_start(&c, &probe);
	probe_cmd(&probe, "output 0", "constraints");
	probe_cmd(&probe, "buffer t 1", "buffer");
	bool truncated = probe_cmd(&probe, "truncate t", "truncated");
	bool answered = probe_cmd(&probe, "capture t", NULL) &&
		ph_read_line(&probe.process, probe.line, sizeof(probe.line), 5000);
	ph_ok(truncated && answered && strcmp(probe.line, "failed 1") == 0,
		"(a) capture buffer's pool shrunk to 0 before capture: failed buffer_constraints "
		"(%s)", answered ? probe.line : "no answer");
	probe_cmd(&probe, "buffer k 1", "buffer");
	bool ready = probe_cmd_within(&probe, "capture k", "ready", PROBE_LARGE_TIMEOUT_MS);
	long wrong = ready ? probe_large_not_pattern(&probe, "k") : -1;
	ph_ok(wrong == 0, "(a) the same session's next frame, a good buffer: every pixel of the "
		"window (%ld wrong; %s)", wrong, probe.line);

	struct ph_process shrinker;
	ph_spawn(&c, &shrinker, (const char *[]){ph_path("ph-paint"), "--color", "0xff204060",
		"--fullscreen", "--app-id", "shrinker", NULL}, PH_PIPE_STDIN | PH_PIPE_STDOUT);
	bool shown = wait_ready_size(&shrinker, "ready 1920x1080", line, sizeof(line));
	ph_write_line(&shrinker, "truncate %d", SHRINKER_KEPT_BYTES);
	truncated = ph_expect_line(&shrinker, "truncated", line, sizeof(line), 5000);
	ph_ok(shown && truncated, "(b) a fullscreen window shrank its committed buffer's pool to "
		"%d KiB (%s)", SHRINKER_KEPT_BYTES >> 10, line);
	struct probe other;
	probe_start(&c, &other);
	probe_cmd(&other, "output 0", "constraints");
	probe_cmd(&other, "buffer s 1", "buffer");
	ready = probe_cmd_within(&other, "capture s", "ready", PROBE_LARGE_TIMEOUT_MS);
	uint32_t *words = ready ? probe_dump(&other, "s", LARGE_W, LARGE_H) : NULL;
	bool dumped = words != NULL;
	long colour = 0, zeros = 0, other_words = 0;
	for (long i = 0; words != NULL && i < (long)LARGE_W * LARGE_H; i++) {
		/* Beyond the kept bytes every read faults or reads the zeros put there. */
		bool is_colour = (words[i] & 0xffffff) == SHRINKER_RGB && i < SHRINKER_KEPT_BYTES / 4;
		colour += is_colour;
		zeros += words[i] == 0;
		other_words += words[i] != 0 && !is_colour;
	}
	free(words);
	char seen[160];
	snprintf(seen, sizeof(seen), "%ld colour, %ld zero pixels, %ld other", colour, zeros,
		other_words);
	ph_ok(dumped && other_words == 0, "(b) the output captured over the shrunk pool: "
		"ready, the window's colour in the kept part or zeros (%s)",
		dumped ? seen : other.line);

	ph_kill(&shrinker);
	/*
	 * Each grim waits for the frame after the window closed; a few more
	 * tries only in case the first came before the compositor saw it go.
	 */
	long grim_wrong = -1;
	int tries = 0;
	while (grim_wrong != 0 && tries < 10) {
		tries++;
		grim_wrong = grim_large_not_pattern(&c);
	}
	ph_ok(grim_wrong == 0, "the compositor still serves: grim of the well-behaved window once "
		"the other closed, every pixel (%ld wrong, %d grim runs)", grim_wrong, tries);
	probe_cmd(&other, "destroy-session", "destroyed");
	probe_cmd(&other, "output 0", "constraints");
	probe_cmd(&other, "buffer r 1", "buffer");
	ready = probe_cmd(&other, "capture r", "ready");
	wrong = ready ? probe_large_not_pattern(&other, "r") : -1;
	ph_ok(wrong == 0, "and a new session of another client: every pixel (%ld wrong)", wrong);
	probe_cmd(&probe, "quit", NULL);
	probe_cmd(&other, "quit", NULL);
	ph_ok(ph_wait(&probe.process, 5000) == 0 && ph_wait(&other.process, 5000) == 0,
		"both probes exit cleanly");
	ph_kill(&good);
	ph_compositor_finish(&c);
}

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 240);
	ph_plan(32 + 10); /* test_large_truncate: 8, and its compositor's end 2 */
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

	test_large_truncate();
	return ph_finish();
}
