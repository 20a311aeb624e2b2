/*
 * Input from the VNC side: a raw RFB viewer (tests/scripts/rfb-viewer.py)
 * sends PointerEvents and KeyEvents to wayvnc 0.10, which replays them through
 * pinhole's wlr virtual pointer and virtual keyboard; ph-paint --input prints
 * what its wl_pointer and wl_keyboard receive. The window is at (0,0) of a
 * 640x480 output, so surface-local coordinates equal the viewer's.
 *
 * Checked exactly and in order: enter and motion coordinates, left and right
 * button press/release (evdev BTN_LEFT 272, BTN_RIGHT 273), leave when the
 * pointer goes to the empty desktop, and keys as evdev codes with the keysym
 * the client's copy of the keymap gives them, Shift included.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"

/*
 * The client's next input event line ("pointer-..." or "key ..."); other
 * lines (modifiers, seat, ready) are skipped.
 */
static bool next_event(struct ph_process *paint, char *line, size_t size) {
	int64_t deadline = ph_now_ms() + 5000;
	while (ph_now_ms() < deadline) {
		if (!ph_read_line(paint, line, size, (int)(deadline - ph_now_ms()))) {
			break;
		}
		if (strncmp(line, "pointer-", 8) == 0 || strncmp(line, "key ", 4) == 0) {
			return true;
		}
	}
	snprintf(line, size, "(nothing)");
	return false;
}

/* Sends one viewer command, then checks the client's next input events, in order. */
static void send_and_expect(struct ph_process *viewer, struct ph_process *paint,
		const char *command, const char *const *expected) {
	char line[256];
	ph_write_line(viewer, "%s", command);
	bool sent = ph_expect_line(viewer, strncmp(command, "key", 3) == 0 ? "key-sent" :
		"pointer-sent", line, sizeof(line), 5000);
	for (int i = 0; expected[i] != NULL; i++) {
		bool got = sent && next_event(paint, line, sizeof(line));
		ph_ok(got && strcmp(line, expected[i]) == 0, "viewer '%s': client gets '%s' (got '%s')",
			command, expected[i], sent ? line : "viewer did not send");
	}
}

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 120);
	ph_plan(22);
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "640x480", NULL})) {
		ph_ok(false, "compositor started");
		return ph_finish();
	}

	char line[256] = "";
	struct ph_process paint;
	ph_spawn(&c, &paint, (const char *[]){ph_path("ph-paint"), "--input", "--pattern", "quad",
		"--size", "320x240", "--app-id", "vnc-input", NULL}, PH_PIPE_STDIN | PH_PIPE_STDOUT);
	ph_ok(ph_expect_line(&paint, "ready", line, sizeof(line), 5000), "client mapped: %s", line);

	int port = ph_pick_port();
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "exec wayvnc -L debug -o HEADLESS-1 127.0.0.1 %d >'%s' 2>&1",
		port, ph_scratch("wayvnc.log"));
	struct ph_process vnc;
	ph_spawn(&c, &vnc, (const char *[]){"sh", "-c", cmd, NULL}, 0);
	bool listening = false;
	for (int waited = 0; waited < 10000 && !listening && !ph_exited(&vnc); waited += 50) {
		listening = ph_file_contains(ph_scratch("wayvnc.log"), "Listening for connections");
		if (!listening) {
			ph_sleep_ms(50);
		}
	}
	ph_ok(listening, "wayvnc listening on 127.0.0.1:%d", port);
	if (!listening) {
		ph_dump_tail("wayvnc log", ph_scratch("wayvnc.log"), 1800);
		ph_kill(&vnc);
		ph_kill(&paint);
		ph_compositor_finish(&c);
		return ph_finish();
	}

	char port_arg[16], script[600];
	snprintf(port_arg, sizeof(port_arg), "%d", port);
	ph_source_path("tests/scripts/rfb-viewer.py", script, sizeof(script));
	struct ph_process viewer;
	ph_spawn(&c, &viewer, (const char *[]){"python3", script, "127.0.0.1", port_arg, NULL},
		PH_PIPE_STDIN | PH_PIPE_STDOUT);
	bool connected = ph_expect_line(&viewer, "connected", line, sizeof(line), 10000);
	ph_ok(connected && strncmp(line, "connected 640x480", 17) == 0, "viewer connected (%s)",
		line);

	/*
	 * wayvnc creates its virtual keyboard for its first viewer; that gives
	 * the seat its keyboard capability, and the focused window (the only
	 * one) gets keyboard focus on its new wl_keyboard.
	 */
	snprintf(line, sizeof(line), "nothing");
	ph_ok(connected && ph_expect_line(&paint, "keyboard-enter", line, sizeof(line), 5000) &&
		strcmp(line, "keyboard-enter main") == 0,
		"wayvnc's virtual keyboard: the window gets keyboard focus (%s)", line);

	if (connected) {
		/* Pointer: RFB button mask bit 0 is the left button, bit 2 the right one. */
		send_and_expect(&viewer, &paint, "pointer 100 50 0",
			(const char *[]){"pointer-enter main 100.00 50.00", NULL});
		send_and_expect(&viewer, &paint, "pointer 150 70 0",
			(const char *[]){"pointer-motion 150.00 70.00", NULL});
		send_and_expect(&viewer, &paint, "pointer 150 70 1",
			(const char *[]){"pointer-button 272 pressed", NULL});
		send_and_expect(&viewer, &paint, "pointer 150 70 0",
			(const char *[]){"pointer-button 272 released", NULL});
		send_and_expect(&viewer, &paint, "pointer 319 239 4",
			(const char *[]){"pointer-motion 319.00 239.00", "pointer-button 273 pressed",
				NULL});
		send_and_expect(&viewer, &paint, "pointer 319 239 0",
			(const char *[]){"pointer-button 273 released", NULL});
		send_and_expect(&viewer, &paint, "pointer 500 400 0",
			(const char *[]){"pointer-leave", NULL});

		/* Keys: X keysyms in, evdev codes out (KEY_A 30, KEY_LEFTSHIFT 42). */
		send_and_expect(&viewer, &paint, "key 0x61 1",
			(const char *[]){"key 30 pressed a", NULL});
		send_and_expect(&viewer, &paint, "key 0x61 0",
			(const char *[]){"key 30 released a", NULL});
		send_and_expect(&viewer, &paint, "key 0xffe1 1",
			(const char *[]){"key 42 pressed Shift_L", NULL});
		send_and_expect(&viewer, &paint, "key 0x41 1",
			(const char *[]){"key 30 pressed A", NULL});
		send_and_expect(&viewer, &paint, "key 0x41 0",
			(const char *[]){"key 30 released A", NULL});
		send_and_expect(&viewer, &paint, "key 0xffe1 0",
			(const char *[]){"key 42 released Shift_L", NULL});
	}

	ph_write_line(&viewer, "quit");
	ph_wait(&viewer, 3000);
	bool alive = !ph_exited(&vnc);
	ph_ok(alive, "wayvnc still running after the session");
	kill(vnc.pid, SIGINT);
	int code = ph_wait(&vnc, 5000);
	ph_ok(alive && code == 0, "wayvnc exits 0 on SIGINT (status %d)", code);
	if (!alive || code != 0) {
		ph_dump_tail("wayvnc log", ph_scratch("wayvnc.log"), 1800);
	}
	ph_write_line(&paint, "quit");
	ph_wait(&paint, 2000);
	ph_compositor_finish(&c);
	return ph_finish();
}
