/*
 * ph-uinput: real input devices for the VM tier, made with uinput, which the
 * compositor gets through udev and libinput like any plugged-in device:
 * two keyboards (ph-kbd-a, ph-kbd-b), a mouse (ph-mouse), a touchpad
 * (ph-touchpad, 100x62 mm, five touch slots), a pen tablet (ph-tablet,
 * 160x100 mm, pressure) and its pad (ph-tablet-pad, four buttons).
 *
 * Prints "device NAME SYSNAME" for each device, then "ready"; then reads
 * commands on stdin and answers each with "done CMD" once its events are
 * written:
 *   key A|B CODE            press and release CODE on keyboard A or B
 *   rel DX DY               mouse motion
 *   wheel N                 REL_WHEEL N (positive: away from the user)
 *   click CODE              mouse button CODE pressed and released
 *   tap                     one finger down and up on the touchpad (60 ms)
 *   swipe                   three fingers moving right, 20 mm in 12 steps
 *   pinch                   two fingers moving apart, 20 mm each in 12 steps
 *   pen X Y                 the pen in proximity at X Y (device units, 0..32000,
 *                           0..20000), tip down with pressure 1500, then 3500
 *                           (of 4095), tip up, BTN_STYLUS pressed and released,
 *                           out of proximity: 10 ms apart, since libinput takes a
 *                           pen that sends nothing for 50 ms without ever having
 *                           left proximity for one that cannot say it left
 *   pad-button N            pad button N (0..3) pressed and released
 * Steps of a gesture are 12 ms apart, as a touchpad's frames would be; a
 * tap lasts 60 ms (libinput takes shorter or longer touches for other things).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/uinput.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { KBD_A, KBD_B, MOUSE, TOUCHPAD, TABLET, PAD, DEVICES };
static const char *names[DEVICES] = {
	"ph-kbd-a", "ph-kbd-b", "ph-mouse", "ph-touchpad", "ph-tablet", "ph-tablet-pad",
};
static int fds[DEVICES];

#define TP_MAX_X 4000
#define TP_MAX_Y 2480
#define TP_RES 40 /* units per mm */
#define TABLET_MAX_X 32000
#define TABLET_MAX_Y 20000
#define TABLET_RES 200

static void die(const char *what) {
	fprintf(stderr, "ph-uinput: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void ioctl_or_die(int fd, unsigned long request, long arg, const char *what) {
	if (ioctl(fd, request, arg) < 0) {
		die(what);
	}
}

#define END (-1)

struct abs_axis {
	int code, min, max, resolution;
};

/* What a device reports; each list ends with END (a code END for axes), NULL: none. */
struct device_spec {
	bool keyboard_keys; /* every key from KEY_ESC to KEY_MICMUTE */
	const int *keys, *rels, *leds, *props;
	const struct abs_axis *axes;
};

static const struct device_spec specs[DEVICES] = {
	[KBD_A] = {.keyboard_keys = true, .leds = (const int[]){LED_CAPSL, LED_NUML, END}},
	[KBD_B] = {.keyboard_keys = true, .leds = (const int[]){LED_CAPSL, LED_NUML, END}},
	[MOUSE] = {
		.keys = (const int[]){BTN_LEFT, BTN_RIGHT, BTN_MIDDLE, END},
		.rels = (const int[]){REL_X, REL_Y, REL_WHEEL, END},
	},
	[TOUCHPAD] = {
		.keys = (const int[]){BTN_LEFT, BTN_RIGHT, BTN_TOUCH, BTN_TOOL_FINGER,
			BTN_TOOL_DOUBLETAP, BTN_TOOL_TRIPLETAP, BTN_TOOL_QUADTAP, BTN_TOOL_QUINTTAP,
			END},
		.axes = (const struct abs_axis[]){
			{ABS_X, 0, TP_MAX_X, TP_RES},
			{ABS_Y, 0, TP_MAX_Y, TP_RES},
			{ABS_MT_SLOT, 0, 4, 0},
			{ABS_MT_TRACKING_ID, 0, 65535, 0},
			{ABS_MT_POSITION_X, 0, TP_MAX_X, TP_RES},
			{ABS_MT_POSITION_Y, 0, TP_MAX_Y, TP_RES},
			{END, 0, 0, 0},
		},
		.props = (const int[]){INPUT_PROP_POINTER, END},
	},
	[TABLET] = {
		.keys = (const int[]){BTN_TOOL_PEN, BTN_TOUCH, BTN_STYLUS, BTN_STYLUS2, END},
		.axes = (const struct abs_axis[]){
			{ABS_X, 0, TABLET_MAX_X, TABLET_RES},
			{ABS_Y, 0, TABLET_MAX_Y, TABLET_RES},
			{ABS_PRESSURE, 0, 4095, 0},
			{END, 0, 0, 0},
		},
		.props = (const int[]){INPUT_PROP_POINTER, END},
	},
	/*
	 * As the Wacom driver makes a pad: buttons BTN_0.., the axes it reports,
	 * and BTN_STYLUS, by which udev's input_id takes it for a tablet, and
	 * BTN_0 with BTN_1 for a tablet's pad.
	 */
	[PAD] = {
		.keys = (const int[]){BTN_0, BTN_1, BTN_2, BTN_3, BTN_STYLUS, END},
		.axes = (const struct abs_axis[]){
			{ABS_X, 0, 1, 0},
			{ABS_Y, 0, 1, 0},
			{ABS_MISC, 0, 0xffff, 0},
			{END, 0, 0, 0},
		},
	},
};

/* Enables event type `type` with the codes listed (nothing when there are none). */
static void set_bits(int fd, int type, unsigned long request, const int *codes,
		const char *what) {
	if (codes == NULL) {
		return;
	}
	ioctl_or_die(fd, UI_SET_EVBIT, type, "UI_SET_EVBIT");
	for (const int *code = codes; *code != END; code++) {
		ioctl_or_die(fd, request, *code, what);
	}
}

static int create(int index) {
	const struct device_spec *spec = &specs[index];
	int fd = open("/dev/uinput", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		die("/dev/uinput");
	}
	struct uinput_setup setup = {
		.id = {.bustype = BUS_USB, .vendor = 0x1234, .product = (__u16)(0x5670 + index)},
	};
	snprintf(setup.name, sizeof(setup.name), "%s", names[index]);
	if (spec->keyboard_keys) {
		ioctl_or_die(fd, UI_SET_EVBIT, EV_KEY, "UI_SET_EVBIT");
		for (int code = KEY_ESC; code <= KEY_MICMUTE; code++) {
			ioctl_or_die(fd, UI_SET_KEYBIT, code, "UI_SET_KEYBIT");
		}
	}
	set_bits(fd, EV_KEY, UI_SET_KEYBIT, spec->keys, "UI_SET_KEYBIT");
	set_bits(fd, EV_REL, UI_SET_RELBIT, spec->rels, "UI_SET_RELBIT");
	set_bits(fd, EV_LED, UI_SET_LEDBIT, spec->leds, "UI_SET_LEDBIT");
	if (spec->axes != NULL) {
		ioctl_or_die(fd, UI_SET_EVBIT, EV_ABS, "UI_SET_EVBIT");
		for (const struct abs_axis *axis = spec->axes; axis->code != END; axis++) {
			struct uinput_abs_setup abs = {
				.code = (__u16)axis->code,
				.absinfo = {.minimum = axis->min, .maximum = axis->max,
					.resolution = axis->resolution},
			};
			ioctl_or_die(fd, UI_SET_ABSBIT, axis->code, "UI_SET_ABSBIT");
			if (ioctl(fd, UI_ABS_SETUP, &abs) < 0) {
				die("UI_ABS_SETUP");
			}
		}
	}
	if (spec->props != NULL) {
		for (const int *prop = spec->props; *prop != END; prop++) {
			ioctl_or_die(fd, UI_SET_PROPBIT, *prop, "UI_SET_PROPBIT");
		}
	}
	if (ioctl(fd, UI_DEV_SETUP, &setup) < 0) {
		die("UI_DEV_SETUP");
	}
	ioctl_or_die(fd, UI_DEV_CREATE, 0, "UI_DEV_CREATE");
	char sysname[64] = "?";
	if (ioctl(fd, UI_GET_SYSNAME(sizeof(sysname)), sysname) < 0) {
		snprintf(sysname, sizeof(sysname), "?");
	}
	printf("device %s %s\n", names[index], sysname);
	return fd;
}

static void emit(int device, int type, int code, int value) {
	struct input_event event = {.type = (__u16)type, .code = (__u16)code, .value = value};
	if (write(fds[device], &event, sizeof(event)) != (ssize_t)sizeof(event)) {
		die("write");
	}
}

static void syn(int device) {
	emit(device, EV_SYN, SYN_REPORT, 0);
}

static void sleep_ms(int ms) {
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

static const int finger_tools[] = {
	0, BTN_TOOL_FINGER, BTN_TOOL_DOUBLETAP, BTN_TOOL_TRIPLETAP, BTN_TOOL_QUADTAP,
};

/* One touchpad frame with n fingers at xs, ys (n = 0: all up, from the previous count). */
static void touch_frame(int n, int previous, const int *xs, const int *ys, bool begin) {
	for (int slot = 0; slot < (n > previous ? n : previous); slot++) {
		emit(TOUCHPAD, EV_ABS, ABS_MT_SLOT, slot);
		if (slot >= n) {
			emit(TOUCHPAD, EV_ABS, ABS_MT_TRACKING_ID, -1);
			continue;
		}
		if (begin) {
			emit(TOUCHPAD, EV_ABS, ABS_MT_TRACKING_ID, 100 + slot);
		}
		emit(TOUCHPAD, EV_ABS, ABS_MT_POSITION_X, xs[slot]);
		emit(TOUCHPAD, EV_ABS, ABS_MT_POSITION_Y, ys[slot]);
	}
	if (n > 0) {
		emit(TOUCHPAD, EV_ABS, ABS_X, xs[0]);
		emit(TOUCHPAD, EV_ABS, ABS_Y, ys[0]);
	}
	if (begin || n == 0) {
		emit(TOUCHPAD, EV_KEY, BTN_TOUCH, n > 0);
		if (previous > 0 && previous != n) {
			emit(TOUCHPAD, EV_KEY, finger_tools[previous], 0);
		}
		if (n > 0) {
			emit(TOUCHPAD, EV_KEY, finger_tools[n], 1);
		}
	}
	syn(TOUCHPAD);
}

/* n fingers at start positions, moved by (dx, dy) per finger over steps frames, then lifted. */
static void touch_gesture(int n, const int *x0, const int *y0, const int *dx, const int *dy,
		int steps) {
	int xs[4], ys[4];
	for (int i = 0; i < n; i++) {
		xs[i] = x0[i];
		ys[i] = y0[i];
	}
	touch_frame(n, 0, xs, ys, true);
	sleep_ms(12);
	for (int step = 1; step <= steps; step++) {
		for (int i = 0; i < n; i++) {
			xs[i] = x0[i] + dx[i] * step / steps;
			ys[i] = y0[i] + dy[i] * step / steps;
		}
		touch_frame(n, n, xs, ys, false);
		sleep_ms(12);
	}
	touch_frame(0, n, xs, ys, false);
}

static void handle(const char *line) {
	char which;
	int a, b;
	if (sscanf(line, "key %c %d", &which, &a) == 2 && (which == 'A' || which == 'B')) {
		int device = which == 'A' ? KBD_A : KBD_B;
		emit(device, EV_KEY, a, 1);
		syn(device);
		emit(device, EV_KEY, a, 0);
		syn(device);
	} else if (sscanf(line, "rel %d %d", &a, &b) == 2) {
		emit(MOUSE, EV_REL, REL_X, a);
		emit(MOUSE, EV_REL, REL_Y, b);
		syn(MOUSE);
	} else if (sscanf(line, "wheel %d", &a) == 1) {
		emit(MOUSE, EV_REL, REL_WHEEL, a);
		syn(MOUSE);
	} else if (sscanf(line, "click %d", &a) == 1) {
		emit(MOUSE, EV_KEY, a, 1);
		syn(MOUSE);
		emit(MOUSE, EV_KEY, a, 0);
		syn(MOUSE);
	} else if (strcmp(line, "tap") == 0) {
		int x = TP_MAX_X / 2, y = TP_MAX_Y / 2;
		touch_frame(1, 0, &x, &y, true);
		sleep_ms(60);
		touch_frame(0, 1, &x, &y, false);
	} else if (strcmp(line, "swipe") == 0) {
		/* Three fingers 15 mm apart, all 20 mm to the right. */
		int x0[] = {1000, 1600, 2200}, y0[] = {1200, 1240, 1200};
		int dx[] = {800, 800, 800}, dy[] = {0, 0, 0};
		touch_gesture(3, x0, y0, dx, dy, 12);
	} else if (strcmp(line, "pinch") == 0) {
		/* Two fingers 20 mm apart, each 20 mm outwards. */
		int x0[] = {1600, 2400}, y0[] = {1240, 1240};
		int dx[] = {-800, 800}, dy[] = {0, 0};
		touch_gesture(2, x0, y0, dx, dy, 12);
	} else if (sscanf(line, "pen %d %d", &a, &b) == 2) {
		emit(TABLET, EV_ABS, ABS_X, a);
		emit(TABLET, EV_ABS, ABS_Y, b);
		emit(TABLET, EV_ABS, ABS_PRESSURE, 0);
		emit(TABLET, EV_KEY, BTN_TOOL_PEN, 1);
		syn(TABLET);
		sleep_ms(10);
		emit(TABLET, EV_ABS, ABS_PRESSURE, 1500);
		emit(TABLET, EV_KEY, BTN_TOUCH, 1);
		syn(TABLET);
		sleep_ms(10);
		emit(TABLET, EV_ABS, ABS_PRESSURE, 3500);
		syn(TABLET);
		sleep_ms(10);
		emit(TABLET, EV_ABS, ABS_PRESSURE, 0);
		emit(TABLET, EV_KEY, BTN_TOUCH, 0);
		syn(TABLET);
		sleep_ms(10);
		emit(TABLET, EV_KEY, BTN_STYLUS, 1);
		syn(TABLET);
		sleep_ms(10);
		emit(TABLET, EV_KEY, BTN_STYLUS, 0);
		syn(TABLET);
		sleep_ms(10);
		emit(TABLET, EV_KEY, BTN_TOOL_PEN, 0);
		syn(TABLET);
	} else if (sscanf(line, "pad-button %d", &a) == 1 && a >= 0 && a <= 3) {
		/* The Wacom driver reports pad activity with ABS_MISC as well. */
		emit(PAD, EV_KEY, BTN_0 + a, 1);
		emit(PAD, EV_ABS, ABS_MISC, 15);
		syn(PAD);
		emit(PAD, EV_KEY, BTN_0 + a, 0);
		emit(PAD, EV_ABS, ABS_MISC, 0);
		syn(PAD);
	} else {
		printf("error unknown command '%s'\n", line);
		fflush(stdout);
		return;
	}
	printf("done %s\n", line);
	fflush(stdout);
}

int main(void) {
	for (int i = 0; i < DEVICES; i++) {
		fds[i] = create(i);
	}
	printf("ready\n");
	fflush(stdout);
	char line[256];
	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] != '\0') {
			handle(line);
		}
	}
	for (int i = 0; i < DEVICES; i++) {
		ioctl(fds[i], UI_DEV_DESTROY);
		close(fds[i]);
	}
	return 0;
}
