/*
 * The OBS path: xdg-desktop-portal + xdg-desktop-portal-wlr (0.8.4) on a
 * private D-Bus session, PipeWire + WirePlumber, a ScreenCast session started
 * through org.freedesktop.portal.ScreenCast by tests/scripts/portal-screencast.py
 * (python3-dbus), and a PipeWire consumer recording N frames of the stream
 * as lossless PNGs while ph-paint changes colour.
 *
 * Twice: sharing the output (SourceType 1, chooser_type=none with
 * output_name), then sharing the window (SourceType 2) through
 * ext-foreign-toplevel-list and the foreign-toplevel capture source. For the
 * window, xdpw runs its dmenu-style chooser: it writes one line per toplevel,
 * "Window: TITLE (IDENTIFIER)", to chooser_cmd's stdin and shares the line the
 * command prints; the command here is a grep for the test window's title.
 * That window is a second ph-paint, 1280x720, mapped over the first; its
 * frames must be exactly the window: 1280x720, its pixels only.
 *
 * The consumer (tests/scripts/pw_consumer.py, libpipewire-0.3 through
 * ctypes) connects the way OBS's PipeWire source and browsers' WebRTC capture
 * do: one stream, autoconnected, active from the start and never paused
 * until it disconnects. It is not gst-launch's pipewiresrc, because that one
 * pauses: it waits for STREAMING on READY->PAUSED, deactivates the stream and
 * activates it again on PAUSED->PLAYING (PipeWire 1.6's gstpipewiresrc.c,
 * live or not), so the producer goes STREAMING -> PAUSED -> STREAMING during
 * start-up. xdg-desktop-portal-wlr 0.8.4 does not survive that while a frame
 * is live (upstream PRs #340, #380): on PAUSED it queues the PipeWire buffer
 * of its pending frame (unfilled, flagged CORRUPTED), and on the next process
 * callback dequeues another and sends create_frame again on the same session,
 * which the compositor rightly answers with duplicate_frame, killing xdpw.
 * Whether the frame is still live then depends on how fast pinhole answers
 * the first capture: with pipewiresrc, xdpw died in 8 of 8 attempts with a
 * full-frame copy as one block (8524522) and in part of them without.
 *
 * Each share checks xdpw's own trace (-l TRACE) for that: its stream reached
 * "streaming" exactly once and it never started a capture while its previous
 * frame was live. If xdpw still dies that way the share is retried with fresh
 * portals (up to 8 attempts, the retries counted in the TAP line; 0 in normal
 * runs) -- only on xdpw's own evidence: its process is gone and its trace shows
 * the second create_frame (see xdpw_trace). pinhole's log is not evidence: a
 * pinhole that sent duplicate_frame wrongly fails the test.
 *
 * The consumer writes every buffer xdpw sends except those flagged CORRUPTED,
 * which it counts: none may come (xdpw flags a buffer so when its capture
 * failed or it queued it unfilled). The screen starts changing (every 300 ms)
 * once the consumer's stream is streaming, not after its first frame: the
 * first picture of a stream sometimes never reaches the consumer although
 * xdpw's trace shows it ready and queued unflagged (about 1 stream in 2 here,
 * the consumer's PipeWire log then saying "client missed 1 wakeups"; OBS's
 * sources lose it too, see docs/screen-sharing.md), and nothing else would
 * make xdpw send another. So the first frame is the initial picture or the
 * first change.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"
#include "media.h"

#ifndef OUT_W
#define OUT_W 1920
#define OUT_H 1080
#endif
#define WIN_W 320
#define WIN_H 240
/* The shared window: a second, larger one, mapped over the first. */
#define SHARED_W 1280
#define SHARED_H 720
#define FRAMES 5
#define MAX_ATTEMPTS 8
#define WINDOW_TITLE "portal-window"

#define RED 0xffff0000u
#define GREEN 0xff00ff00u
#define BLUE 0xff0000ffu
#define WHITE 0xffffffffu
#define BLACK 0xff000000u

static const uint32_t colors[] = {
	0xffcc3311, 0xff11aa55, 0xff2244ee, 0xff808080, 0xfff0e010, 0xff123456, 0xff654321,
	0xffabcdef, 0xff00c0c0, 0xffc000c0,
};
#define NCOLORS (int)(sizeof(colors) / sizeof(colors[0]))

static char script[600];
static char xdpw_path[600], xdp_path[600];

struct portals {
	struct ph_media *media;
	char config[600]; /* xdpw's config file */
	struct ph_process xdpw, xdp;
	int generation;
	char xdpw_log[64], xdp_log[64];
};

/* xdpw first: xdg-desktop-portal asks its backends for their properties at start-up. */
static bool portals_start(struct ph_compositor *c, struct portals *portals) {
	portals->generation++;
	snprintf(portals->xdpw_log, sizeof(portals->xdpw_log), "xdpw-%d.log", portals->generation);
	snprintf(portals->xdp_log, sizeof(portals->xdp_log), "xdp-%d.log", portals->generation);
	char cmd[1400];
	/* Its frames traced: the evidence of its own race (see xdpw_died_of_its_race). */
	snprintf(cmd, sizeof(cmd), "'%s' -l TRACE -c '%s'", xdpw_path, portals->config);
	ph_spawn_logged(c, &portals->xdpw, portals->xdpw_log, cmd);
	if (!ph_media_wait_name(c, portals->media, "org.freedesktop.impl.portal.desktop.wlr")) {
		ph_dump_tail("xdpw log", ph_scratch(portals->xdpw_log), 2000);
		return false;
	}
	snprintf(cmd, sizeof(cmd), "'%s' -v", xdp_path);
	ph_spawn_logged(c, &portals->xdp, portals->xdp_log, cmd);
	if (!ph_media_wait_name(c, portals->media, "org.freedesktop.portal.Desktop")) {
		ph_dump_tail("xdg-desktop-portal log", ph_scratch(portals->xdp_log), 2000);
		return false;
	}
	return true;
}

static void portals_stop(struct portals *portals) {
	ph_kill(&portals->xdp);
	ph_kill(&portals->xdpw);
}

/*
 * What one frame shows: -1 unknown, 0 quadrants, 1+i colour i, -2 all black.
 * An output frame is the whole screen (the window at the top-left, black
 * around it); a window frame is the window alone.
 */
static int classify(const struct ph_image *image, bool window, char *why, size_t size) {
	int w = window ? SHARED_W : OUT_W, h = window ? SHARED_H : OUT_H;
	/* Where the window is in the frame, and its size. */
	int win_w = window ? SHARED_W : WIN_W, win_h = window ? SHARED_H : WIN_H;
	if (image->width != w || image->height != h) {
		snprintf(why, size, "size %dx%d, expected %dx%d", image->width, image->height, w, h);
		return -1;
	}
	char tmp[160];
	bool desktop_black = window ||
		(ph_image_rect_is(image, WIN_W, 0, OUT_W - WIN_W, OUT_H, BLACK, why, size) &&
			ph_image_rect_is(image, 0, WIN_H, WIN_W, OUT_H - WIN_H, BLACK, why, size));
	if (!desktop_black) {
		return -1;
	}
	if (ph_image_rect_is(image, 0, 0, win_w, win_h, BLACK, tmp, sizeof(tmp))) {
		return -2;
	}
	int hw = win_w / 2, hh = win_h / 2;
	if (ph_image_rect_is(image, 0, 0, hw, hh, RED, tmp, sizeof(tmp)) &&
			ph_image_rect_is(image, hw, 0, hw, hh, GREEN, tmp, sizeof(tmp)) &&
			ph_image_rect_is(image, 0, hh, hw, hh, BLUE, tmp, sizeof(tmp)) &&
			ph_image_rect_is(image, hw, hh, hw, hh, WHITE, tmp, sizeof(tmp))) {
		return 0;
	}
	uint32_t corner = ph_image_at(image, 0, 0);
	for (int i = 0; i < NCOLORS; i++) {
		if (corner == colors[i]) {
			if (ph_image_rect_is(image, 0, 0, win_w, win_h, colors[i], why, size)) {
				return 1 + i;
			}
			return -1;
		}
	}
	snprintf(why, size, "window corner is 0x%08x: neither quadrants nor a known colour",
		corner);
	return -1;
}

struct attempt {
	bool started, recorded, closed, timed_out;
	/* The consumer's summary line: frames written, buffers it did not write. */
	int frames, corrupted, short_buffers;
	char consumer_states[128];
	char stream[160];
	char error[512];
	int changes;
	/* From xdpw's own trace. */
	int xdpw_streaming;
	bool xdpw_duplicate;
};

static void xdpw_trace(struct portals *portals, struct attempt *a);

/* One portal session: returns whether xdpw died of the known duplicate_frame race. */
static bool run_attempt(struct ph_compositor *c, struct ph_process *paint, struct portals *portals,
		int number, int source_types, struct attempt *a) {
	memset(a, 0, sizeof(*a));
	a->frames = -1;
	char dir[64], pattern[600], line[1024];
	snprintf(dir, sizeof(dir), "frames-%d", number);
	mkdir(ph_scratch(dir), 0700);
	snprintf(pattern, sizeof(pattern), "%s/f-%%03d.png", ph_scratch(dir));
	char frames_arg[16];
	snprintf(frames_arg, sizeof(frames_arg), "%d", FRAMES);
	struct ph_process client;
	char types_arg[16];
	snprintf(types_arg, sizeof(types_arg), "%d", source_types);
	ph_spawn(c, &client, (const char *[]){"python3", script, "--frames", frames_arg, "--out",
		pattern, "--cursor-mode", "2", "--source-types", types_arg, "--timeout", "20", NULL},
		PH_PIPE_STDOUT);

	int64_t deadline = ph_now_ms() + 40000;
	int next_color = 0;
	/*
	 * Later attempts start from colour 0, so that their frames too only move
	 * forward through the list (an earlier attempt left some colour showing).
	 */
	if (number > 1) {
		ph_write_line(paint, "color 0x%08x", colors[next_color++]);
		ph_expect_line(paint, "ok", line, sizeof(line), 5000);
	}
	int64_t next_change = 0;
	while (ph_now_ms() < deadline) {
		int wait = a->recorded ? 50 : (int)(deadline - ph_now_ms());
		if (ph_read_line(&client, line, sizeof(line), wait)) {
			if (strncmp(line, "stream ", 7) == 0) {
				snprintf(a->stream, sizeof(a->stream), "%.150s", line + 7);
				a->started = true;
			} else if (strcmp(line, "recording") == 0) {
				a->recorded = true;
				next_change = ph_now_ms() + 300;
			} else if (strncmp(line, "consumer ", 9) == 0) {
				if (sscanf(line, "consumer frames=%d corrupted=%d short=%d states=%127s",
						&a->frames, &a->corrupted, &a->short_buffers,
						a->consumer_states) != 4) {
					snprintf(a->error, sizeof(a->error), "unreadable: %.480s", line);
				}
			} else if (strcmp(line, "consumer-timeout") == 0) {
				a->timed_out = true;
				snprintf(a->error, sizeof(a->error), "the consumer got fewer than %d "
					"frames in 20 s", FRAMES);
			} else if (strcmp(line, "closed") == 0) {
				a->closed = true;
				break;
			} else if (strncmp(line, "error ", 6) == 0) {
				snprintf(a->error, sizeof(a->error), "%.500s", line + 6);
				break;
			}
			continue;
		}
		if (ph_exited(&client)) {
			break;
		}
		/* Once the consumer streams, the screen changes every 300 ms: a frame per change. */
		if (a->recorded && a->frames < 0 && next_color < NCOLORS && ph_now_ms() >= next_change) {
			ph_write_line(paint, "color 0x%08x", colors[next_color++]);
			ph_expect_line(paint, "ok", line, sizeof(line), 5000);
			a->changes++;
			next_change = ph_now_ms() + 300;
		}
	}
	int code = ph_wait(&client, 5000);
	if (code != 0 && a->error[0] == '\0') {
		snprintf(a->error, sizeof(a->error), "portal-screencast.py exit %d", code);
	}
	xdpw_trace(portals, a);
	return ph_exited(&portals->xdpw) && a->xdpw_duplicate;
}

/*
 * What xdpw's own trace log (-l TRACE) says about its stream: how often it
 * went to "streaming" (once, with a consumer that never pauses), and whether
 * it sent create_frame ("ext: frame callbacks registered", logged right after
 * it; "ext: start screencopy" comes first and also when xdpw then gives up
 * for want of a buffer) while its previous frame was neither ready nor failed
 * (the handlers that destroy it) and the session had not been made anew:
 * what the protocol calls duplicate_frame, xdpw's own race. With xdpw's
 * process gone, that is the only evidence a retry is allowed on: pinhole's
 * word (its log) does not count, a pinhole that sent duplicate_frame wrongly
 * must fail the test.
 */
static void xdpw_trace(struct portals *portals, struct attempt *a) {
	char *log = ph_read_file(ph_scratch(portals->xdpw_log));
	if (log == NULL) {
		return;
	}
	bool frame_live = false;
	int line_number = 0, duplicate_line = 0;
	char *save = NULL;
	for (char *line = strtok_r(log, "\n", &save); line != NULL;
			line = strtok_r(NULL, "\n", &save)) {
		line_number++;
		if (strstr(line, "ext: frame callbacks registered") != NULL) {
			if (frame_live && duplicate_line == 0) {
				duplicate_line = line_number;
			}
			frame_live = true;
		} else if (strstr(line, "ext: ready event handler") != NULL ||
				strstr(line, "ext: frame capture failed") != NULL ||
				strstr(line, "ext: session callbacks registered") != NULL) {
			frame_live = false;
		} else if (strstr(line, "pipewire: stream state changed to \"streaming\"") != NULL) {
			a->xdpw_streaming++;
		}
	}
	a->xdpw_duplicate = duplicate_line > 0;
	if (a->xdpw_duplicate) {
		ph_diag("xdpw's own trace (%s, line %d): a second create_frame ('ext: frame "
			"callbacks registered') while its frame was still live", portals->xdpw_log,
			duplicate_line);
	}
	free(log);
}

static void check_frames(int number, bool window, const struct attempt *a) {
	const char *what_shared = window ? "window" : "output";
	int count = 0, last = -100, black = 0, colours = 0, unknown = 0;
	bool ordered = true;
	char seq[256] = "";
	for (int i = 0; i <= FRAMES; i++) {
		char name[64];
		snprintf(name, sizeof(name), "frames-%d/f-%03d.png", number, i);
		if (access(ph_scratch(name), F_OK) != 0) {
			continue;
		}
		count++;
		struct ph_image image;
		char why[200] = "unreadable";
		int what = -1;
		if (ph_image_load(ph_scratch(name), &image)) {
			what = classify(&image, window, why, sizeof(why));
			ph_image_finish(&image);
		}
		char item[16];
		snprintf(item, sizeof(item), "%s%s", i > 0 ? "," : "",
			what == -2 ? "black" : what == -1 ? "?" : what == 0 ? "quad" : "c");
		strncat(seq, item, sizeof(seq) - strlen(seq) - 1);
		if (what >= 1) {
			snprintf(item, sizeof(item), "%d", what - 1);
			strncat(seq, item, sizeof(seq) - strlen(seq) - 1);
			colours++;
		}
		if (what == -1) {
			unknown++;
			ph_diag("%s: %s", name, why);
		} else if (what == -2) {
			/* The screen never showed all black; an unfilled buffer would. */
			black++;
		} else {
			if (what < last) {
				ordered = false;
			}
			last = what;
		}
	}
	ph_diag("%s frame sequence: %s; the consumer's stream: %s", what_shared, seq,
		a->consumer_states);
	ph_ok(count == FRAMES && a->frames == FRAMES, "%s: the consumer wrote %d frames, "
		"reported %d (of %d)", what_shared, count, a->frames, FRAMES);
	ph_ok(a->corrupted == 0 && a->short_buffers == 0, "%s: no buffer flagged CORRUPTED (%d) "
		"or without a whole picture (%d)", what_shared, a->corrupted, a->short_buffers);
	ph_ok(unknown == 0, "%s: every frame is exactly a picture the %s showed (%d are not)",
		what_shared, window ? "window (its size, nothing else)" : "screen", unknown);
	ph_ok(ordered && black == 0, "%s: frames come in screen order (%s)", what_shared, seq);
	ph_ok(colours >= 2, "%s: frames follow the changes: %d colour frames", what_shared,
		colours);
}

/* One share (output or window), retried if xdpw dies of its own race; then the checks. */
static void share(struct ph_compositor *c, struct ph_process *paint, struct portals *portals,
		bool window, int *number) {
	const char *what = window ? "window" : "output";
	struct attempt a = {0};
	bool raced = false, ok = true;
	int retries = 0;
	for (int tries = 0; ok && tries < MAX_ATTEMPTS; tries++) {
		(*number)++;
		raced = run_attempt(c, paint, portals, *number, window ? 2 : 1, &a);
		if (!raced) {
			break;
		}
		ph_diag("%s attempt %d: xdg-desktop-portal-wlr sent create_frame twice (its own "
			"STREAMING->PAUSED->STREAMING race, upstream PRs #340/#380) and was "
			"disconnected with duplicate_frame; restarting the portals", what, tries + 1);
		portals_stop(portals);
		if (tries + 1 < MAX_ATTEMPTS) {
			ok = portals_start(c, portals);
			retries++;
		}
	}
	ph_ok(!raced, "%s: xdpw did not die of its duplicate_frame race; %d retries, each after "
		"xdpw's own trace showed it (at most %d)", what, retries, MAX_ATTEMPTS - 1);
	ph_ok(a.xdpw_streaming == 1 && !a.xdpw_duplicate, "%s: xdpw's own trace: its stream went "
		"to streaming %d times (the consumer never paused it), %s", what, a.xdpw_streaming,
		a.xdpw_duplicate ? "and it sent create_frame while a frame was live" :
		"never a create_frame while a frame was live");
	ph_ok(a.started, "%s: ScreenCast session: CreateSession, SelectSources (%s, cursor "
		"embedded), Start -> stream %s", what, window ? "SourceType 2, window" :
		"SourceType 1, monitor", a.stream[0] != '\0' ? a.stream : a.error);
	/* xdpw 0.8.4 gives a window stream no size property (the frames say it). */
	char expected_stream[64];
	snprintf(expected_stream, sizeof(expected_stream), "size=%dx%d source_type=%d",
		window ? 0 : OUT_W, window ? 0 : OUT_H, window ? 2 : 1);
	ph_ok(strstr(a.stream, expected_stream) != NULL, "%s: stream properties: %s (expected %s)",
		what, a.stream, expected_stream);
	ph_ok(a.recorded && a.frames == FRAMES && !a.timed_out, "%s: OpenPipeWireRemote + a "
		"PipeWire consumer that never pauses: %d of %d frames after %d changes %s", what,
		a.frames, FRAMES, a.changes, a.error);
	if (a.started) {
		check_frames(*number, window, &a);
	}
	ph_ok(a.closed, "%s: session closed through the portal %s", what, a.error);
	char xdpw_state[64];
	ph_exit_describe(&portals->xdpw, xdpw_state, sizeof(xdpw_state));
	ph_ok(!ph_exited(&portals->xdpw), "%s: xdg-desktop-portal-wlr still running at the end (%s)",
		what, xdpw_state);
	if (!a.closed || a.frames != FRAMES || raced || a.xdpw_streaming != 1) {
		ph_dump_tail("xdpw log", ph_scratch(portals->xdpw_log), 3000);
		ph_dump_tail("xdg-desktop-portal log", ph_scratch(portals->xdp_log), 1500);
		ph_dump_tail("wireplumber log", ph_scratch("wireplumber.log"), 800);
	}
}

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 200);
	ph_plan(35);
	/*
	 * Declared dependencies (tools/dev's root has them all): a missing one
	 * fails the test. The portals are found the way D-Bus activation finds
	 * them, through their service files, not at a hard-coded libexec path.
	 */
	bool have = ph_find_dbus_service("org.freedesktop.impl.portal.desktop.wlr", xdpw_path,
		sizeof(xdpw_path));
	ph_ok(have, "xdg-desktop-portal-wlr found through its D-Bus service file (%s)",
		have ? xdpw_path : "none in XDG_DATA_DIRS/dbus-1/services");
	bool have_xdp = ph_find_dbus_service("org.freedesktop.portal.Desktop", xdp_path,
		sizeof(xdp_path));
	ph_ok(have_xdp, "xdg-desktop-portal found through its D-Bus service file (%s)",
		have_xdp ? xdp_path : "none in XDG_DATA_DIRS/dbus-1/services");
	have = ph_require_programs("portal test", (const char *[]){"pipewire", "wireplumber",
		"dbus-daemon", "python3", NULL}) && have && have_xdp;
	if (!have) {
		return ph_finish();
	}
	ph_source_path("tests/scripts/portal-screencast.py", script, sizeof(script));

	struct ph_compositor c;
	char mode[32];
	snprintf(mode, sizeof(mode), "%dx%d", OUT_W, OUT_H);
	if (!ph_compositor_start(&c, (const char *[]){"--mode", mode, NULL})) {
		ph_ok(false, "compositor started");
		return ph_finish();
	}
	struct ph_process paint;
	ph_spawn(&c, &paint, (const char *[]){ph_path("ph-paint"), "--pattern", "quad", "--size",
		"320x240", "--app-id", "portal-test", NULL},
		PH_PIPE_STDIN | PH_PIPE_STDOUT);
	char line[1024] = "";
	ph_ok(ph_expect_line(&paint, "ready", line, sizeof(line), 5000), "client mapped: %s", line);

	/* Private configuration, state and session: nothing of the user's or the system's. */
	struct ph_media media;
	if (!ph_media_start(&c, &media, "[screencast]\noutput_name=HEADLESS-1\n"
			"chooser_type=none\nmax_fps=30\n")) {
		ph_media_stop(&media);
		ph_compositor_finish(&c);
		return ph_finish();
	}

	struct portals portals = {.media = &media};
	snprintf(portals.config, sizeof(portals.config), "%s",
		ph_scratch("config/xdg-desktop-portal-wlr/config"));
	bool ok = portals_start(&c, &portals);
	ph_ok(ok, "xdg-desktop-portal-wlr and xdg-desktop-portal own their bus names");
	int number = 0;
	if (ok) {
		share(&c, &paint, &portals, false, &number);
	}

	/* The window: a second client, fresh portals with a chooser that picks it by its title. */
	portals_stop(&portals);
	struct ph_process shared;
	char shared_size[32];
	snprintf(shared_size, sizeof(shared_size), "%dx%d", SHARED_W, SHARED_H);
	ph_spawn(&c, &shared, (const char *[]){ph_path("ph-paint"), "--pattern", "quad", "--size",
		shared_size, "--app-id", "portal-test", "--title", WINDOW_TITLE, NULL},
		PH_PIPE_STDIN | PH_PIPE_STDOUT);
	ph_ok(ph_expect_line(&shared, "ready", line, sizeof(line), 5000),
		"window to share mapped: %s", line);
	ph_write_file(ph_scratch("config/xdg-desktop-portal-wlr/config-window"),
		"[screencast]\nchooser_type=dmenu\n"
		"chooser_cmd=grep -F 'Window: " WINDOW_TITLE " ('\nmax_fps=30\n");
	snprintf(portals.config, sizeof(portals.config), "%s",
		ph_scratch("config/xdg-desktop-portal-wlr/config-window"));
	ok = portals_start(&c, &portals);
	ph_ok(ok, "window sharing: portals restarted with the chooser command");
	if (ok) {
		share(&c, &shared, &portals, true, &number);
	}
	ph_write_line(&shared, "quit");
	ph_wait(&shared, 2000);

	portals_stop(&portals);
	ph_media_stop(&media);
	ph_write_line(&paint, "quit");
	ph_wait(&paint, 2000);
	ph_compositor_finish(&c);
	return ph_finish();
}
