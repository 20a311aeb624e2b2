#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "media.h"

bool ph_write_file(const char *path, const char *text) {
	FILE *f = fopen(path, "w");
	if (f == NULL) {
		return false;
	}
	fputs(text, f);
	return fclose(f) == 0;
}

void ph_spawn_logged(struct ph_compositor *c, struct ph_process *p, const char *log_name,
		const char *command) {
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), "exec %s >'%s' 2>&1", command, ph_scratch(log_name));
	ph_spawn(c, p, (const char *[]){"sh", "-c", cmd, NULL}, 0);
}

bool ph_media_wait_name(struct ph_compositor *c, struct ph_media *media, const char *name) {
	char out[1024];
	int code = ph_run(c, (const char *[]){"python3", media->wait_script, "--wait-name", name,
		"--timeout", "10", NULL}, 15000, out, sizeof(out));
	if (code != 0) {
		ph_diag("%s", out);
	}
	return code == 0;
}

static void setup_environment(const char *xdpw_config) {
	const char *dirs[] = {"home", "config", "config/xdg-desktop-portal",
		"config/xdg-desktop-portal-wlr", "data", "cache", "state"};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		mkdir(ph_scratch(dirs[i]), 0700);
	}
	ph_write_file(ph_scratch("config/xdg-desktop-portal/portals.conf"),
		"[preferred]\ndefault=wlr\n");
	ph_write_file(ph_scratch("config/xdg-desktop-portal-wlr/config"), xdpw_config);
	setenv("HOME", ph_scratch("home"), 1);
	setenv("XDG_CONFIG_HOME", ph_scratch("config"), 1);
	setenv("XDG_DATA_HOME", ph_scratch("data"), 1);
	setenv("XDG_CACHE_HOME", ph_scratch("cache"), 1);
	setenv("XDG_STATE_HOME", ph_scratch("state"), 1);
	setenv("XDG_CURRENT_DESKTOP", "pinhole", 1);
	setenv("XDG_SESSION_TYPE", "wayland", 1);
}

bool ph_session_bus_start(struct ph_compositor *c, struct ph_process *bus,
		const char *const *service_dirs) {
	char bus_conf[4096];
	int len = snprintf(bus_conf, sizeof(bus_conf),
		"<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\" "
		"\"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
		"<busconfig>\n<type>session</type>\n<listen>unix:path=%s/bus</listen>\n"
		"<auth>EXTERNAL</auth>\n<policy context=\"default\">\n"
		"<allow send_destination=\"*\" eavesdrop=\"true\"/>\n<allow eavesdrop=\"true\"/>\n"
		"<allow own=\"*\"/>\n</policy>\n", c->runtime_dir);
	for (int i = 0; service_dirs != NULL && service_dirs[i] != NULL; i++) {
		len += snprintf(bus_conf + len, sizeof(bus_conf) - (size_t)len,
			"<servicedir>%s</servicedir>\n", service_dirs[i]);
	}
	snprintf(bus_conf + len, sizeof(bus_conf) - (size_t)len, "</busconfig>\n");
	ph_write_file(ph_scratch("bus.conf"), bus_conf);
	char config_arg[600];
	snprintf(config_arg, sizeof(config_arg), "--config-file=%s", ph_scratch("bus.conf"));
	/* Like a login session's bus, it has no display of its own to hand to what it activates. */
	ph_spawn(c, bus, (const char *[]){"env", "-u", "WAYLAND_DISPLAY", "-u", "DISPLAY",
		"dbus-daemon", config_arg, "--nofork", "--print-address=1", NULL}, PH_PIPE_STDOUT);
	char address[512] = "";
	bool ok = ph_read_line(bus, address, sizeof(address), 10000) && address[0] != '\0';
	ph_ok(ok, "private D-Bus session: %s", address);
	if (ok) {
		setenv("DBUS_SESSION_BUS_ADDRESS", address, 1);
	}
	return ok;
}

void ph_session_bus_stop(struct ph_process *bus) {
	/*
	 * Services the bus activated are its children but may outlive it: they
	 * carry its address in DBUS_STARTER_ADDRESS, which is how they are found
	 * (other tests' buses and services are left alone).
	 */
	const char *address = getenv("DBUS_SESSION_BUS_ADDRESS");
	char needle[600];
	snprintf(needle, sizeof(needle), "DBUS_STARTER_ADDRESS=%s", address != NULL ? address : "");
	DIR *proc = address != NULL ? opendir("/proc") : NULL;
	struct dirent *entry;
	while (proc != NULL && (entry = readdir(proc)) != NULL) {
		int pid = atoi(entry->d_name);
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/environ", pid);
		int fd = pid > 0 ? open(path, O_RDONLY) : -1;
		if (fd < 0) {
			continue;
		}
		static char env[65536];
		ssize_t n = read(fd, env, sizeof(env) - 1);
		close(fd);
		env[n > 0 ? n : 0] = '\0';
		for (ssize_t at = 0; at < n; at += (ssize_t)strlen(env + at) + 1) {
			if (strcmp(env + at, needle) == 0) {
				kill(pid, SIGKILL);
				break;
			}
		}
	}
	if (proc != NULL) {
		closedir(proc);
	}
	ph_kill(bus);
}

static bool start_bus(struct ph_compositor *c, struct ph_media *media) {
	/* No service directories: nothing is D-Bus-activated. */
	return ph_session_bus_start(c, &media->bus, NULL);
}

/* PipeWire is up once its socket is there. */
void ph_pipewire_start(struct ph_compositor *c, struct ph_process *pipewire) {
	ph_spawn_logged(c, pipewire, "pipewire.log", "pipewire");
	char socket_path[400];
	snprintf(socket_path, sizeof(socket_path), "%s/pipewire-0", c->runtime_dir);
	bool ok = false;
	for (int waited = 0; waited < 10000 && !ok; waited += 50) {
		struct stat st;
		ok = stat(socket_path, &st) == 0 && S_ISSOCK(st.st_mode);
		if (!ok) {
			ph_sleep_ms(50);
		}
	}
	ph_ok(ok, "pipewire is up");
	if (!ok) {
		ph_dump_tail("pipewire log", ph_scratch("pipewire.log"), 2000);
	}
}

bool ph_media_start(struct ph_compositor *c, struct ph_media *media, const char *xdpw_config) {
	static const struct ph_process none = {.stdin_fd = -1, .stdout_fd = -1};
	media->bus = media->pipewire = media->wireplumber = none;
	ph_source_path("tests/scripts/portal-screencast.py", media->wait_script,
		sizeof(media->wait_script));
	setup_environment(xdpw_config);
	if (!start_bus(c, media)) {
		return false;
	}
	ph_pipewire_start(c, &media->pipewire);
	ph_spawn_logged(c, &media->wireplumber, "wireplumber.log", "wireplumber");
	return true;
}

void ph_media_stop(struct ph_media *media) {
	ph_kill(&media->wireplumber);
	ph_kill(&media->pipewire);
	ph_session_bus_stop(&media->bus);
}
