/*
 * The session start, as a display manager runs it (pinhole.desktop):
 * - `meson install` puts pinhole, its man page, the session entry, the
 *   portal choice (pinhole-portals.conf), the default configuration and the
 *   clients (pinhole-term, step-agent) where a system looks for them;
 * - `pinhole --session` exports WAYLAND_DISPLAY and XDG_CURRENT_DESKTOP to
 *   the D-Bus activation environment before the -s command starts, so a
 *   D-Bus-activated service sees them (the systemd half, through
 *   dbus-update-activation-environment --systemd, needs a running systemd
 *   user manager, which the test root has not: not checked here);
 * - xdg-desktop-portal, activated on that bus with nothing but the installed
 *   files to go on, picks xdg-desktop-portal-wlr for ScreenCast, which itself
 *   is activated and connects to pinhole;
 * - when pinhole exits, the -s command and what it started get SIGTERM as a
 *   process group, and the display is cleared from the activation
 *   environment again.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "harness.h"
#include "media.h"

/* Waits until PATH exists (another process writes it); false after timeout_ms. */
static bool wait_for_file(const char *path, int timeout_ms) {
	for (int waited = 0; waited <= timeout_ms; waited += 20) {
		if (access(path, F_OK) == 0) {
			return true;
		}
		ph_sleep_ms(20);
	}
	return false;
}

/* A line of an `env` dump, exactly. */
static bool env_has(const char *dump, const char *line) {
	size_t len = strlen(line);
	for (const char *p = dump; p != NULL && *p != '\0';) {
		if (strncmp(p, line, len) == 0 && (p[len] == '\n' || p[len] == '\0')) {
			return true;
		}
		p = strchr(p, '\n');
		p = p != NULL ? p + 1 : NULL;
	}
	return false;
}

/*
 * Probe N is a D-Bus service that only writes the environment the bus gave
 * it to probe-N and exits. It never answers, so it is activated with a call
 * that expects no reply; each probe is activated once (a second activation
 * of a name that was never claimed would join the first, still pending).
 */
static void write_probe_service(int n) {
	char name[64], service[1200];
	snprintf(name, sizeof(name), "services/org.pinhole.Test.Probe%d.service", n);
	snprintf(service, sizeof(service), "[D-BUS Service]\nName=org.pinhole.Test.Probe%d\n"
		"Exec=/bin/sh -c 'env > %s/probe-%d.tmp && mv %s/probe-%d.tmp %s/probe-%d'\n",
		n, ph_scratch(""), n, ph_scratch(""), n, ph_scratch(""), n);
	ph_write_file(ph_scratch(name), service);
}

/* The environment probe N saw, once it has written it; NULL after 10 s. */
static char *probe_environment(int n) {
	char name[32];
	snprintf(name, sizeof(name), "probe-%d", n);
	return wait_for_file(ph_scratch(name), 10000) ? ph_read_file(ph_scratch(name)) : NULL;
}

static void check_install(char *share, size_t share_size) {
	const char *build = getenv("PH_BUILD_DIR");
	char dest[400], out[8192];
	snprintf(dest, sizeof(dest), "%s", ph_scratch("dest"));
	int code = ph_run(NULL, (const char *[]){"meson", "install", "-C", build, "--no-rebuild",
		"--quiet", "--destdir", dest, NULL}, 60000, out, sizeof(out));
	ph_ok(code == 0, "meson install --destdir: exit %d", code);
	if (code != 0) {
		ph_diag("%s", out);
	}
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "cd '%s' && find . -type f | sort", dest);
	ph_run(NULL, (const char *[]){"sh", "-c", cmd, NULL}, 10000, out, sizeof(out));
	static const char *const installed[] = {
		"/bin/pinhole", "/share/man/man1/pinhole.1", "/share/wayland-sessions/pinhole.desktop",
		"/share/xdg-desktop-portal/pinhole-portals.conf", "/xdg/pinhole/config",
		"/bin/pinhole-term", "/bin/step-agent",
	};
	for (size_t i = 0; i < sizeof(installed) / sizeof(installed[0]); i++) {
		ph_ok(strstr(out, installed[i]) != NULL, "installed: ...%s", installed[i]);
	}
	/* The data directory is where the portal choice went: .../share. */
	const char *conf = strstr(out, "/share/xdg-desktop-portal/pinhole-portals.conf");
	share[0] = '\0';
	if (conf != NULL) {
		const char *line = conf;
		while (line > out && line[-1] != '\n') {
			line--;
		}
		/* "./usr/local/share/..." → DEST/usr/local/share */
		snprintf(share, share_size, "%s%.*s", dest, (int)(conf - line - 1) + 6, line + 1);
	}
	char desktop[600];
	snprintf(desktop, sizeof(desktop), "%s/wayland-sessions/pinhole.desktop", share);
	ph_ok(ph_file_contains(desktop, "\nExec=pinhole --session\n"),
		"the session entry starts pinhole --session");
}

int main(int argc, char *argv[]) {
	ph_init(argc, argv, 150);

	char share[600];
	check_install(share, sizeof(share));

	/*
	 * The bus activates the probe and the system's services (the portals).
	 * It shares pinhole's XDG_RUNTIME_DIR as in a real session; what it
	 * hands to what it activates is only what the test set plus what
	 * pinhole exports: no WAYLAND_DISPLAY and no XDG_CURRENT_DESKTOP of its own.
	 */
	struct ph_compositor host = {0};
	snprintf(host.runtime_dir, sizeof(host.runtime_dir), "%s", ph_scratch("runtime"));
	mkdir(host.runtime_dir, 0700);
	mkdir(ph_scratch("services"), 0700);
	mkdir(ph_scratch("config"), 0700);
	mkdir(ph_scratch("home"), 0700);
	write_probe_service(1);
	write_probe_service(2);
	char data_dirs[700];
	snprintf(data_dirs, sizeof(data_dirs), "%s:/usr/share", share);
	setenv("XDG_DATA_DIRS", data_dirs, 1);
	setenv("XDG_CONFIG_HOME", ph_scratch("config"), 1); /* no portals.conf of the user's */
	setenv("HOME", ph_scratch("home"), 1);
	unsetenv("XDG_CURRENT_DESKTOP");
	unsetenv("XDG_SESSION_DESKTOP");
	unsetenv("XDG_SESSION_TYPE");
	/* Only the portals' own service files: no document portal mounting FUSE in the runtime dir. */
	static const char *const portal_services[] = {
		"org.freedesktop.portal.Desktop.service",
		"org.freedesktop.impl.portal.desktop.wlr.service",
	};
	for (size_t i = 0; i < sizeof(portal_services) / sizeof(portal_services[0]); i++) {
		char from[300], to[600];
		snprintf(from, sizeof(from), "/usr/share/dbus-1/services/%s", portal_services[i]);
		snprintf(to, sizeof(to), "%s/%s", ph_scratch("services"), portal_services[i]);
		char *text = ph_read_file(from);
		ph_ok(text != NULL && ph_write_file(to, text), "D-Bus service %s", from);
		free(text);
	}
	struct ph_process bus, pipewire;
	if (!ph_session_bus_start(&host, &bus, (const char *[]){ph_scratch("services"), NULL})) {
		return ph_finish();
	}
	/* xdg-desktop-portal-wlr gives up without PipeWire. */
	ph_pipewire_start(&host, &pipewire);

	/*
	 * The -s command: activates probe 1, then leaves a group behind (a
	 * subshell and two sleeps) whose members say when SIGTERM reaches them.
	 */
	char startup[3000];
	snprintf(startup, sizeof(startup),
		"trap 'echo leader >> %1$s; exit 0' TERM; "
		"dbus-send --session --dest=org.pinhole.Test.Probe1 / org.pinhole.Test.Probe1.Dump; "
		"echo \"$XDG_CURRENT_DESKTOP\" > %2$s; "
		"( trap 'echo grandchild >> %1$s; exit 0' TERM; sleep 86401 & wait ) & "
		"sleep 86402 & echo started > %3$s; wait",
		ph_scratch("terminated"), ph_scratch("desktop-at-start"), ph_scratch("started"));
	char runtime_env[400];
	snprintf(runtime_env, sizeof(runtime_env), "XDG_RUNTIME_DIR=%s", host.runtime_dir);
	struct ph_compositor c;
	if (!ph_compositor_start_env(&c, (const char *[]){"--session", "-s", startup, NULL},
			(const char *[]){runtime_env, NULL})) {
		ph_kill(&pipewire);
		ph_session_bus_stop(&bus);
		return ph_finish();
	}
	/* pinhole's socket is in the shared runtime directory. */
	snprintf(c.runtime_dir, sizeof(c.runtime_dir), "%s", host.runtime_dir);
	pid_t session = c.pid;

	ph_ok(wait_for_file(ph_scratch("started"), 20000), "the -s command ran");
	/* Activated by the -s command: what a service started with the session sees. */
	char *at_start = probe_environment(1);
	char expected[128];
	snprintf(expected, sizeof(expected), "WAYLAND_DISPLAY=%s", c.socket);
	ph_ok(env_has(at_start, expected),
		"before -s started, D-Bus activation had %s", expected);
	ph_ok(env_has(at_start, "XDG_CURRENT_DESKTOP=pinhole"),
		"and XDG_CURRENT_DESKTOP=pinhole");
	if (!env_has(at_start, expected)) {
		ph_diag("the probe's environment: %s", at_start != NULL ? at_start : "(none)");
	}
	free(at_start);
	ph_ok(ph_file_contains(ph_scratch("desktop-at-start"), "pinhole\n"),
		"the -s command runs with XDG_CURRENT_DESKTOP=pinhole");

	/*
	 * The portal path: xdg-desktop-portal activated on this bus chooses a
	 * ScreenCast backend from the installed pinhole-portals.conf alone and
	 * activates xdg-desktop-portal-wlr, which must reach pinhole for the
	 * interface to appear at all.
	 */
	char out[4096];
	int code = ph_run(&c, (const char *[]){"dbus-send", "--session", "--print-reply",
		"--reply-timeout=20000", "--dest=org.freedesktop.portal.Desktop",
		"/org/freedesktop/portal/desktop", "org.freedesktop.DBus.Properties.Get",
		"string:org.freedesktop.portal.ScreenCast", "string:AvailableSourceTypes", NULL},
		30000, out, sizeof(out));
	const char *reply = strchr(out, '\n');
	ph_ok(code == 0 && strstr(out, "uint32") != NULL,
		"xdg-desktop-portal offers ScreenCast through the wlr backend: %s",
		code == 0 && reply != NULL ? reply + 1 : out);
	ph_ok(ph_compositor_log_contains(&c, "/usr/libexec/xdg-desktop-portal-wlr)"),
		"xdg-desktop-portal-wlr connected to pinhole");

	ph_compositor_finish(&c);
	ph_ok(ph_file_contains(ph_scratch("terminated"), "leader"),
		"pinhole's exit sent SIGTERM to the -s command");
	ph_ok(ph_file_contains(ph_scratch("terminated"), "grandchild"),
		"and to the rest of its process group");
	pid_t left[8];
	int count = ph_session_members(session, left, 8);
	ph_ok(count == 0, "nothing pinhole started is left (%d)", count);

	ph_run(&host, (const char *[]){"dbus-send", "--session", "--dest=org.pinhole.Test.Probe2",
		"/", "org.pinhole.Test.Probe2.Dump", NULL}, 10000, NULL, 0);
	char *after = probe_environment(2);
	ph_ok(env_has(after, "WAYLAND_DISPLAY="),
		"after pinhole exited, D-Bus activation gets an empty WAYLAND_DISPLAY");
	if (!env_has(after, "WAYLAND_DISPLAY=")) {
		ph_diag("the probe's environment: %s", after != NULL ? after : "(none)");
	}
	free(after);

	ph_kill(&pipewire);
	ph_session_bus_stop(&bus);
	return ph_finish();
}
