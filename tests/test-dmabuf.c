/*
 * DMA-BUF capture on the headless (pixman) tier: there is no DMA-BUF there,
 * so sessions must send no dmabuf_device or dmabuf_format at all (a wrong or
 * empty dmabuf_device makes xdg-desktop-portal-wlr assert), and a DMA-BUF
 * capture client must be told clearly. The DMA-BUF path itself runs in the
 * VM tier (tests/vm/, suite "vm").
 */
#include <string.h>
#include "harness.h"
#include "probe.h"

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 60);
	ph_plan(6);
	struct ph_compositor c;
	if (!ph_compositor_start(&c, (const char *[]){"--mode", "320x200", NULL})) {
		ph_ok(false, "compositor started");
		return ph_finish();
	}
	struct probe probe;
	ph_ok(probe_start(&c, &probe), "ph-capture-probe connected");
	ph_write_line(&probe.process, "output 0");
	/* Every event of the constraints batch, up to done. */
	int dmabuf_events = 0, events = 0;
	bool done = false;
	char line[4096];
	while (!done && ph_read_line(&probe.process, line, sizeof(line), 5000)) {
		events++;
		dmabuf_events += strncmp(line, "dmabuf-", 7) == 0;
		done = strncmp(line, "constraints ", 12) == 0;
		if (!done || dmabuf_events > 0) {
			ph_diag("probe: %s", line);
		}
	}
	ph_ok(done, "constraints arrived (%s)", done ? line : "none");
	ph_ok(dmabuf_events == 0, "no dmabuf_device or dmabuf_format on pixman (%d of %d events)",
		dmabuf_events, events);

	/* capture-dmabuf finds no linux-dmabuf on pixman and says so. */
	char out[4096];
	int code = ph_run(&c, (const char *[]){ph_path("capture-dmabuf"), "--timeout", "5000",
		NULL}, 10000, out, sizeof(out));
	for (char *p = out; *p != '\0'; p++) {
		*p = *p == '\n' ? ' ' : *p; /* one TAP line */
	}
	ph_ok(code == 1 && strstr(out, "zwp_linux_dmabuf_v1") != NULL,
		"capture-dmabuf exits 1 naming what is missing (exit %d: %s)", code, out);

	ph_kill(&probe.process);
	ph_compositor_finish(&c);
	return ph_finish();
}
