#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "probe.h"

bool probe_start(struct ph_compositor *c, struct probe *probe) {
	if (!ph_spawn(c, &probe->process, (const char *[]){ph_path("ph-capture-probe"), NULL},
			PH_PIPE_STDIN | PH_PIPE_STDOUT)) {
		return false;
	}
	return ph_expect_line(&probe->process, "hello", probe->line, sizeof(probe->line), 5000);
}

bool probe_cmd(struct probe *probe, const char *cmd, const char *expect) {
	return probe_cmd_within(probe, cmd, expect, 5000);
}

bool probe_cmd_within(struct probe *probe, const char *cmd, const char *expect,
		int timeout_ms) {
	ph_write_line(&probe->process, "%s", cmd);
	if (expect == NULL) {
		return true;
	}
	bool ok = ph_expect_line(&probe->process, expect, probe->line, sizeof(probe->line),
		timeout_ms);
	if (!ok) {
		ph_diag("probe: '%s' got no '%s' (last: %s)", cmd, expect, probe->line);
	}
	return ok;
}

uint32_t *probe_dump(struct probe *probe, const char *buffer, int width, int height) {
	char cmd[600];
	const char *path = ph_scratch("probe-dump.raw");
	snprintf(cmd, sizeof(cmd), "dump %s %s", buffer, path);
	int w = 0, h = 0;
	if (!probe_cmd_within(probe, cmd, "dumped", PROBE_LARGE_TIMEOUT_MS) ||
			sscanf(probe->line, "dumped %dx%d", &w, &h) != 2 || w != width || h != height) {
		return NULL;
	}
	return (uint32_t *)ph_read_file(path);
}

uint32_t probe_word(struct probe *probe, const char *buffer, int x, int y) {
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "word %s %d %d", buffer, x, y);
	if (!probe_cmd(probe, cmd, "word ")) {
		return 0xdeadbeef;
	}
	return (uint32_t)strtoul(probe->line + 5, NULL, 16);
}

long probe_count(struct probe *probe, const char *buffer, int x, int y, int w, int h,
		uint32_t word) {
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "count %s %d %d %d %d 0x%08x", buffer, x, y, w, h, word);
	if (!probe_cmd(probe, cmd, "count ")) {
		return -1;
	}
	return atol(probe->line + 6);
}

bool probe_quiet(struct probe *probe, int refresh_hz, char *got, size_t size) {
	ph_write_line(&probe->process, "roundtrips 1");
	got[0] = '\0';
	if (!ph_read_line(&probe->process, got, size, 5000)) {
		snprintf(got, size, "no answer to a roundtrip");
		return false;
	}
	if (strncmp(got, "roundtrips ", 11) != 0) {
		return false; /* something came before the roundtrip's answer */
	}
	int window_ms = PROBE_QUIET_PERIODS * 1000 / refresh_hz;
	got[0] = '\0';
	return !ph_read_line(&probe->process, got, size, window_ms);
}
