/*
 * OBS Studio itself as the client: OBS (32.x) runs as a Wayland client of a
 * headless pinhole and records, through xdg-desktop-portal,
 * xdg-desktop-portal-wlr and PipeWire, one scene with two sources side by
 * side: "Screen Capture (PipeWire)" of HEADLESS-1 and "Window Capture
 * (PipeWire)" of a test window. The recording is lossless (utvideo in AVI,
 * OBS colour format BGRA), decoded by ffmpeg and checked frame by frame.
 *
 * The screen (640x480):       the OBS canvas (1000x480):
 *   (0,0)   window W 320x240    (0,0)   Screen source, 640x480
 *   (32,32) OBS's main window   (660,0) Window source (W alone), 320x240
 *   (64,64) window S 320x240    everything else: black
 * pinhole cascades new windows by 32 px, newest on top. W must exist before
 * OBS starts (OBS opens its portal sessions at start-up, and the window
 * chooser needs W listed); S is mapped once OBS's window is, so that it is
 * on top of it. The screen capture shows OBS's own window too (with its
 * preview: the infinite mirror); only S's rectangle is checked there.
 *
 * Both portal sessions go through xdpw's dmenu chooser: an awk command that
 * answers the output line when one is offered (OBS's screen source asks for
 * monitors and windows) and W's line otherwise.
 *
 * The test drives OBS through obs-websocket (tests/scripts/obs-control.py):
 * for each colour it paints W and S, waits until GetSourceScreenshot shows
 * the colour in both sources and then until OBS has written 200 ms more
 * video, so every colour is in the recording whatever the machine's speed.
 * StopRecord ends the recording cleanly (SIGINT while recording would open
 * OBS's "active outputs" dialog instead); then SIGTERM quits OBS (see the
 * note on its shutdown crash below).
 *
 * Never skipped: a missing dependency fails. Needs obs-studio, obs-plugins (the
 * PipeWire sources), libgl1 (OBS loads libGL.so.1 even on EGL) and ffmpeg;
 * OpenGL comes from Mesa's llvmpipe (LIBGL_ALWAYS_SOFTWARE=1).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"
#include "media.h"

#define OUT_W 640
#define OUT_H 480
#define WIN_W 320
#define WIN_H 240
/* Where pinhole's cascade puts S: the third window mapped. */
#define S_X 64
#define S_Y 64
#define CANVAS_W 1000
#define CANVAS_H 480
#define WINDOW_SOURCE_X 660
#define MIN_FRAMES 30
#define WINDOW_TITLE "obs-window"
#define SCREEN_TITLE "obs-screen"

static const uint32_t colors[] = {0xff204080, 0xff11aa55, 0xffcc3311, 0xfff0e010};
#define NCOLORS (int)(sizeof(colors) / sizeof(colors[0]))

static char control_script[600];

static bool wait_log(struct ph_compositor *c, const char *needle, int timeout_ms) {
	for (int waited = 0; waited < timeout_ms; waited += 100) {
		if (ph_compositor_log_contains(c, needle)) {
			return true;
		}
		ph_sleep_ms(100);
	}
	return false;
}

/* OBS's configuration in a fresh XDG_CONFIG_HOME: no restore token, no first-run wizard. */
static void write_obs_config(int port) {
	const char *dirs[] = {"config/obs-studio", "config/obs-studio/basic",
		"config/obs-studio/basic/profiles", "config/obs-studio/basic/profiles/pinhole",
		"config/obs-studio/basic/scenes", "config/obs-studio/plugin_config",
		"config/obs-studio/plugin_config/obs-websocket", "recordings"};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		mkdir(ph_scratch(dirs[i]), 0700);
	}
	/* FirstRun=true means "the first run is done": no auto-configuration wizard. */
	const char *general = "[General]\nFirstRun=true\nLastVersion=537001986\n"
		"EnableAutoUpdates=false\nConfirmOnExit=false\n\n"
		"[Basic]\nProfile=pinhole\nProfileDir=pinhole\nSceneCollection=pinhole\n"
		"SceneCollectionFile=pinhole\nConfigOnNewProfile=false\n\n";
	char text[4096];
	snprintf(text, sizeof(text), "%s[Video]\nRenderer=OpenGL\n", general);
	ph_write_file(ph_scratch("config/obs-studio/global.ini"), text);
	snprintf(text, sizeof(text), "%s[BasicWindow]\nWarnBeforeStartingStream=false\n"
		"WarnBeforeStoppingRecord=false\nSysTrayEnabled=false\n", general);
	ph_write_file(ph_scratch("config/obs-studio/user.ini"), text);
	/*
	 * Simple output, "Lossless" quality: utvideo video and PCM audio in AVI.
	 * Colour format BGRA: no RGB->YUV conversion, so pixels stay exact.
	 */
	snprintf(text, sizeof(text), "[General]\nName=pinhole\n\n"
		"[Video]\nBaseCX=%d\nBaseCY=%d\nOutputCX=%d\nOutputCY=%d\nFPSType=0\nFPSCommon=30\n"
		"ColorFormat=BGRA\nColorSpace=709\nColorRange=Full\nScaleType=point\n\n"
		"[Audio]\nSampleRate=48000\nChannelSetup=Stereo\n\n"
		"[Output]\nMode=Simple\n\n"
		"[SimpleOutput]\nFilePath=%s\nRecFormat2=avi\nRecQuality=Lossless\nRecEncoder=x264\n"
		"FileNameWithoutSpace=true\n", CANVAS_W, CANVAS_H, CANVAS_W, CANVAS_H,
		ph_scratch("recordings"));
	ph_write_file(ph_scratch("config/obs-studio/basic/profiles/pinhole/basic.ini"), text);

	/* Sources at scale 1, no filter: canvas pixels are source pixels. */
	const char *source = "{\"name\": \"%s\", \"uuid\": \"%s\", \"id\": \"%s\", "
		"\"versioned_id\": \"%s\", \"settings\": {\"ShowCursor\": false, "
		"\"RestoreToken\": \"\"}, \"enabled\": true, \"mixers\": 0, \"flags\": 0, "
		"\"volume\": 1.0, \"muted\": false, \"private_settings\": {}}";
	const char *item = "{\"name\": \"%s\", \"source_uuid\": \"%s\", \"id\": %d, "
		"\"visible\": true, \"locked\": false, \"rot\": 0.0, \"align\": 5, "
		"\"bounds_type\": 0, \"bounds_align\": 0, \"bounds\": {\"x\": 0.0, \"y\": 0.0}, "
		"\"pos\": {\"x\": %d.0, \"y\": 0.0}, \"scale\": {\"x\": 1.0, \"y\": 1.0}, "
		"\"crop_left\": 0, \"crop_top\": 0, \"crop_right\": 0, \"crop_bottom\": 0, "
		"\"scale_filter\": \"disable\", \"blend_method\": \"default\", "
		"\"blend_type\": \"normal\", \"private_settings\": {}}";
	const char *screen_uuid = "22222222-2222-4222-8222-222222222222";
	const char *window_uuid = "33333333-3333-4333-8333-333333333333";
	char screen[600], window[600], screen_item[700], window_item[700];
	snprintf(screen, sizeof(screen), source, "Screen", screen_uuid,
		"pipewire-screen-capture-source", "pipewire-screen-capture-source");
	snprintf(window, sizeof(window), source, "Window", window_uuid,
		"pipewire-window-capture-source", "pipewire-window-capture-source");
	snprintf(screen_item, sizeof(screen_item), item, "Screen", screen_uuid, 1, 0);
	snprintf(window_item, sizeof(window_item), item, "Window", window_uuid, 2,
		WINDOW_SOURCE_X);
	snprintf(text, sizeof(text), "{\"name\": \"pinhole\", \"sources\": [%s, %s, "
		"{\"name\": \"Scene\", \"uuid\": \"11111111-1111-4111-8111-111111111111\", "
		"\"id\": \"scene\", \"versioned_id\": \"scene\", \"settings\": {\"id_counter\": 2, "
		"\"custom_size\": false, \"items\": [%s, %s]}, \"enabled\": true, \"mixers\": 0, "
		"\"flags\": 0, \"private_settings\": {}}], "
		"\"groups\": [], \"scene_order\": [{\"name\": \"Scene\"}], \"current_scene\": \"Scene\", "
		"\"current_program_scene\": \"Scene\", \"current_transition\": \"Fade\", "
		"\"transition_duration\": 300, \"transitions\": [], \"quick_transitions\": [], "
		"\"saved_projectors\": [], \"modules\": {}, "
		"\"resolution\": {\"x\": %d, \"y\": %d}, \"version\": 2}\n",
		screen, window, screen_item, window_item, CANVAS_W, CANVAS_H);
	ph_write_file(ph_scratch("config/obs-studio/basic/scenes/pinhole.json"), text);

	/* obs-websocket 5: on, no password; the port is also given on the command line. */
	snprintf(text, sizeof(text), "{\"alerts_enabled\": false, \"auth_required\": false, "
		"\"first_load\": false, \"server_enabled\": true, \"server_port\": %d}\n", port);
	ph_write_file(ph_scratch("config/obs-studio/plugin_config/obs-websocket/config.json"), text);
}

/* Every pixel of the rectangle has this RGB (alpha ignored: BGRA vs BGRx paths differ). */
static bool rect_rgb(const uint8_t *rgb, int stride_px, int x, int y, int w, int h,
		uint32_t color) {
	uint8_t r = (uint8_t)(color >> 16), g = (uint8_t)(color >> 8), b = (uint8_t)color;
	for (int j = y; j < y + h; j++) {
		const uint8_t *p = rgb + ((size_t)j * stride_px + x) * 3;
		for (int i = 0; i < w; i++, p += 3) {
			if (p[0] != r || p[1] != g || p[2] != b) {
				return false;
			}
		}
	}
	return true;
}

/* The same on a loaded image (0xAARRGGBB). */
static bool image_rect_rgb(const struct ph_image *image, int x, int y, int w, int h,
		uint32_t color) {
	if (x + w > image->width || y + h > image->height) {
		return false;
	}
	for (int j = y; j < y + h; j++) {
		for (int i = x; i < x + w; i++) {
			if ((ph_image_at(image, i, j) & 0xffffff) != (color & 0xffffff)) {
				return false;
			}
		}
	}
	return true;
}

static bool quad_rgb(const uint8_t *rgb, int stride_px, int x, int y) {
	int hw = WIN_W / 2, hh = WIN_H / 2;
	return rect_rgb(rgb, stride_px, x, y, hw, hh, 0xffff0000) &&
		rect_rgb(rgb, stride_px, x + hw, y, hw, hh, 0xff00ff00) &&
		rect_rgb(rgb, stride_px, x, y + hh, hw, hh, 0xff0000ff) &&
		rect_rgb(rgb, stride_px, x + hw, y + hh, hw, hh, 0xffffffff);
}

enum { FRAME_OTHER = -1, FRAME_QUAD = -2, FRAME_BLACK = -3, FRAME_MISPLACED = -4 };

/* What a window-sized rectangle shows: colour index, or one of the FRAME_ values. */
static int classify_rect(const uint8_t *rgb, int x, int y) {
	for (int i = 0; i < NCOLORS; i++) {
		if (rect_rgb(rgb, CANVAS_W, x, y, WIN_W, WIN_H, colors[i])) {
			return i;
		}
	}
	if (quad_rgb(rgb, CANVAS_W, x, y)) {
		return FRAME_QUAD;
	}
	if (rect_rgb(rgb, CANVAS_W, x, y, WIN_W, WIN_H, 0xff000000)) {
		return FRAME_BLACK;
	}
	return FRAME_OTHER;
}

/*
 * S in the screen source: exactly at (S_X, S_Y), so no line just outside it
 * is entirely its colour (that would mean a larger or shifted window; a
 * shift also breaks the rectangle itself).
 */
static int classify_screen(const uint8_t *rgb) {
	int what = classify_rect(rgb, S_X, S_Y);
	if (what >= 0) {
		uint32_t c = colors[what];
		if (rect_rgb(rgb, CANVAS_W, S_X, S_Y - 1, WIN_W, 1, c) ||
				rect_rgb(rgb, CANVAS_W, S_X, S_Y + WIN_H, WIN_W, 1, c) ||
				rect_rgb(rgb, CANVAS_W, S_X - 1, S_Y, 1, WIN_H, c) ||
				rect_rgb(rgb, CANVAS_W, S_X + WIN_W, S_Y, 1, WIN_H, c)) {
			return FRAME_MISPLACED;
		}
	}
	return what;
}

/* W alone in the window source: the canvas around it is black. */
static int classify_window(const uint8_t *rgb) {
	int x = WINDOW_SOURCE_X;
	if (!rect_rgb(rgb, CANVAS_W, OUT_W, 0, x - OUT_W, CANVAS_H, 0xff000000) ||
			!rect_rgb(rgb, CANVAS_W, x + WIN_W, 0, CANVAS_W - x - WIN_W, CANVAS_H,
				0xff000000) ||
			!rect_rgb(rgb, CANVAS_W, x, WIN_H, WIN_W, CANVAS_H - WIN_H, 0xff000000)) {
		return FRAME_MISPLACED;
	}
	return classify_rect(rgb, x, 0);
}

struct track {
	const char *name;
	int first_color; /* frame number where colour 0 first shows, -1 if never */
	int before[4]; /* frames before it: quad, black, other, misplaced */
	int per_color[NCOLORS];
	int bad; /* frames after first_color that are not a colour in order */
	int first_bad, first_bad_what, last;
	char seq[256]; /* run-length summary */
	int run_what, run_len;
};

static void track_flush(struct track *t) {
	if (t->run_len == 0) {
		return;
	}
	char item[32];
	const char *names[] = {"?", "quad", "black", "misplaced"};
	if (t->run_what >= 0) {
		snprintf(item, sizeof(item), "%sc%dx%d", t->seq[0] ? "," : "", t->run_what, t->run_len);
	} else {
		snprintf(item, sizeof(item), "%s%sx%d", t->seq[0] ? "," : "",
			names[-1 - t->run_what], t->run_len);
	}
	strncat(t->seq, item, sizeof(t->seq) - strlen(t->seq) - 1);
	t->run_len = 0;
}

static void track_frame(struct track *t, int frame, int what) {
	if (t->run_len > 0 && what != t->run_what) {
		track_flush(t);
	}
	t->run_what = what;
	t->run_len++;
	if (t->first_color < 0 && what == 0) {
		t->first_color = frame;
		t->last = 0;
	}
	if (t->first_color < 0) {
		/* Before the first change: W's source may still be black (see the report). */
		t->before[-1 - (what >= 0 ? -1 : what)]++;
		return;
	}
	if (what < 0 || what < t->last) {
		if (t->bad++ == 0) {
			t->first_bad = frame;
			t->first_bad_what = what;
		}
		return;
	}
	t->last = what;
	t->per_color[what]++;
}

static void track_report(struct track *t) {
	track_flush(t);
	ph_diag("%s source, frame by frame (cN = colour N, xK = K frames): %s", t->name, t->seq);
	ph_ok(t->first_color >= 0, "%s: colour 0 shows from frame %d (before it: %d quadrant, "
		"%d black, %d other, %d misplaced frames)", t->name, t->first_color, t->before[1],
		t->before[2], t->before[0], t->before[3]);
	ph_ok(t->bad == 0, "%s: from then on every frame is exactly one colour, in order "
		"(%d are not; first: frame %d, %d)", t->name, t->bad, t->first_bad,
		t->first_bad_what);
	char counts[128] = "";
	bool all = true;
	for (int i = 0; i < NCOLORS; i++) {
		char item[16];
		snprintf(item, sizeof(item), "%s%d", i ? "," : "", t->per_color[i]);
		strncat(counts, item, sizeof(counts) - strlen(counts) - 1);
		all = all && t->per_color[i] > 0;
	}
	ph_ok(all, "%s: each of the %d colours is recorded (frames per colour: %s)", t->name,
		NCOLORS, counts);
}

/* Reads exactly size bytes from fd; false at EOF. */
static bool read_full(int fd, uint8_t *buf, size_t size) {
	size_t got = 0;
	while (got < size) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, 30000) <= 0) {
			return false;
		}
		ssize_t n = read(fd, buf + got, size - got);
		if (n <= 0) {
			return false;
		}
		got += (size_t)n;
	}
	return true;
}

static void check_recording(const char *path) {
	char cmd[1200], out[2048] = "";
	snprintf(cmd, sizeof(cmd), "ffprobe -v error -select_streams v:0 -show_entries "
		"stream=codec_name,width,height,pix_fmt -of default=nw=1 '%s'", path);
	ph_run(NULL, (const char *[]){"sh", "-c", cmd, NULL}, 30000, out, sizeof(out));
	/* One line: "codec_name=... width=... height=... pix_fmt=...". */
	for (char *p = strchr(out, '\n'); p != NULL; p = strchr(p, '\n')) {
		*p = ' ';
	}
	ph_ok(strstr(out, "codec_name=utvideo") != NULL && strstr(out, "pix_fmt=gbrap") != NULL,
		"recording is lossless utvideo, RGB with alpha: %s", out);
	char size_line[64];
	snprintf(size_line, sizeof(size_line), "width=%d height=%d", CANVAS_W, CANVAS_H);
	ph_ok(strstr(out, size_line) != NULL, "recording is the %dx%d canvas", CANVAS_W, CANVAS_H);

	/* Decoded to packed RGB, streamed through a pipe: no frame files. */
	snprintf(cmd, sizeof(cmd), "exec ffmpeg -v error -nostdin -i '%s' -map 0:v:0 "
		"-f rawvideo -pix_fmt rgb24 - 2>'%s'", path, ph_scratch("ffmpeg.log"));
	struct ph_process ffmpeg;
	ph_spawn(NULL, &ffmpeg, (const char *[]){"sh", "-c", cmd, NULL}, PH_PIPE_STDOUT);
	size_t frame_size = (size_t)CANVAS_W * CANVAS_H * 3;
	uint8_t *rgb = malloc(frame_size);
	struct track screen = {.name = "screen", .first_color = -1};
	struct track window = {.name = "window", .first_color = -1};
	int frames = 0;
	while (read_full(ffmpeg.stdout_fd, rgb, frame_size)) {
		track_frame(&screen, frames, classify_screen(rgb));
		track_frame(&window, frames, classify_window(rgb));
		frames++;
	}
	free(rgb);
	int code = ph_wait(&ffmpeg, 30000);
	ph_kill(&ffmpeg);
	ph_ok(code == 0, "ffmpeg decoded the recording (exit %d)", code);
	if (code != 0) {
		ph_dump_tail("ffmpeg log", ph_scratch("ffmpeg.log"), 1500);
	}
	ph_ok(frames >= MIN_FRAMES, "%d frames recorded (at least %d)", frames, MIN_FRAMES);
	track_report(&screen);
	track_report(&window);
}

/*
 * Waits until both sources show the colour in OBS, then until 200 ms more
 * video is written. clients[0] is S (Screen source), clients[1] W (Window).
 *
 * OBS loses a stream's first frame now and then (its source stays black,
 * GetSourceScreenshot fails with 702, while xdpw's log shows the frame
 * captured and queued). A static window sends nothing more, so the picture
 * would never come: after 5 screenshot rounds without it, the client paints
 * the same colour again (a new commit, a new frame) and the test reports how
 * often it had to.
 */
/*
 * repaints[i] counts the times client i painted its colour again because
 * OBS had not shown it after 5 screenshot rounds. OBS 32.2.2 loses a stream's
 * first frame now and then (3 runs in 4 on this machine with the recording
 * check as strict as it is now): its source stays black and
 * GetSourceScreenshot fails with 702 while xdpw's log shows the frame captured
 * and queued to PipeWire. pinhole sends a new frame only when the window
 * changes, so nothing more would come; a repaint is a new frame. The count is
 * reported; the frame-by-frame checks of the recording below still hold.
 */
static bool color_reached_obs(struct ph_process *control, struct ph_process *clients[2],
		int index, int repaints[2], char *why, size_t size) {
	uint32_t color = colors[index];
	char line[1024], shot_s[64], shot_w[64];
	snprintf(shot_s, sizeof(shot_s), "shot-screen-%d.png", index);
	snprintf(shot_w, sizeof(shot_w), "shot-window-%d.png", index);
	const char *sources[] = {"Screen", "Window"};
	const char *files[] = {shot_s, shot_w};
	int64_t deadline = ph_now_ms() + 30000;
	bool shown[2] = {false, false};
	int rounds = 0, missing[2] = {0, 0};
	char last_error[256] = "none";
	while (!(shown[0] && shown[1]) && ph_now_ms() < deadline) {
		rounds++;
		for (int i = 0; i < 2; i++) {
			if (shown[i]) {
				continue;
			}
			ph_write_line(control, "screenshot %s %s", sources[i], ph_scratch(files[i]));
			if (!ph_read_line(control, line, sizeof(line), 20000)) {
				snprintf(why, size, "obs-control.py gave no answer to a screenshot");
				return false;
			}
			struct ph_image image;
			if (strncmp(line, "screenshot ", 11) != 0) {
				/* A source with no picture yet cannot be rendered (code 702). */
				snprintf(last_error, sizeof(last_error), "%s: %.200s", sources[i], line);
			} else if (!ph_image_load(ph_scratch(files[i]), &image)) {
				snprintf(why, size, "screenshot of %s unreadable", sources[i]);
				return false;
			} else {
				shown[i] = i == 0 ? image.width == OUT_W && image.height == OUT_H &&
						image_rect_rgb(&image, S_X, S_Y, WIN_W, WIN_H, color) :
					image.width == WIN_W && image.height == WIN_H &&
						image_rect_rgb(&image, 0, 0, WIN_W, WIN_H, color);
				ph_image_finish(&image);
			}
			if (!shown[i] && ++missing[i] % 5 == 0) {
				ph_write_line(clients[i], "color 0x%08x", color);
				if (!ph_expect_line(clients[i], "ok", line, sizeof(line), 5000)) {
					snprintf(why, size, "%s's client did not repaint", sources[i]);
					return false;
				}
				repaints[i]++;
			}
		}
		if (!(shown[0] && shown[1])) {
			ph_sleep_ms(100);
		}
	}
	if (!(shown[0] && shown[1])) {
		snprintf(why, size, "%s did not show colour %d within 30 s (%d screenshot rounds, "
			"the last ones in shot-*-%d.png; last error: %s)",
			shown[0] ? "Window" : "Screen", index, rounds, index, last_error);
		return false;
	}
	int polls = rounds;
	long start = -1, now = -1;
	while (ph_now_ms() < deadline) {
		int active = 0;
		long bytes;
		ph_write_line(control, "record-status");
		if (!ph_read_line(control, line, sizeof(line), 20000) ||
				sscanf(line, "record-status %d %ld %ld", &active, &now, &bytes) != 3 ||
				!active) {
			snprintf(why, size, "record-status: %s", line);
			return false;
		}
		if (start < 0) {
			start = now;
		}
		if (now >= start + 200) {
			snprintf(why, size, "%d screenshot rounds, then recording %ld -> %ld ms", polls,
				start, now);
			return true;
		}
		ph_sleep_ms(50);
	}
	snprintf(why, size, "the recording did not advance 200 ms in 30 s (%ld -> %ld ms)", start,
		now);
	return false;
}

static bool find_recording(char *path, size_t size) {
	DIR *dir = opendir(ph_scratch("recordings"));
	struct dirent *entry;
	bool found = false;
	while (dir != NULL && (entry = readdir(dir)) != NULL) {
		size_t len = strlen(entry->d_name);
		if (len > 4 && strcmp(entry->d_name + len - 4, ".avi") == 0) {
			snprintf(path, size, "%s/%s", ph_scratch("recordings"), entry->d_name);
			found = true;
		}
	}
	if (dir != NULL) {
		closedir(dir);
	}
	return found;
}

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 200);
	ph_plan(31);
	/* Declared dependencies (tools/dev's root has them all): a missing one fails the test. */
	char xdpw_path[600], xdp_path[600];
	bool have = ph_find_dbus_service("org.freedesktop.impl.portal.desktop.wlr", xdpw_path,
		sizeof(xdpw_path));
	ph_ok(have, "xdg-desktop-portal-wlr found through its D-Bus service file (%s)",
		have ? xdpw_path : "none in XDG_DATA_DIRS/dbus-1/services");
	bool have_xdp = ph_find_dbus_service("org.freedesktop.portal.Desktop", xdp_path,
		sizeof(xdp_path));
	ph_ok(have_xdp, "xdg-desktop-portal found through its D-Bus service file (%s)",
		have_xdp ? xdp_path : "none in XDG_DATA_DIRS/dbus-1/services");
	have = ph_require_programs("OBS test", (const char *[]){"obs", "pipewire", "wireplumber",
		"dbus-daemon", "ffmpeg", "ffprobe", "python3", NULL}) && have && have_xdp;
	if (!have) {
		return ph_finish();
	}
	ph_source_path("tests/scripts/obs-control.py", control_script, sizeof(control_script));

	struct ph_compositor c;
	char mode[32];
	snprintf(mode, sizeof(mode), "%dx%d", OUT_W, OUT_H);
	if (!ph_compositor_start(&c, (const char *[]){"--mode", mode, NULL})) {
		ph_ok(false, "compositor started");
		return ph_finish();
	}
	char size_arg[32], line[1024] = "";
	snprintf(size_arg, sizeof(size_arg), "%dx%d", WIN_W, WIN_H);
	struct ph_process win, scr;
	ph_spawn(&c, &win, (const char *[]){ph_path("ph-paint"), "--pattern", "quad", "--size",
		size_arg, "--app-id", "obs-test", "--title", WINDOW_TITLE, NULL},
		PH_PIPE_STDIN | PH_PIPE_STDOUT);
	ph_ok(ph_expect_line(&win, "ready", line, sizeof(line), 5000),
		"window for the window capture mapped: %s", line);

	/*
	 * Private configuration, state and session. xdpw's chooser picks the
	 * output when the request offers outputs (the screen source), else the window.
	 */
	struct ph_media media;
	bool ok = ph_media_start(&c, &media, "[screencast]\nchooser_type=dmenu\n"
		"chooser_cmd=awk '/^Monitor: HEADLESS-1( |$)/ { m = $0 } "
		"/^Window: " WINDOW_TITLE " \\(/ { w = $0 } END { print (m != \"\" ? m : w) }'\n"
		"max_fps=30\n");
	if (!ok) {
		ph_media_stop(&media);
		ph_compositor_finish(&c);
		return ph_finish();
	}
	struct ph_process xdpw, xdp, obs, control;
	/* xdpw first: xdg-desktop-portal asks its backends for their properties at start-up. */
	char portal_cmd[700];
	snprintf(portal_cmd, sizeof(portal_cmd), "'%s' -l DEBUG", xdpw_path);
	ph_spawn_logged(&c, &xdpw, "xdpw.log", portal_cmd);
	ok = ok && ph_media_wait_name(&c, &media, "org.freedesktop.impl.portal.desktop.wlr");
	snprintf(portal_cmd, sizeof(portal_cmd), "'%s' -v", xdp_path);
	ph_spawn_logged(&c, &xdp, "xdp.log", portal_cmd);
	ok = ok && ph_media_wait_name(&c, &media, "org.freedesktop.portal.Desktop");
	ph_ok(ok, "xdg-desktop-portal-wlr and xdg-desktop-portal own their bus names");

	int port = ph_pick_port();
	write_obs_config(port);
	char obs_cmd[1200], port_arg[16];
	snprintf(port_arg, sizeof(port_arg), "%d", port);
	/*
	 * Qt on Wayland; GL from llvmpipe (without LIBGL_ALWAYS_SOFTWARE Mesa
	 * tries zink and OBS cannot load GL). --multi: no single-instance check;
	 * --disable-shutdown-check: no safe-mode question if an earlier OBS was killed.
	 */
	snprintf(obs_cmd, sizeof(obs_cmd), "env QT_QPA_PLATFORM=wayland LIBGL_ALWAYS_SOFTWARE=1 "
		"obs --startrecording --multi --disable-shutdown-check --disable-missing-files-check "
		"--profile pinhole --collection pinhole --scene Scene --websocket_port %s", port_arg);
	int64_t obs_start = ph_now_ms();
	ph_spawn_logged(&c, &obs, "obs.log", obs_cmd);
	ok = ok && wait_log(&c, "(com.obsproject.Studio) mapped", 60000);
	ph_ok(ok, "OBS's main window mapped (%.1f s after start)",
		(double)(ph_now_ms() - obs_start) / 1000);

	ph_spawn(&c, &scr, (const char *[]){ph_path("ph-paint"), "--pattern", "quad", "--size",
		size_arg, "--app-id", "obs-test", "--title", SCREEN_TITLE, NULL},
		PH_PIPE_STDIN | PH_PIPE_STDOUT);
	ph_ok(ph_expect_line(&scr, "ready", line, sizeof(line), 5000),
		"window for the screen capture mapped over OBS's: %s", line);

	ph_spawn(&c, &control, (const char *[]){"python3", control_script, "--port", port_arg,
		"--timeout", "60", NULL}, PH_PIPE_STDIN | PH_PIPE_STDOUT);
	line[0] = '\0';
	ok = ok && ph_read_line(&control, line, sizeof(line), 70000) &&
		strncmp(line, "connected ", 10) == 0;
	ph_ok(ok, "obs-websocket: %s", line);

	bool recording = false;
	for (int64_t deadline = ph_now_ms() + 30000; ok && !recording && ph_now_ms() < deadline;) {
		int active = 0;
		ph_write_line(&control, "record-status");
		ok = ph_read_line(&control, line, sizeof(line), 20000) &&
			sscanf(line, "record-status %d", &active) == 1;
		recording = active == 1;
		if (!recording) {
			ph_sleep_ms(100);
		}
	}
	ph_ok(recording, "OBS is recording (--startrecording): %s", line);

	bool colors_ok = recording;
	int repaints[2] = {0, 0};
	struct ph_process *clients[2] = {&scr, &win};
	for (int i = 0; i < NCOLORS && colors_ok; i++) {
		ph_write_line(&win, "color 0x%08x", colors[i]);
		ph_write_line(&scr, "color 0x%08x", colors[i]);
		colors_ok = ph_expect_line(&win, "ok", line, sizeof(line), 5000) &&
			ph_expect_line(&scr, "ok", line, sizeof(line), 5000);
		char why[300] = "a client did not repaint";
		colors_ok = colors_ok && color_reached_obs(&control, clients, i, repaints, why,
			sizeof(why));
		ph_ok(colors_ok, "colour %d (0x%08x) reached both OBS sources: %s", i, colors[i],
			why);
	}
	ph_diag("repaints needed because OBS had not shown a colour after 5 screenshot rounds: "
		"Screen %d, Window %d", repaints[0], repaints[1]);
	if (!colors_ok && ph_file_contains(ph_scratch("xdpw.log"), "a frame already exists")) {
		ph_diag("xdg-desktop-portal-wlr sent create_frame twice (its own race, upstream "
			"PRs #340/#380; see test-portal.c) and was disconnected");
	}

	char recording_path[600] = "";
	bool stopped = false;
	if (recording) {
		ph_write_line(&control, "stop-record");
		stopped = ph_read_line(&control, line, sizeof(line), 30000) &&
			strncmp(line, "stopped ", 8) == 0;
		ph_ok(stopped, "StopRecord: %s", line);
		if (stopped) {
			snprintf(recording_path, sizeof(recording_path), "%s", line + 8);
		}
	}
	ph_write_line(&control, "quit");
	ph_wait(&control, 5000);
	/*
	 * OBS 32.2.2 dies of SIGSEGV in its own SIGTERM/SIGINT path about 1 run
	 * in 3 (QApplication::closeAllWindows -> the main window's close event ->
	 * obs_canvas_enum_scenes -> obs_source_get_ref, from a core dump), at
	 * times before its log says "Shutting down". The recording is finalized
	 * by then (RecordStateChanged said stopped), and the checks of the
	 * recording below see every frame of it, so a crash that lost anything
	 * fails them. That SIGSEGV is accepted and reported; any other ending
	 * fails. (SIGKILL instead would lose the encoder's last frames.)
	 */
	/* Before OBS goes: its streams closing are xdpw's business, not the capture's. */
	bool xdpw_alive = !ph_exited(&xdpw);
	bool alive = !ph_exited(&obs);
	if (alive) {
		kill(obs.pid, SIGTERM);
	}
	int obs_code = ph_wait(&obs, 20000);
	bool own_crash = obs_code == 128 + SIGSEGV;
	if (own_crash) {
		ph_diag("OBS crashed in its own SIGTERM close path (SIGSEGV; see the comment)");
	}
	ph_ok(stopped && alive && (obs_code == 0 || own_crash), "OBS ran through the recording "
		"and StopRecord, then quit on SIGTERM (exit %d%s)", obs_code,
		own_crash ? ", its own shutdown crash" : "");
	ph_ok(xdpw_alive, "xdg-desktop-portal-wlr still running once the recording was done");
	ok = recording_path[0] != '\0' || find_recording(recording_path, sizeof(recording_path));
	ph_ok(ok, "recording written: %s", recording_path);
	if (ok) {
		check_recording(recording_path);
	}
	if (!colors_ok || !stopped || !alive) {
		ph_dump_tail("OBS log", ph_scratch("obs.log"), 3000);
		ph_dump_tail("xdpw log", ph_scratch("xdpw.log"), 3000);
	}

	ph_kill(&xdp);
	ph_kill(&xdpw);
	ph_media_stop(&media);
	ph_write_line(&scr, "quit");
	ph_write_line(&win, "quit");
	ph_wait(&scr, 2000);
	ph_wait(&win, 2000);
	ph_compositor_finish(&c);
	return ph_finish();
}
