/*
 * pinhole-term's terminal input decoding (term/tty.c): xterm key encodings
 * and SGR mouse reports into keysyms and mouse events, sequences split
 * across reads, a lone ESC only once the wait for more is over.
 */
#include <stdio.h>
#include <string.h>
#include "harness.h"
#include "term.h"

static struct term_event events[16];
static int n_events;

static void collect(void *data, const struct term_event *event) {
	if (n_events < 16) {
		events[n_events++] = *event;
	}
}

/* Feeds the bytes in pieces of `chunk` bytes (0: all at once), then flushes if asked. */
static void feed(const char *bytes, size_t chunk, bool flush) {
	struct term_input input = {0};
	n_events = 0;
	size_t len = strlen(bytes);
	for (size_t pos = 0; pos < len;) {
		size_t n = chunk == 0 || len - pos < chunk ? len - pos : chunk;
		term_input_feed(&input, (const unsigned char *)bytes + pos, n, collect, NULL);
		pos += n;
	}
	if (flush) {
		term_input_flush(&input, collect, NULL);
	}
}

static bool key_is(int i, xkb_keysym_t keysym, unsigned modifiers) {
	return i < n_events && events[i].type == TERM_EVENT_KEY && events[i].keysym == keysym &&
		events[i].modifiers == modifiers;
}

static void check_key(const char *what, const char *bytes, xkb_keysym_t keysym,
		unsigned modifiers) {
	feed(bytes, 0, true);
	char name[64] = "(none)";
	if (n_events > 0) {
		xkb_keysym_get_name(events[0].keysym, name, sizeof(name));
	}
	ph_ok(n_events == 1 && key_is(0, keysym, modifiers), "%s: one key (got %d, first %s mods %u)",
		what, n_events, name, n_events > 0 ? events[0].modifiers : 0);
}

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 10);
	check_key("a", "a", XKB_KEY_a, 0);
	check_key("A (Shift comes from the keymap)", "A", XKB_KEY_A, 0);
	check_key("Ctrl+Q", "\x11", XKB_KEY_q, TERM_MOD_CTRL);
	check_key("Alt+x", "\033x", XKB_KEY_x, TERM_MOD_ALT);
	check_key("Enter", "\r", XKB_KEY_Return, 0);
	check_key("BackSpace", "\x7f", XKB_KEY_BackSpace, 0);
	check_key("Tab", "\t", XKB_KEY_Tab, 0);
	check_key("Shift+Tab", "\033[Z", XKB_KEY_Tab, TERM_MOD_SHIFT);
	check_key("Up", "\033[A", XKB_KEY_Up, 0);
	check_key("Up in application mode", "\033OA", XKB_KEY_Up, 0);
	check_key("Ctrl+Left", "\033[1;5D", XKB_KEY_Left, TERM_MOD_CTRL);
	check_key("Shift+Alt+Right", "\033[1;4C", XKB_KEY_Right, TERM_MOD_SHIFT | TERM_MOD_ALT);
	check_key("Delete", "\033[3~", XKB_KEY_Delete, 0);
	check_key("Ctrl+PageDown", "\033[6;5~", XKB_KEY_Next, TERM_MOD_CTRL);
	check_key("F1", "\033OP", XKB_KEY_F1, 0);
	check_key("F5", "\033[15~", XKB_KEY_F5, 0);
	check_key("F12", "\033[24~", XKB_KEY_F12, 0);
	check_key("é (UTF-8)", "\xc3\xa9", XKB_KEY_eacute, 0);
	check_key("€ (UTF-8)", "\xe2\x82\xac", XKB_KEY_EuroSign, 0);

	/* A lone ESC waits: it may start a sequence. */
	feed("\033", 0, false);
	ph_ok(n_events == 0, "a lone ESC is held back (%d events)", n_events);
	feed("\033", 0, true);
	ph_ok(n_events == 1 && key_is(0, XKB_KEY_Escape, 0), "... and is Escape after the wait");

	/* Sequences split across reads, byte by byte. */
	feed("\033[1;5Dq\033[<0;12;7M", 1, false);
	ph_ok(n_events == 3 && key_is(0, XKB_KEY_Left, TERM_MOD_CTRL) && key_is(1, XKB_KEY_q, 0) &&
		events[2].type == TERM_EVENT_MOUSE, "split byte by byte: Ctrl+Left, q, a click (%d events)",
		n_events);

	/* SGR mouse: 1-based cells in, 0-based out. */
	feed("\033[<0;12;7M\033[<0;12;7m", 0, false);
	ph_ok(n_events == 2 && events[0].type == TERM_EVENT_MOUSE && events[0].col == 11 &&
		events[0].row == 6 && events[0].button == 0 && events[0].pressed && !events[0].motion &&
		!events[1].pressed && events[1].button == 0,
		"left press and release at cell 11,6");
	feed("\033[<2;1;1M", 0, false);
	ph_ok(n_events == 1 && events[0].button == 2 && events[0].pressed, "right button");
	feed("\033[<35;80;24M", 0, false);
	ph_ok(n_events == 1 && events[0].motion && events[0].col == 79 && events[0].row == 23,
		"motion without a button at cell 79,23");
	feed("\033[<64;5;5M\033[<65;5;5M", 0, false);
	ph_ok(n_events == 2 && events[0].wheel_vertical == -1 && events[1].wheel_vertical == 1,
		"wheel up, wheel down");
	feed("\033[<16;3;4M", 0, false);
	ph_ok(n_events == 1 && events[0].modifiers == TERM_MOD_CTRL, "Ctrl held during a click");

	/* Garbage does not stop what follows. */
	feed("\033[99~\033[1;2Xz", 0, true);
	ph_ok(n_events == 1 && key_is(0, XKB_KEY_z, 0), "unknown sequences are skipped (%d events)",
		n_events);
	return ph_finish();
}
