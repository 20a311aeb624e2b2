/*
 * The terminal: raw mode on stdin, the alternate screen and mouse reports on
 * stdout, both undone on every way out (normal exit, signals, crashes); and
 * the decoding of what the terminal sends (keys as xterm encodes them, SGR
 * mouse reports) into keysyms and mouse events.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include "term.h"

static struct termios saved_termios;
static volatile sig_atomic_t tty_active;
static volatile sig_atomic_t tty_mouse;

/* Alternate screen, hidden cursor; any-motion mouse tracking in SGR encoding. */
#define ENTER "\033[?1049h\033[?25l"
#define MOUSE_ON "\033[?1003h\033[?1006h"
#define MOUSE_OFF "\033[?1003l\033[?1006l"
#define LEAVE "\033[0m\033[?2026l\033[?25h\033[?1049l"

static void write_all(const char *s) {
	size_t len = strlen(s);
	while (len > 0) {
		ssize_t n = write(STDOUT_FILENO, s, len);
		if (n <= 0) {
			return;
		}
		s += n;
		len -= (size_t)n;
	}
}

void term_tty_restore(void) {
	/* Only async-signal-safe calls: this runs from the crash handler too. */
	if (!tty_active) {
		return;
	}
	tty_active = 0;
	if (tty_mouse) {
		write_all(MOUSE_OFF);
	}
	write_all(LEAVE);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
}

static void handle_crash(int signal) {
	term_tty_restore();
	struct sigaction action = {.sa_handler = SIG_DFL};
	sigaction(signal, &action, NULL);
	raise(signal);
}

bool term_tty_setup(bool mouse) {
	/* Both ends on a terminal: drawing into a file must not touch the keyboard's. */
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO) ||
			tcgetattr(STDIN_FILENO, &saved_termios) != 0) {
		return false;
	}
	struct termios raw = saved_termios;
	cfmakeraw(&raw);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) != 0) {
		return false;
	}
	tty_active = 1;
	tty_mouse = mouse;
	write_all(ENTER);
	if (mouse) {
		write_all(MOUSE_ON);
	}
	const int crashes[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
	for (size_t i = 0; i < sizeof(crashes) / sizeof(crashes[0]); i++) {
		struct sigaction action = {.sa_handler = handle_crash};
		sigaction(crashes[i], &action, NULL);
	}
	return true;
}

bool term_tty_size(int fd, int *cols, int *rows) {
	struct winsize ws;
	if (ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0 || ws.ws_row == 0) {
		return false;
	}
	*cols = ws.ws_col;
	*rows = ws.ws_row;
	return true;
}

/* Input decoding */

static void key(term_event_fn fn, void *data, xkb_keysym_t keysym, unsigned modifiers) {
	struct term_event event = {.type = TERM_EVENT_KEY, .keysym = keysym,
		.modifiers = modifiers};
	fn(data, &event);
}

/* xterm's modifier parameter: 1 + (1 shift, 2 alt, 4 ctrl). */
static unsigned csi_modifiers(int param) {
	unsigned m = param > 1 ? (unsigned)(param - 1) : 0;
	return (m & 1 ? TERM_MOD_SHIFT : 0) | (m & 2 ? TERM_MOD_ALT : 0) |
		(m & 4 ? TERM_MOD_CTRL : 0);
}

static xkb_keysym_t tilde_key(int code) {
	switch (code) {
	case 1: case 7: return XKB_KEY_Home;
	case 2: return XKB_KEY_Insert;
	case 3: return XKB_KEY_Delete;
	case 4: case 8: return XKB_KEY_End;
	case 5: return XKB_KEY_Prior;
	case 6: return XKB_KEY_Next;
	case 11: case 12: case 13: case 14: case 15: return XKB_KEY_F1 + (code - 11);
	case 17: case 18: case 19: case 20: case 21: return XKB_KEY_F6 + (code - 17);
	case 23: case 24: return XKB_KEY_F11 + (code - 23);
	default: return XKB_KEY_NoSymbol;
	}
}

static xkb_keysym_t letter_key(unsigned char c) {
	switch (c) {
	case 'A': return XKB_KEY_Up;
	case 'B': return XKB_KEY_Down;
	case 'C': return XKB_KEY_Right;
	case 'D': return XKB_KEY_Left;
	case 'H': return XKB_KEY_Home;
	case 'F': return XKB_KEY_End;
	case 'P': return XKB_KEY_F1;
	case 'Q': return XKB_KEY_F2;
	case 'R': return XKB_KEY_F3;
	case 'S': return XKB_KEY_F4;
	default: return XKB_KEY_NoSymbol;
	}
}

/*
 * A CSI sequence s[0..len) starting after "ESC [". Returns the bytes it
 * used, 0 if incomplete.
 */
static size_t decode_csi(const unsigned char *s, size_t len, term_event_fn fn, void *data) {
	size_t i = 0;
	bool sgr_mouse = len > 0 && s[0] == '<';
	if (sgr_mouse) {
		i++;
	}
	int params[4] = {0, 0, 0, 0};
	int n = 0;
	for (; i < len; i++) {
		unsigned char c = s[i];
		if (c >= '0' && c <= '9') {
			if (n < 4 && params[n] < 100000) {
				params[n] = params[n] * 10 + (c - '0');
			}
		} else if (c == ';') {
			n++;
		} else if (c >= 0x40 && c <= 0x7e) {
			break;
		} else if (c < 0x20 || c > 0x7e) {
			return i; /* garbage: drop what we read */
		}
	}
	if (i == len) {
		return 0;
	}
	unsigned char final = s[i];
	if (sgr_mouse && (final == 'M' || final == 'm')) {
		int b = params[0];
		struct term_event event = {
			.type = TERM_EVENT_MOUSE,
			.col = params[1] - 1,
			.row = params[2] - 1,
			.button = b & 3,
			.pressed = final == 'M',
			.motion = (b & 32) != 0,
			.modifiers = (b & 4 ? TERM_MOD_SHIFT : 0) | (b & 8 ? TERM_MOD_ALT : 0) |
				(b & 16 ? TERM_MOD_CTRL : 0),
		};
		if (b & 64) {
			int wheel = b & 3;
			event.wheel_vertical = wheel == 0 ? -1 : wheel == 1 ? 1 : 0;
			event.wheel_horizontal = wheel == 2 ? -1 : wheel == 3 ? 1 : 0;
			if (!event.pressed) {
				return i + 1;
			}
		}
		fn(data, &event);
	} else if (final == '~') {
		xkb_keysym_t keysym = tilde_key(params[0]);
		if (keysym != XKB_KEY_NoSymbol) {
			key(fn, data, keysym, csi_modifiers(params[1]));
		}
	} else if (final == 'Z') {
		key(fn, data, XKB_KEY_Tab, TERM_MOD_SHIFT);
	} else {
		xkb_keysym_t keysym = letter_key(final);
		if (keysym != XKB_KEY_NoSymbol) {
			key(fn, data, keysym, csi_modifiers(n >= 1 ? params[1] : 0));
		}
	}
	return i + 1;
}

/* The length of a UTF-8 sequence from its first byte, 0 if invalid. */
static size_t utf8_length(unsigned char c) {
	return c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 :
		(c & 0xf8) == 0xf0 ? 4 : 0;
}

/* One key or sequence at s; returns the bytes used, 0 if incomplete. */
static size_t decode_one(const unsigned char *s, size_t len, bool flushing,
		term_event_fn fn, void *data) {
	unsigned char c = s[0];
	unsigned alt = 0;
	if (c == 0x1b) {
		if (len == 1) {
			if (!flushing) {
				return 0;
			}
			key(fn, data, XKB_KEY_Escape, 0);
			return 1;
		}
		if (s[1] == '[') {
			if (len == 2 && !flushing) {
				return 0;
			}
			size_t used = len > 2 ? decode_csi(s + 2, len - 2, fn, data) : 0;
			if (used == 0 && !flushing) {
				return 0;
			}
			return used == 0 ? len : used + 2;
		}
		if (s[1] == 'O') {
			if (len == 2) {
				if (!flushing) {
					return 0;
				}
				key(fn, data, 'O', TERM_MOD_ALT);
				return 2;
			}
			xkb_keysym_t keysym = letter_key(s[2]);
			if (keysym != XKB_KEY_NoSymbol) {
				key(fn, data, keysym, 0);
			}
			return 3;
		}
		/* ESC before a key: Alt held. */
		alt = TERM_MOD_ALT;
		s++;
		len--;
		c = s[0];
	}
	size_t used = alt ? 2 : 1;
	if (c == '\r' || c == '\n') {
		key(fn, data, XKB_KEY_Return, alt);
	} else if (c == '\t') {
		key(fn, data, XKB_KEY_Tab, alt);
	} else if (c == 0x7f || c == 0x08) {
		key(fn, data, XKB_KEY_BackSpace, alt);
	} else if (c == 0x1b) {
		key(fn, data, XKB_KEY_Escape, alt);
	} else if (c == 0) {
		key(fn, data, XKB_KEY_space, alt | TERM_MOD_CTRL);
	} else if (c < 0x1b) {
		key(fn, data, 'a' + (c - 1), alt | TERM_MOD_CTRL);
	} else if (c < 0x20) {
		/* 0x1c..0x1f: Ctrl with \ ] ^ _ */
		key(fn, data, "\\]^_"[c - 0x1c], alt | TERM_MOD_CTRL);
	} else if (c < 0x80) {
		key(fn, data, c, alt);
	} else {
		size_t n = utf8_length(c);
		if (n == 0) {
			return used; /* a stray continuation byte */
		}
		if (n > len) {
			return flushing ? len + (alt ? 1 : 0) : 0;
		}
		uint32_t cp = c & (0x7f >> n);
		for (size_t i = 1; i < n; i++) {
			cp = cp << 6 | (s[i] & 0x3f);
		}
		xkb_keysym_t keysym = xkb_utf32_to_keysym(cp);
		if (keysym != XKB_KEY_NoSymbol) {
			key(fn, data, keysym, alt);
		}
		used = n + (alt ? 1 : 0);
	}
	return used;
}

static void decode(struct term_input *input, bool flushing, term_event_fn fn, void *data) {
	size_t pos = 0;
	while (pos < input->pending_len) {
		size_t used = decode_one(input->pending + pos, input->pending_len - pos, flushing,
			fn, data);
		if (used == 0) {
			break;
		}
		pos += used;
	}
	memmove(input->pending, input->pending + pos, input->pending_len - pos);
	input->pending_len -= pos;
}

void term_input_feed(struct term_input *input, const unsigned char *bytes, size_t len,
		term_event_fn fn, void *data) {
	while (len > 0) {
		size_t room = sizeof(input->pending) - input->pending_len;
		size_t n = len < room ? len : room;
		memcpy(input->pending + input->pending_len, bytes, n);
		input->pending_len += n;
		bytes += n;
		len -= n;
		decode(input, false, fn, data);
		if (input->pending_len == sizeof(input->pending)) {
			/* A sequence longer than any real one: give up on it. */
			decode(input, true, fn, data);
		}
	}
}

bool term_input_incomplete(const struct term_input *input) {
	return input->pending_len > 0;
}

void term_input_flush(struct term_input *input, term_event_fn fn, void *data) {
	decode(input, true, fn, data);
}
