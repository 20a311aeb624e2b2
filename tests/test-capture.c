/*
 * pinhole's capture module, checked byte by byte: every SHM format and colour
 * order, stride, position, damage (reported and copied), the first capture of
 * a session, waiting for new content, renegotiation and stop on output removal.
 * ph-paint draws the known pixels; ph-capture-probe scripts the capture.
 * Then screens large enough for copies shared with the helper thread
 * (1920x1080 and 3840x2160): every pixel of a picture in which all differ,
 * through the probe and through grim, and a damage-limited frame.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "clients/pattern.h"
#include "harness.h"
#include "probe.h"


#define SHM_ARGB8888 0
#define SHM_XRGB8888 1
#define SHM_XBGR8888 0x34324258
#define SHM_ABGR8888 0x34324241

/* A session's later captures wait for new content: checks that need a frame now start afresh. */
static void new_session(struct probe *probe) {
	probe_cmd(probe, "destroy-session", "destroyed");
	probe_cmd(probe, "output 0", "constraints");
}

/* Expected word for an opaque 0xRRGGBB in a format (X bytes masked by the caller). */
static uint32_t word_for(uint32_t format, uint32_t rgb) {
	uint32_t r = rgb >> 16 & 0xff, g = rgb >> 8 & 0xff, b = rgb & 0xff;
	if (format == SHM_XBGR8888 || format == SHM_ABGR8888) {
		return 0xff000000u | b << 16 | g << 8 | r;
	}
	return 0xff000000u | rgb;
}

/* What the screen shows: ph-paint's quadrants at the top-left of 640x480, black elsewhere. */
static uint32_t screen_rgb(int x, int y) {
	if (x >= 320 || y >= 240) {
		return 0x000000;
	}
	static const uint32_t quadrants[2][2] = {{0xff0000, 0x00ff00}, {0x0000ff, 0xffffff}};
	return quadrants[y >= 120][x >= 160];
}

#define PADDING_SENTINEL 0x5a5aa5a5u

/*
 * Every format, tight and with a padded stride: the buffer is first filled
 * with a sentinel, padding included; after the capture every pixel must be
 * what the screen shows in that format's byte order (the X byte of the X
 * formats is undefined and left out), and every padding word must still be
 * the sentinel.
 */
static void test_formats(struct probe *probe) {
	static const struct {
		uint32_t format;
		const char *name;
		bool alpha;
	} formats[] = {
		{SHM_XRGB8888, "XRGB8888", false},
		{SHM_ARGB8888, "ARGB8888", true},
		{SHM_XBGR8888, "XBGR8888", false},
		{SHM_ABGR8888, "ABGR8888", true},
	};
	for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
		for (int padded = 0; padded < 2; padded++) {
			char cmd[700], name[32];
			snprintf(name, sizeof(name), "f%zu%d", f, padded);
			snprintf(cmd, sizeof(cmd), "buffer %s %u %d", name, formats[f].format,
				padded ? 640 * 4 + 64 : 0);
			new_session(probe);
			probe_cmd(probe, cmd, "buffer");
			snprintf(cmd, sizeof(cmd), "fill-all %s 0x%08x", name, PADDING_SENTINEL);
			probe_cmd(probe, cmd, "filled");
			snprintf(cmd, sizeof(cmd), "capture %s", name);
			bool ready = probe_cmd(probe, cmd, "ready");
			const char *path = ph_scratch("format.raw");
			snprintf(cmd, sizeof(cmd), "dump-all %s %s", name, path);
			int w = 0, h = 0, stride = 0;
			bool dumped = ready && probe_cmd(probe, cmd, "dumped") &&
				sscanf(probe->line, "dumped %dx%d stride=%d", &w, &h, &stride) == 3;
			char *data = dumped ? ph_read_file(path) : NULL;
			char why[160] = "no capture";
			long wrong = -1, padding_touched = -1;
			if (data != NULL && w == 640 && h == 480 && stride == (padded ? 640 * 4 + 64 :
					640 * 4)) {
				wrong = padding_touched = 0;
				uint32_t mask = formats[f].alpha ? 0xffffffffu : 0x00ffffffu;
				for (int y = 0; y < h; y++) {
					const uint32_t *row = (const uint32_t *)(data + (size_t)y * stride);
					for (int x = 0; x < stride / 4; x++) {
						if (x >= w) {
							padding_touched += row[x] != PADDING_SENTINEL;
							continue;
						}
						uint32_t want = word_for(formats[f].format, screen_rgb(x, y));
						if ((row[x] & mask) != (want & mask) && wrong++ == 0) {
							snprintf(why, sizeof(why), "first at (%d,%d): 0x%08x, "
								"expected 0x%08x", x, y, row[x], want);
						}
					}
				}
				if (wrong == 0) {
					snprintf(why, sizeof(why), "all %d pixels", w * h);
				}
			} else if (dumped) {
				snprintf(why, sizeof(why), "%.150s", probe->line);
			}
			free(data);
			ph_ok(wrong == 0, "%s%s: every pixel exact (%s)", formats[f].name,
				padded ? " with a padded stride" : "", why);
			if (padded) {
				ph_ok(padding_touched == 0, "%s with a padded stride: the 16 padding words "
					"of every row untouched (%ld changed)", formats[f].name,
					padding_touched);
			}
			snprintf(cmd, sizeof(cmd), "destroy-buffer %s", name);
			probe_cmd(probe, cmd, "destroyed");
		}
	}
}

static void test_damage(struct probe *probe, struct ph_process *paint) {
	/* A buffer the session has filled once, then scribbled on by "the client". */
	new_session(probe);
	probe_cmd(probe, "buffer d 1", "buffer");
	probe_cmd(probe, "capture d", "ready");
	ph_ok(strstr(probe->line, "damage=0,0,640,480") != NULL,
		"first capture of a buffer reports full damage: %s", probe->line);

	/* Nothing changed: the next capture must wait for content. */
	probe_cmd(probe, "fill d 0x12345678", "filled");
	probe_cmd(probe, "capture d", NULL);
	char line[512];
	bool early = !probe_quiet(probe, PH_HEADLESS_REFRESH_HZ, line, sizeof(line));
	ph_ok(!early, "capture waits while nothing changes (a roundtrip, then %d refresh periods)"
		"%s%s", PROBE_QUIET_PERIODS, early ? ": got " : "", early ? line : "");

	ph_write_line(paint, "rect 40 30 16 8 0xff10e020");
	bool painted = ph_expect_line(paint, "ok", line, sizeof(line), 5000);
	bool ready = ph_expect_line(&probe->process, "ready", probe->line, sizeof(probe->line),
		5000);
	ph_ok(painted && ready, "capture completes once the client commits: %s", probe->line);

	int x, y, w, h;
	bool covers = sscanf(probe->line, "ready damage=%d,%d,%d,%d", &x, &y, &w, &h) == 4 &&
		x <= 40 && y <= 30 && x + w >= 56 && y + h >= 38 && w * h <= 2 * 16 * 8 * 4;
	ph_ok(covers, "damage covers the changed rectangle and little else: %s", probe->line);
	long inside = probe_count(probe, "d", 40, 30, 16, 8, 0xff10e020 & 0xffffffff);
	long inside_x = probe_count(probe, "d", 40, 30, 16, 8, 0x0010e020);
	ph_ok(inside + inside_x == 16 * 8, "changed pixels copied (%ld of 128)", inside + inside_x);
	long untouched = probe_count(probe, "d", 0, 0, 640, 480, 0x12345678);
	ph_ok(untouched >= 640 * 480 - 2 * 16 * 8 * 4 && untouched <= 640 * 480 - 16 * 8,
		"the copy wrote only the damaged region (%ld pixels untouched)", untouched);

	/* A second buffer the session never filled gets everything, however little changed. */
	probe_cmd(probe, "buffer e 1", "buffer");
	probe_cmd(probe, "fill e 0x12345678", "filled");
	ph_write_line(paint, "rect 100 100 4 4 0xff00ffff");
	ph_expect_line(paint, "ok", line, sizeof(line), 5000);
	probe_cmd(probe, "capture e", "ready");
	long stale = probe_count(probe, "e", 0, 0, 640, 480, 0x12345678);
	ph_ok(stale == 0, "first use of a buffer is fully copied (%ld stale pixels)", stale);
	uint32_t quad = probe_word(probe, "e", 200, 10) & 0x00ffffff;
	ph_ok(quad == 0x00ff00, "and shows the window (0x%06x)", quad);

	/* Buffer d missed that change: client damage is optional, its staleness is ours to track. */
	ph_write_line(paint, "rect 300 200 2 2 0xff808080");
	ph_expect_line(paint, "ok", line, sizeof(line), 5000);
	probe_cmd(probe, "capture d", "ready");
	uint32_t missed = probe_word(probe, "d", 101, 101) & 0x00ffffff;
	ph_ok(missed == 0x00ffff, "a change made while another buffer was used reaches d (0x%06x)",
		missed);
	probe_cmd(probe, "destroy-buffer d", "destroyed");
	probe_cmd(probe, "destroy-buffer e", "destroyed");
}

static void test_bad_buffers(struct probe *probe) {
	new_session(probe);
	probe_cmd(probe, "buffer rgb565 0x36314752", NULL); /* RGB565 is never advertised */
	ph_expect_line(&probe->process, "buffer", probe->line, sizeof(probe->line), 5000);
	probe_cmd(probe, "capture rgb565", "failed");
	ph_ok(strcmp(probe->line, "failed 1") == 0, "unadvertised format → failed buffer_constraints"
		" (%s)", probe->line);
	probe_cmd(probe, "destroy-buffer rgb565", "destroyed");
}

static void test_new_session_first_frame(struct ph_compositor *c) {
	/* The first capture of a session completes at once even on a static screen. */
	struct probe probe;
	probe_start(c, &probe);
	probe_cmd(&probe, "output 0", "constraints");
	probe_cmd(&probe, "buffer a 1", "buffer");
	bool ready = probe_cmd(&probe, "capture a", "ready");
	ph_ok(ready, "first capture of a new session on a static screen completes: %s", probe.line);
	probe_cmd(&probe, "quit", NULL);
	ph_wait(&probe.process, 5000);
}

static void test_output_removal(struct ph_compositor *c) {
	struct probe probe;
	probe_start(c, &probe);
	ph_ok(strcmp(probe.line, "hello outputs=2") == 0, "two outputs: %s", probe.line);
	probe_cmd(&probe, "output 1", "constraints");
	probe_cmd(&probe, "buffer a 1", "buffer");
	probe_cmd(&probe, "capture a", "ready");
	probe_cmd(&probe, "capture a", NULL); /* waits: nothing changes on the second output */
	kill(c->pid, SIGUSR2); /* removes the last output */
	/*
	 * The signal may overtake the capture request: then the session stops
	 * first and the frame fails after. Either order is correct.
	 */
	char line[256];
	bool failed = false, stopped = false;
	while ((!failed || !stopped) && ph_read_line(&probe.process, line, sizeof(line), 5000)) {
		failed = failed || strcmp(line, "failed 2") == 0;
		stopped = stopped || strcmp(line, "stopped") == 0;
	}
	ph_ok(failed, "pending frame fails with 'stopped'");
	ph_ok(stopped, "session stopped when its output went away");
	probe_cmd(&probe, "capture a", "failed");
	ph_ok(strcmp(probe.line, "failed 2") == 0, "capture on a stopped session: %s", probe.line);
	probe_cmd(&probe, "destroy-session", "destroyed");
	probe_cmd(&probe, "output 0", "constraints");
	probe_cmd(&probe, "buffer b 1", "buffer");
	ph_ok(probe_cmd(&probe, "capture b", "ready"), "the remaining output still captures");
	probe_cmd(&probe, "quit", NULL);
	ph_ok(ph_wait(&probe.process, 5000) == 0, "probe disconnected cleanly");
}

static void test_mode_change(struct ph_compositor *c) {
	struct probe probe;
	probe_start(c, &probe);
	probe_cmd(&probe, "output 0", "constraints");
	probe_cmd(&probe, "buffer a 1", "buffer");
	probe_cmd(&probe, "capture a", "ready");
	probe_cmd(&probe, "capture a", NULL); /* waits */
	char out[1024];
	int code = ph_run(c, (const char *[]){"wlr-randr", "--output", "HEADLESS-1",
		"--custom-mode", "800x600", NULL}, 10000, out, sizeof(out));
	ph_ok(code == 0, "wlr-randr sets 800x600 through wlr-output-management (%d %s)", code, out);
	char line[256];
	ph_ok(ph_expect_line(&probe.process, "failed", line, sizeof(line), 5000) &&
		strcmp(line, "failed 1") == 0, "pending 640x480 frame fails with buffer_constraints: %s",
		line);
	ph_ok(ph_expect_line(&probe.process, "constraints", line, sizeof(line), 5000) &&
		strncmp(line, "constraints 800x600 ", 20) == 0, "constraints renegotiated: %s", line);
	probe_cmd(&probe, "destroy-buffer a", "destroyed");
	probe_cmd(&probe, "buffer b 1", "buffer");
	bool ready = probe_cmd(&probe, "capture b", "ready");
	ph_ok(ready && strstr(probe.line, "damage=0,0,800,600") != NULL,
		"a new buffer of the new size captures in full: %s", probe.line);
	uint32_t window = probe_word(&probe, "b", 10, 10) & 0x00ffffff;
	uint32_t outside = probe_word(&probe, "b", 700, 500) & 0x00ffffff;
	ph_ok(window == 0xff0000 && outside == 0, "pixels right after the change (0x%06x, 0x%06x)",
		window, outside);
	probe_cmd(&probe, "quit", NULL);
	ph_ok(ph_wait(&probe.process, 5000) == 0, "probe disconnected cleanly");
}

/*
 * What a large screen shows: pattern_xy of seed over all of it, with a
 * rectangle of another seed drawn over it when rect_w > 0. A capture buffer
 * that kept the sentinel outside the rectangle is checked with
 * outside_sentinel: the copy wrote only the damage.
 */
struct picture {
	int width, height;
	uint32_t seed;
	int rect_x, rect_y, rect_w, rect_h;
	uint32_t rect_seed;
	bool outside_sentinel;
};

/*
 * Compares every pixel of words (rows of stride_words) with the picture in
 * format, under mask (the X byte of the X formats is undefined). Returns the
 * number of wrong pixels and describes them in why: the first, and the rows
 * they span (a band of a shared copy left out shows as a block of rows).
 */
static long picture_diff(const struct picture *p, const uint32_t *words, size_t stride_words,
		uint32_t format, uint32_t mask, char *why, size_t why_size) {
	long wrong = 0;
	int first_row = -1, last_row = -1;
	for (int y = 0; y < p->height; y++) {
		const uint32_t *row = words + (size_t)y * stride_words;
		for (int x = 0; x < p->width; x++) {
			bool in_rect = p->rect_w > 0 && x >= p->rect_x && x < p->rect_x + p->rect_w &&
				y >= p->rect_y && y < p->rect_y + p->rect_h;
			uint32_t want;
			if (in_rect) {
				want = word_for(format, pattern_xy(x, y, p->rect_seed) & 0xffffff);
			} else if (p->outside_sentinel) {
				want = PADDING_SENTINEL;
			} else {
				want = word_for(format, pattern_xy(x, y, p->seed) & 0xffffff);
			}
			if ((row[x] & mask) == (want & mask)) {
				continue;
			}
			if (wrong++ == 0) {
				first_row = y;
				snprintf(why, why_size, "first at (%d,%d): 0x%08x, expected 0x%08x", x, y,
					row[x], want);
			}
			last_row = y;
		}
	}
	if (wrong == 0) {
		snprintf(why, why_size, "all %d pixels", p->width * p->height);
	} else {
		size_t len = strlen(why);
		snprintf(why + len, why_size - len, "; %ld wrong in rows %d-%d", wrong, first_row,
			last_row);
	}
	return wrong;
}

/* Captures probe buffer name and checks every pixel of it against the picture. */
static bool probe_picture(struct probe *probe, const char *name, uint32_t format,
		const struct picture *p, char *why, size_t why_size) {
	uint32_t *data = probe_dump(probe, name, p->width, p->height);
	if (data == NULL) {
		snprintf(why, why_size, "no dump of %dx%d: %.150s", p->width, p->height,
			probe->line);
		return false;
	}
	bool alpha = format == SHM_ARGB8888 || format == SHM_ABGR8888;
	long wrong = picture_diff(p, data, (size_t)p->width, format,
		alpha ? 0xffffffffu : 0x00ffffffu, why, why_size);
	free(data);
	return wrong == 0;
}

/* grim of the output, decoded, checked against the picture. */
static bool grim_picture(struct ph_compositor *c, const struct picture *p, char *why,
		size_t why_size) {
	char out[1024];
	const char *png = ph_scratch("large.png");
	int code = ph_run(c, (const char *[]){"grim", "-o", "HEADLESS-1", png, NULL}, 20000, out,
		sizeof(out));
	struct ph_image image;
	if (code != 0 || !ph_image_load(png, &image)) {
		snprintf(why, why_size, "grim exit %d: %.200s", code, out);
		return false;
	}
	bool ok = image.width == p->width && image.height == p->height;
	if (!ok) {
		snprintf(why, why_size, "image %dx%d", image.width, image.height);
	} else {
		/* PNG pixels decode to 0xAARRGGBB: XRGB8888 words with an opaque alpha. */
		ok = picture_diff(p, image.pixels, (size_t)image.width, SHM_ARGB8888, 0xffffffffu,
			why, why_size) == 0;
	}
	ph_image_finish(&image);
	return ok;
}

/*
 * A fullscreen window of pattern_xy on a WxH output, every pixel through the
 * probe (XRGB8888: one block; ABGR8888: converted row by row) and grim; with
 * damage, a rectangle of over 2 MiB not as wide as the screen redrawn, and
 * the frame of the buffer that saw the whole picture before must carry just
 * that damage and copy just that.
 */
static void test_large(const char *mode, int width, int height, bool damage) {
	int64_t start = ph_now_ms();
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", mode, NULL})) {
		ph_ok(false, "%s: compositor started", mode);
		return;
	}
	struct ph_process paint;
	ph_spawn(&c, &paint, (const char *[]){ph_path("ph-paint"), "--pattern", "xy",
		"--fullscreen", "--app-id", "large", NULL}, PH_PIPE_STDIN | PH_PIPE_STDOUT);
	char line[256], want[64], why[300];
	snprintf(want, sizeof(want), "ready %dx%d", width, height);
	bool shown = false;
	while (!shown && ph_expect_line(&paint, "ready", line, sizeof(line), 10000)) {
		shown = strcmp(line, want) == 0;
	}
	ph_ok(shown, "%s: fullscreen window of pattern_xy drawn (%s)", mode, line);

	struct probe probe;
	probe_start(&c, &probe);
	probe_cmd(&probe, "output 0", "constraints");
	probe_cmd(&probe, "buffer a 1", "buffer");
	bool ready = probe_cmd_within(&probe, "capture a", "ready", PROBE_LARGE_TIMEOUT_MS);
	struct picture picture = {.width = width, .height = height};
	bool exact = ready && probe_picture(&probe, "a", SHM_XRGB8888, &picture, why, sizeof(why));
	ph_ok(exact, "%s: probe, XRGB8888: every pixel exact (%s)", mode, ready ? why :
		probe.line);
	ph_ok(grim_picture(&c, &picture, why, sizeof(why)), "%s: grim: every pixel exact (%s)",
		mode, why);

	if (damage) {
		/* Not the screen's width: row by row, in bands of rows. */
		struct picture changed = picture;
		changed.rect_x = width / 8;
		changed.rect_y = height / 8;
		changed.rect_w = width * 3 / 4;
		changed.rect_h = height * 3 / 4;
		changed.rect_seed = 1;
		ph_write_line(&paint, "xy 1 %d %d %d %d", changed.rect_x, changed.rect_y,
			changed.rect_w, changed.rect_h);
		bool painted = ph_expect_line(&paint, "ok", line, sizeof(line), 10000);
		char fill[64];
		snprintf(fill, sizeof(fill), "fill a 0x%08x", PADDING_SENTINEL);
		probe_cmd_within(&probe, fill, "filled", PROBE_LARGE_TIMEOUT_MS);
		ready = probe_cmd_within(&probe, "capture a", "ready", PROBE_LARGE_TIMEOUT_MS);
		char damage_want[96];
		snprintf(damage_want, sizeof(damage_want), "ready damage=%d,%d,%d,%d", changed.rect_x,
			changed.rect_y, changed.rect_w, changed.rect_h);
		ph_ok(painted && ready && strcmp(probe.line, damage_want) == 0,
			"%s: %dx%d (%.1f MiB) redrawn: the frame's damage is exactly it (%s)", mode,
			changed.rect_w, changed.rect_h,
			changed.rect_w * changed.rect_h * 4 / 1048576.0, probe.line);
		changed.outside_sentinel = true;
		exact = ready && probe_picture(&probe, "a", SHM_XRGB8888, &changed, why, sizeof(why));
		ph_ok(exact, "%s: the damaged rectangle copied exactly and nothing else written "
			"(%s)", mode, why);
		changed.outside_sentinel = false;
		ph_ok(grim_picture(&c, &changed, why, sizeof(why)),
			"%s: grim: the new rectangle, the rest as before, every pixel (%s)", mode, why);
		picture = changed;
	}

	/* A new session copies everything again, converting every pixel. */
	new_session(&probe);
	probe_cmd(&probe, "buffer b 0x34324241", "buffer");
	ready = probe_cmd_within(&probe, "capture b", "ready", PROBE_LARGE_TIMEOUT_MS);
	exact = ready && probe_picture(&probe, "b", SHM_ABGR8888, &picture, why, sizeof(why));
	ph_ok(exact, "%s: probe, ABGR8888 (red and blue swapped, alpha opaque): every pixel "
		"exact (%s)", mode, ready ? why : probe.line);
	probe_cmd(&probe, "quit", NULL);
	ph_ok(ph_wait(&probe.process, 5000) == 0, "%s: probe exits cleanly", mode);
	/* Without a second CPU nothing above was shared: that is not what this checks. */
	ph_ok(ph_compositor_log_contains(&c, "copy helper thread started"),
		"%s: the copies were shared with the helper thread (it started)", mode);
	ph_kill(&paint);
	ph_compositor_finish(&c);
	ph_diag("%s: %lld ms", mode, (long long)(ph_now_ms() - start));
}

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 120);
	/* The large screens: 9 + 2 and 6 + 2 checks (a compositor's end is two). */
	ph_plan(40 + 11 + 8);
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "640x480", "--outputs", "2",
			NULL})) {
		ph_ok(false, "compositor started");
		return ph_finish();
	}
	struct ph_process paint;
	ph_spawn(&c, &paint, (const char *[]){ph_path("ph-paint"), "--pattern", "quad",
		"--size", "320x240", NULL}, PH_PIPE_STDIN | PH_PIPE_STDOUT);
	char line[256];
	ph_ok(ph_expect_line(&paint, "ready", line, sizeof(line), 5000), "client mapped: %s", line);

	struct probe probe;
	probe_start(&c, &probe);
	probe_cmd(&probe, "output 0", "constraints");
	ph_ok(strcmp(probe.line, "constraints 640x480 formats=1,0,875709016,875708993") == 0,
		"constraints at once: size and XRGB, ARGB, XBGR, ABGR in that order (%s)", probe.line);

	test_formats(&probe);
	test_damage(&probe, &paint);
	test_bad_buffers(&probe);
	probe_cmd(&probe, "quit", NULL);
	ph_ok(ph_wait(&probe.process, 5000) == 0, "probe exits cleanly");

	test_new_session_first_frame(&c);
	test_output_removal(&c);
	test_mode_change(&c);

	ph_kill(&paint);
	ph_compositor_finish(&c);

	test_large("1920x1080", 1920, 1080, true);
	test_large("3840x2160", 3840, 2160, false);
	return ph_finish();
}
