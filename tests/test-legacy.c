/*
 * Legacy capture clients: pinhole --no-ext-capture hides the ext capture
 * globals, leaving wlr-screencopy-unstable-v1 (wlroots' own implementation).
 * grim 1.5 then falls back to screencopy; wf-recorder 0.6 only knows
 * screencopy. ph-paint draws known pixels at the top-left of a 640x480 output.
 *
 * wf-recorder writes one lossless PNG per frame (ffmpeg's image2 muxer, png
 * codec), so the frame count is the number of files and each frame's pixels
 * are exact. It records on damage only: every colour change is one frame.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include "harness.h"

#define RED 0xffff0000u
#define GREEN 0xff00ff00u
#define BLUE 0xff0000ffu
#define WHITE 0xffffffffu
#define BLACK 0xff000000u

static bool image_is_quad(const struct ph_image *image, int w, int h, char *why, size_t size) {
	return ph_image_rect_is(image, 0, 0, w / 2, h / 2, RED, why, size) &&
		ph_image_rect_is(image, w / 2, 0, w / 2, h / 2, GREEN, why, size) &&
		ph_image_rect_is(image, 0, h / 2, w / 2, h / 2, BLUE, why, size) &&
		ph_image_rect_is(image, w / 2, h / 2, w / 2, h / 2, WHITE, why, size);
}

/* The window is w x h at the top-left; the rest of the 640x480 output is black. */
static bool image_is_window(const struct ph_image *image, bool quad, uint32_t color, int w,
		int h, char *why, size_t size) {
	if (image->width != 640 || image->height != 480) {
		snprintf(why, size, "size %dx%d", image->width, image->height);
		return false;
	}
	bool ok = quad ? image_is_quad(image, w, h, why, size) :
		ph_image_rect_is(image, 0, 0, w, h, color, why, size);
	return ok && ph_image_rect_is(image, w, 0, 640 - w, 480, BLACK, why, size) &&
		ph_image_rect_is(image, 0, h, w, 480 - h, BLACK, why, size);
}

/* wf-recorder's frames: f-001.png, f-002.png, ... */
static int count_frames(void) {
	DIR *dir = opendir(ph_scratch(""));
	if (dir == NULL) {
		return -1;
	}
	int count = 0;
	struct dirent *entry;
	while ((entry = readdir(dir)) != NULL) {
		/* wf-recorder also leaves an empty file named after the pattern itself. */
		if (strncmp(entry->d_name, "f-", 2) == 0 && strstr(entry->d_name, ".png") != NULL &&
				strchr(entry->d_name, '%') == NULL) {
			count++;
		}
	}
	closedir(dir);
	return count;
}

static bool wait_frames(int count, int timeout_ms) {
	for (int waited = 0; waited < timeout_ms; waited += 20) {
		if (count_frames() >= count) {
			return true;
		}
		ph_sleep_ms(20);
	}
	return false;
}

/* Whether p exited within timeout_ms; leaves it for ph_wait to reap (ph_wait kills on timeout). */
static bool wait_exit(struct ph_process *p, int timeout_ms) {
	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		siginfo_t info = {0};
		if (waitid(P_PID, (id_t)p->pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
				info.si_pid == p->pid) {
			return true;
		}
		ph_sleep_ms(10);
	}
	return false;
}

static void dump_file(const char *path) {
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		return;
	}
	char line[512];
	int n = 0;
	while (fgets(line, sizeof(line), f) != NULL && n++ < 40) {
		ph_diag("  %s", line);
	}
	fclose(f);
}

static void test_grim(struct ph_compositor *c) {
	char out[4096];
	/* The ext globals are gone: an ext-only client must say so. */
	int code = ph_run(c, (const char *[]){ph_path("capture-shm"), ph_scratch("ext.png"), NULL},
		10000, out, sizeof(out));
	out[strcspn(out, "\n")] = '\0';
	ph_ok(code != 0 && strstr(out, "lacks wl_shm or ext-image-copy-capture-v1") != NULL,
		"--no-ext-capture: ext-only capture-shm refused (exit %d: %s)", code, out);

	code = ph_run(c, (const char *[]){"grim", ph_scratch("grim.png"), NULL}, 10000, out,
		sizeof(out));
	ph_ok(code == 0, "grim (wlr-screencopy) exit %d %s", code, out);
	struct ph_image image;
	char why[160] = "unreadable";
	bool ok = ph_image_load(ph_scratch("grim.png"), &image);
	ok = ok && image_is_window(&image, true, 0, 320, 240, why, sizeof(why));
	ph_ok(ok, "grim: quadrants exact, desktop black (%s)", why);
	ph_image_finish(&image);

	code = ph_run(c, (const char *[]){"grim", "-g", "150,110 20x20", "-t", "ppm",
		ph_scratch("geom.ppm"), NULL}, 10000, out, sizeof(out));
	snprintf(why, sizeof(why), "unreadable");
	ok = code == 0 && ph_image_load(ph_scratch("geom.ppm"), &image);
	ok = ok && image.width == 20 && image.height == 20 &&
		image_is_quad(&image, 20, 20, why, sizeof(why));
	ph_ok(ok, "grim -g '150,110 20x20' -t ppm: 10x10 of each quadrant (exit %d, %s)", code,
		why);
	ph_image_finish(&image);
}

static const uint32_t colors[] = {0xffcc3311, 0xff11aa55, 0xff2244ee, 0xff808080, 0xfff0e010};
#define NCOLORS (int)(sizeof(colors) / sizeof(colors[0]))

static void test_wf_recorder(struct ph_compositor *c, struct ph_process *paint) {
	char line[256];
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "exec wf-recorder -y -o HEADLESS-1 -m image2 -c png -f '%s' "
		">'%s' 2>&1", ph_scratch("f-%03d.png"), ph_scratch("wf-recorder.log"));
	struct ph_process rec;
	ph_spawn(c, &rec, (const char *[]){"sh", "-c", cmd, NULL}, 0);

	/* The first frame is the screen as it is: the quadrants. */
	bool started = wait_frames(1, 10000);
	ph_ok(started, "wf-recorder wrote its first frame");
	if (!started) {
		dump_file(ph_scratch("wf-recorder.log"));
		ph_kill(&rec);
		return;
	}
	/* Each change is damage, and wf-recorder takes one frame per damage. */
	bool all = true;
	for (int i = 0; i < NCOLORS; i++) {
		ph_write_line(paint, "color 0x%08x", colors[i]);
		bool shown = ph_expect_line(paint, "ok", line, sizeof(line), 5000);
		bool recorded = shown && wait_frames(i + 2, 5000);
		if (!recorded) {
			ph_diag("colour %d: shown=%d, frames on disk %d", i, shown, count_frames());
		}
		all = all && recorded;
		ph_sleep_ms(100);
	}
	ph_ok(all, "a frame recorded for each of %d changes", NCOLORS);

	/*
	 * SIGINT only sets a flag: wf-recorder sits in wl_display_dispatch until
	 * the next screencopy frame, which comes with the next damage.
	 */
	kill(rec.pid, SIGINT);
	int code = -1;
	for (int i = 0; i < 10 && code < 0; i++) {
		ph_write_line(paint, "rect 0 0 1 1 0xff%06x", 0x010101 * (unsigned)i);
		ph_expect_line(paint, "ok", line, sizeof(line), 5000);
		if (wait_exit(&rec, 500)) {
			code = ph_wait(&rec, 1000);
			break;
		}
	}
	if (code < 0) {
		ph_kill(&rec);
	}
	ph_ok(code == 0, "wf-recorder exits 0 after SIGINT and one more damage (status %d)", code);
	if (code != 0) {
		dump_file(ph_scratch("wf-recorder.log"));
	}

	/*
	 * Frames: quadrants, the NCOLORS colours, then perhaps the 1x1 pokes that
	 * woke it up. Every frame must be one of these pictures, in this order.
	 */
	int frames = count_frames();
	ph_ok(frames >= NCOLORS + 1 && frames <= NCOLORS + 1 + 10,
		"frame count %d (expected %d, plus up to 10 wake-up frames)", frames, NCOLORS + 1);
	int bad = 0;
	for (int i = 1; i <= frames && i <= NCOLORS + 1; i++) {
		char name[32], why[160] = "unreadable";
		snprintf(name, sizeof(name), "f-%03d.png", i);
		struct ph_image image;
		bool ok = ph_image_load(ph_scratch(name), &image);
		ok = ok && image_is_window(&image, i == 1, i == 1 ? 0 : colors[i - 2], 320, 240, why,
			sizeof(why));
		if (!ok) {
			bad++;
			ph_diag("%s: %s", name, why);
		}
		ph_image_finish(&image);
	}
	ph_ok(bad == 0, "frames 1..%d are exactly quadrants then colours 1..%d (%d wrong)",
		NCOLORS + 1, NCOLORS, bad);
	/* Wake-up frames, if recorded, have the 1x1 poke at the corner: one check for all. */
	int wake_ups = 0, bad_wake_ups = 0;
	char wake_why[400] = "none recorded";
	for (int i = NCOLORS + 2; i <= frames; i++) {
		char name[32], why[160] = "unreadable";
		snprintf(name, sizeof(name), "f-%03d.png", i);
		struct ph_image image;
		bool ok = ph_image_load(ph_scratch(name), &image);
		uint32_t corner = ok ? ph_image_at(&image, 0, 0) : 0;
		ok = ok && (corner & 0xff000000u) == 0xff000000u && (corner & 0xffffff) < 0x0a0a0a &&
			ph_image_rect_is(&image, 1, 1, 319, 239, colors[NCOLORS - 1], why, sizeof(why));
		wake_ups++;
		if (!ok) {
			bad_wake_ups++;
			snprintf(wake_why, sizeof(wake_why), "%s: poke 0x%08x, %s", name, corner, why);
		} else if (bad_wake_ups == 0) {
			snprintf(wake_why, sizeof(wake_why), "exact");
		}
		ph_image_finish(&image);
	}
	ph_ok(bad_wake_ups == 0, "%d wake-up frames, each a 1x1 poke over the last colour (%s)",
		wake_ups, wake_why);
}

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 120);
	ph_plan(13);
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "640x480", "--no-ext-capture",
			NULL})) {
		ph_ok(false, "compositor started");
		return ph_finish();
	}
	struct ph_process paint;
	ph_spawn(&c, &paint, (const char *[]){ph_path("ph-paint"), "--pattern", "quad",
		"--size", "320x240", "--app-id", "legacy-test", NULL}, PH_PIPE_STDIN | PH_PIPE_STDOUT);
	char line[256] = "";
	ph_ok(ph_expect_line(&paint, "ready", line, sizeof(line), 5000), "client mapped: %s", line);

	test_grim(&c);
	test_wf_recorder(&c, &paint);

	ph_write_line(&paint, "quit");
	ph_wait(&paint, 2000);
	ph_compositor_finish(&c);
	return ph_finish();
}
