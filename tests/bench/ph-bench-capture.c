/*
 * ph-bench-capture — capture measurements that ph-lockstep does not make.
 *
 * usage: ph-bench-capture --memcpy WxH[,WxH...] [--reps N]
 *        ph-bench-capture --damage SECONDS [--warmup K] [--sentinel-frames M]
 *                         [--rect X,Y,W,H] [--cpu-pid PID]
 *        ph-bench-capture --static ROUNDS [--idle-ms MS] [--rect X,Y,W,H]
 *                         [--cpu-pid PID]
 *
 * --memcpy needs no compositor. For each size it times memcpy of one XRGB8888
 * frame and a pixman SRC composite of one opaque frame (what a pixman
 * compositor does to put a fullscreen opaque client on screen):
 *   memcpy size=WxH bytes=N reps=R memcpy_p50_ms=... memcpy_gbps=...
 *          composite_p50_ms=... floor_ms=... memcpy_shm_p50_ms=...
 *          composite_shm_p50_ms=... floor_shm_ms=... memcpy_fresh_p50_ms=...
 *          memcpy_shm_fresh_p50_ms=...
 * floor_ms = memcpy_p50_ms + composite_p50_ms: one composite plus one copy into
 * the capture buffer, the least a compositor can do per captured full frame.
 * The _shm_ figures are the same between memfd mappings (like wl_shm buffers)
 * instead of heap memory. The _fresh_ figures are the memcpy from a source
 * this thread has just filled (a client's frame is written just before
 * it is captured); they are reported beside the floor, not instead of it.
 *
 * The other modes map a fullscreen xdg toplevel on the first output, paint it
 * a background colour and capture the output with ext-image-copy-capture-v1
 * into two XRGB8888 shm buffers used in turn (the rig of rig.h). Like a
 * correct client, each capture declares (damage_buffer) what its buffer missed
 * while the other one was filled, taken from the compositor's damage events.
 * Only one rectangle of the window (default 64x64 at the centre) ever changes:
 * every step redraws just that rectangle in a new colour, damages just it and
 * commits.
 *
 * --damage: lock-step on the small rectangle. Each step commits a new colour
 * and captures until the rectangle's centre shows it. After K warm-up steps,
 * runs for SECONDS and reports steps/s, commit→ready latency, the damage the
 * compositor announced per captured frame, and the compositor's CPU time per
 * step (PID given): utime+stime from /proc/PID/stat (clock ticks) and the sum
 * of /proc/PID/task/[*]/schedstat run times (nanoseconds). Then M more steps
 * with the sentinel method: the capture buffer is filled with a sentinel word
 * before each capture, without telling the compositor (what it writes
 * depends only on its own records and the client's damage_buffer, which stay
 * honest), and the words that differ from the sentinel afterwards are
 * counted. Words the compositor rewrote with the sentinel value itself
 * are invisible, so this is a lower bound of what it wrote (a sentinel value
 * no pixel has makes it exact in practice):
 *   damage size=WxH rect=WxH steps=N seconds=S steps_per_s=... p50_ms=...
 *          p90_ms=... captures_per_step=... announced_bytes_per_frame=...
 *          announced_rects_per_frame=... cpu_ms_per_step=... cpu_sched_ms_per_step=...
 *          client_cpu_ms_per_step=... sentinel_frames=M written_bytes_per_frame=...
 *          written_bytes_max=... rect_bytes=...
 *
 * --static: ROUNDS times: ask for a capture with nothing changing and wait
 * MS milliseconds plus i/ROUNDS of a frame (it must not complete), then
 * change the rectangle and time commit→ready of that pending capture (it must
 * complete within one output frame and show the change). The first round is
 * also reported alone. A refresh of 0 (wlroots' headless outputs) counts as
 * 60 Hz, the headless default:
 *   static size=WxH rounds=R idle_ms=MS early=E showed_change=S wake_p50_ms=...
 *          wake_max_ms=... wake_first_ms=... wake_max_later_ms=... frame_ms=...
 *          refresh_mhz=... wake_damage_bytes=... idle_cpu_ms_per_s=...
 *
 * PH_BENCH_VERBOSE in the environment prints one line per static round on
 * stderr.
 *
 * Every wait gives up after 5 s without progress (exit 1).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <getopt.h>
#include <math.h>
#include <pixman.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <unistd.h>
#include "rig.h"

#define MAX_RECTS 64
#define SENTINEL 0x13579bdfu
#define BACKGROUND 0x203040u

static bool verbose; /* PH_BENCH_VERBOSE set: per-step lines on stderr */

struct rect {
	int32_t x, y, width, height;
};

/* What a capture buffer missed while the other one was filled: the damage
 * the compositor announced for those frames. */
struct missed {
	struct rect rects[MAX_RECTS];
	int n;
	bool all;
};

struct state {
	struct rig rig;
	int shown_width, shown_height; /* size of the last committed buffer */

	/* The rectangle that changes; negative width: centred 64x64. */
	struct rect change;

	struct missed missed[2]; /* of rig.capture_buffers[i] */
	struct rect damage[MAX_RECTS]; /* announced for the frame in flight */
	int n_damage;
	bool damage_overflow;
	double damage_area; /* pixels */
	int damage_rects;
};

/* CPU time */

struct cpu_sample {
	double ticks_ms; /* utime + stime from /proc/PID/stat */
	double sched_ms; /* sum of the threads' schedstat run time */
	double self_ms; /* getrusage of this process */
};

static double read_stat_ms(pid_t pid) {
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		return NAN;
	}
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields after the command name, which may contain spaces: state is field 3. */
	char *p = strrchr(buf, ')');
	unsigned long utime = 0, stime = 0;
	if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			&utime, &stime) != 2) {
		return NAN;
	}
	return (double)(utime + stime) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

static double read_sched_ms(pid_t pid) {
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *dir = opendir(path);
	if (dir == NULL) {
		return NAN;
	}
	double total = 0;
	struct dirent *ent;
	while ((ent = readdir(dir)) != NULL) {
		if (ent->d_name[0] == '.') {
			continue;
		}
		char file[300];
		snprintf(file, sizeof(file), "/proc/%d/task/%s/schedstat", (int)pid, ent->d_name);
		FILE *f = fopen(file, "r");
		unsigned long long ns = 0;
		if (f != NULL) {
			if (fscanf(f, "%llu", &ns) == 1) {
				total += (double)ns / 1e6;
			}
			fclose(f);
		}
	}
	closedir(dir);
	return total;
}

static struct cpu_sample cpu_sample(pid_t pid) {
	struct cpu_sample s = {NAN, NAN, 0};
	if (pid > 0) {
		s.ticks_ms = read_stat_ms(pid);
		s.sched_ms = read_sched_ms(pid);
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	s.self_ms = ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 +
		ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
	return s;
}

/* The window */

static void fill(struct rig_buffer *buf, struct rect r, uint32_t pixel) {
	for (int y = r.y; y < r.y + r.height; y++) {
		uint32_t *row = buf->data + (size_t)y * (buf->stride / 4);
		for (int x = r.x; x < r.x + r.width; x++) {
			row[x] = pixel;
		}
	}
}

static struct rect change_rect(const struct state *st, int width, int height) {
	struct rect r = st->change;
	if (r.width <= 0) {
		r = (struct rect){width / 2 - 32, height / 2 - 32, 64, 64};
	}
	if (r.x < 0 || r.y < 0 || r.x + r.width > width || r.y + r.height > height) {
		rig_fail("the changing rectangle is outside the window");
	}
	return r;
}

/* Paints the rectangle in a new colour, damages only it and commits.
 * Returns the commit time. */
static double commit_change(struct state *st, uint32_t colour) {
	bool fresh;
	struct rig_buffer *buf = rig_attach_buffer(&st->rig, &fresh);
	int width = buf->width, height = buf->height;
	if (fresh) {
		/* Later steps redraw only the rectangle, over this. */
		fill(buf, (struct rect){0, 0, width, height}, 0xff000000u | BACKGROUND);
	}
	struct rect r = change_rect(st, width, height);
	fill(buf, r, 0xff000000u | colour);
	if (st->shown_width != width || st->shown_height != height) {
		wl_surface_damage_buffer(st->rig.surface, 0, 0, width, height);
		st->shown_width = width;
		st->shown_height = height;
	} else {
		wl_surface_damage_buffer(st->rig.surface, r.x, r.y, r.width, r.height);
	}
	return rig_commit(&st->rig, buf);
}

/* Capture */

static void record_damage(void *data, int32_t x, int32_t y, int32_t width,
		int32_t height) {
	struct state *st = data;
	st->damage_area += (double)width * height;
	st->damage_rects++;
	if (st->n_damage < MAX_RECTS) {
		st->damage[st->n_damage++] = (struct rect){x, y, width, height};
	} else {
		st->damage_overflow = true;
	}
}

static void start_capture(struct state *st, bool sentinel) {
	struct rig_buffer *buf = rig_capture_begin(&st->rig);
	if (sentinel) {
		size_t n = buf->size / 4;
		for (size_t i = 0; i < n; i++) {
			buf->data[i] = SENTINEL;
		}
	}
	st->n_damage = 0;
	st->damage_overflow = false;
	struct missed *missed = &st->missed[buf - st->rig.capture_buffers];
	if (!buf->used || missed->all) {
		ext_image_copy_capture_frame_v1_damage_buffer(st->rig.frame, 0, 0, buf->width,
			buf->height);
	} else {
		for (int i = 0; i < missed->n; i++) {
			const struct rect *r = &missed->rects[i];
			ext_image_copy_capture_frame_v1_damage_buffer(st->rig.frame, r->x, r->y,
				r->width, r->height);
		}
	}
	missed->all = false;
	missed->n = 0;
	rig_capture(&st->rig);
}

/* Handles a finished frame: true when it is ready, false after a change of
 * constraints (the caller captures again). */
static bool finish_capture(struct state *st) {
	if (!rig_capture_finish(&st->rig)) {
		return false;
	}
	/* The other buffer missed what this frame changed. */
	for (int i = 0; i < 2; i++) {
		const struct rig_buffer *other = &st->rig.capture_buffers[i];
		if (other == st->rig.frame_buffer || !other->used) {
			continue;
		}
		struct missed *missed = &st->missed[i];
		if (st->damage_overflow || missed->n + st->n_damage > MAX_RECTS) {
			missed->all = true;
			continue;
		}
		memcpy(&missed->rects[missed->n], st->damage,
			(size_t)st->n_damage * sizeof(struct rect));
		missed->n += st->n_damage;
	}
	return true;
}

static long count_written(const struct state *st) {
	const struct rig_buffer *buf = st->rig.frame_buffer;
	size_t n = buf->size / 4;
	long written = 0;
	for (size_t i = 0; i < n; i++) {
		written += buf->data[i] != SENTINEL;
	}
	return written;
}

/* Opaque, distinct for every step below 2^24 and never the background. */
static uint32_t colour_for(uint32_t step) {
	uint32_t c = ((step + 1) * 0x9e3779u ^ 0x5a5a5au) & 0xffffff;
	return c == BACKGROUND ? c ^ 1 : c;
}

struct step_result {
	double latency;
	int captures;
	double damage_area;
	int damage_rects;
	long written; /* words, sentinel mode */
	long written_max;
};

/* Commits a colour and captures until the rectangle's centre shows it. */
static void step(struct state *st, uint32_t colour, bool sentinel, struct step_result *res) {
	double committed = commit_change(st, colour);
	double deadline = rig_now_ms() + RIG_PROGRESS_TIMEOUT_MS;
	*res = (struct step_result){0};
	int width, height;
	rig_surface_size(&st->rig, &width, &height);
	struct rect r = change_rect(st, width, height);
	for (;;) {
		st->damage_area = 0;
		st->damage_rects = 0;
		start_capture(st, sentinel);
		rig_wait_for(&st->rig, &st->rig.frame_finished, deadline,
			"the change to be captured");
		if (!finish_capture(st)) {
			continue;
		}
		res->captures++;
		res->damage_area += st->damage_area;
		res->damage_rects += st->damage_rects;
		if (sentinel) {
			long w = count_written(st);
			res->written += w;
			res->written_max = w > res->written_max ? w : res->written_max;
		}
		if (rig_captured_pixel(&st->rig, r.x + r.width / 2, r.y + r.height / 2) == colour) {
			res->latency = st->rig.ready_time - committed;
			return;
		}
	}
}

static void run_damage(struct state *st, double seconds, int warmup, int sentinel_frames,
		pid_t cpu_pid) {
	uint32_t k = 1;
	struct step_result res;
	for (int i = 0; i < warmup; i++) {
		step(st, colour_for(k++), false, &res);
	}
	size_t cap = 4096, n = 0;
	double *latencies = malloc(cap * sizeof(double));
	if (latencies == NULL) {
		rig_fail("out of memory");
	}
	long captures = 0, rects = 0;
	double area = 0;
	struct cpu_sample c0 = cpu_sample(cpu_pid);
	double start = rig_now_ms(), end = start + seconds * 1000;
	while (rig_now_ms() < end) {
		step(st, colour_for(k++), false, &res);
		if (n == cap) {
			cap *= 2;
			latencies = realloc(latencies, cap * sizeof(double));
			if (latencies == NULL) {
				rig_fail("out of memory");
			}
		}
		latencies[n++] = res.latency;
		captures += res.captures;
		area += res.damage_area;
		rects += res.damage_rects;
	}
	double elapsed = rig_now_ms() - start;
	struct cpu_sample c1 = cpu_sample(cpu_pid);

	long written = 0, written_max = 0, sentinel_captures = 0;
	for (int i = 0; i < sentinel_frames; i++) {
		step(st, colour_for(k++), true, &res);
		written += res.written;
		written_max = res.written_max > written_max ? res.written_max : written_max;
		sentinel_captures += res.captures;
	}

	int width, height;
	rig_surface_size(&st->rig, &width, &height);
	struct rect r = change_rect(st, width, height);
	double steps = (double)n;
	printf("damage size=%ux%u rect=%dx%d steps=%zu seconds=%.2f steps_per_s=%.2f "
		"p50_ms=%.3f p90_ms=%.3f captures_per_step=%.2f "
		"announced_bytes_per_frame=%.0f announced_rects_per_frame=%.2f "
		"cpu_ms_per_step=%.4f cpu_sched_ms_per_step=%.4f client_cpu_ms_per_step=%.4f "
		"sentinel_frames=%ld written_bytes_per_frame=%.0f written_bytes_max=%ld "
		"rect_bytes=%d\n",
		st->rig.cap_width, st->rig.cap_height, r.width, r.height, n, elapsed / 1000,
		steps * 1000 / elapsed, rig_percentile(latencies, (int)n, 50),
		rig_percentile(latencies, (int)n, 90), captures / steps,
		area * 4 / (double)captures, (double)rects / (double)captures,
		(c1.ticks_ms - c0.ticks_ms) / steps, (c1.sched_ms - c0.sched_ms) / steps,
		(c1.self_ms - c0.self_ms) / steps,
		sentinel_captures, sentinel_captures ? written * 4.0 / (double)sentinel_captures : NAN,
		written_max * 4, r.width * r.height * 4);
	free(latencies);
}

static void run_static(struct state *st, int rounds, double idle_ms, pid_t cpu_pid) {
	double *wakes = calloc((size_t)rounds, sizeof(double));
	if (wakes == NULL) {
		rig_fail("out of memory");
	}
	int width, height;
	rig_surface_size(&st->rig, &width, &height);
	struct rect r = change_rect(st, width, height);
	/* Headless outputs of wlroots report refresh 0 and tick at 60 Hz. */
	double frame_ms = st->rig.refresh_mhz <= 0 ? 1000.0 / 60 : 1e6 / st->rig.refresh_mhz;
	int early = 0, showed = 0;
	double wake_damage = 0, idle_cpu = 0, idle_time = 0;
	uint32_t k = 1000;
	for (int i = 0; i < rounds; i++) {
		st->damage_area = 0;
		st->damage_rects = 0;
		start_capture(st, false);
		struct cpu_sample c0 = cpu_sample(cpu_pid);
		/* Spread the changes over the output's frame cycle, so that the
		 * wake latencies sample every phase of a refresh timer. */
		double t0 = rig_now_ms(), deadline = t0 + idle_ms + frame_ms * i / rounds;
		while (!st->rig.frame_finished && rig_now_ms() < deadline) {
			rig_dispatch(&st->rig, deadline);
		}
		struct cpu_sample c1 = cpu_sample(cpu_pid);
		idle_cpu += c1.sched_ms - c0.sched_ms;
		idle_time += rig_now_ms() - t0;
		bool was_early = st->rig.frame_finished;
		if (was_early) {
			/* Completed with nothing changed: the target is missed. */
			early++;
			finish_capture(st);
			st->damage_area = 0;
			st->damage_rects = 0;
			start_capture(st, false);
		}
		uint32_t colour = colour_for(k++);
		double committed = commit_change(st, colour);
		double wait_deadline = rig_now_ms() + RIG_PROGRESS_TIMEOUT_MS;
		rig_wait_for(&st->rig, &st->rig.frame_finished, wait_deadline,
			"the change to be captured");
		bool ok = finish_capture(st);
		wakes[i] = st->rig.ready_time - committed;
		wake_damage += st->damage_area * 4;
		if (verbose) {
			fprintf(stderr, "round %d idle_ms=%.1f early=%d wake_ms=%.3f damage_bytes=%.0f\n",
				i, idle_ms + frame_ms * i / rounds, was_early, wakes[i], st->damage_area * 4);
		}
		if (ok && rig_captured_pixel(&st->rig, r.x + r.width / 2,
				r.y + r.height / 2) == colour) {
			showed++;
		} else {
			/* Resynchronise: the next round starts from the change shown. */
			struct step_result res;
			step(st, colour_for(k++), false, &res);
		}
	}
	/* The first round is reported apart: it is the first time a capture
	 * waits on this output, and a compositor may pay a one-off cost there. */
	double max = 0, later_max = 0, first = wakes[0];
	for (int i = 0; i < rounds; i++) {
		max = wakes[i] > max ? wakes[i] : max;
		later_max = i > 0 && wakes[i] > later_max ? wakes[i] : later_max;
	}
	printf("static size=%ux%u rounds=%d idle_ms=%.0f early=%d showed_change=%d "
		"wake_p50_ms=%.3f wake_max_ms=%.3f wake_first_ms=%.3f wake_max_later_ms=%.3f "
		"frame_ms=%.3f refresh_mhz=%d wake_damage_bytes=%.0f idle_cpu_ms_per_s=%.3f\n",
		st->rig.cap_width, st->rig.cap_height, rounds, idle_ms, early, showed,
		rig_percentile(wakes, rounds, 50), max, first, rounds > 1 ? later_max : NAN, frame_ms,
		st->rig.refresh_mhz, wake_damage / rounds,
		idle_time > 0 ? idle_cpu * 1000 / idle_time : NAN);
	free(wakes);
}

/* memcpy floor */

static uint32_t *frame_alloc(size_t bytes, bool shared) {
	if (!shared) {
		uint32_t *p = aligned_alloc(64, bytes);
		if (p == NULL) {
			rig_fail("out of memory");
		}
		return p;
	}
	int fd = memfd_create("ph-bench-floor", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)bytes) < 0) {
		rig_fail("cannot allocate a memfd");
	}
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		rig_fail("mmap failed");
	}
	return p;
}

static void frame_free(uint32_t *p, size_t bytes, bool shared) {
	if (shared) {
		munmap(p, bytes);
	} else {
		free(p);
	}
}

/*
 * Medians of a memcpy, of a memcpy from a source written just before (as a
 * client draws its frame before committing it), and of a pixman SRC
 * composite of one frame.
 */
static void time_copies(int width, int height, int reps_arg, bool shared, int *reps_out,
		double *memcpy_ms, double *fresh_ms, double *composite_ms) {
	size_t bytes = (size_t)width * height * 4;
	uint32_t *src = frame_alloc(bytes, shared), *dst = frame_alloc(bytes, shared);
	memset(src, 0x37, bytes);
	memset(dst, 0, bytes);
	double t = rig_now_ms();
	memcpy(dst, src, bytes);
	double one = rig_now_ms() - t;
	/* Enough repetitions for a stable median, about 0.15 s per measurement. */
	int reps = reps_arg > 0 ? reps_arg : (int)fmin(200, fmax(15, 150 / fmax(one, 0.01)));
	double *times = calloc((size_t)reps, sizeof(double));
	double *fresh = calloc((size_t)reps, sizeof(double));
	double *comp = calloc((size_t)reps, sizeof(double));
	if (times == NULL || fresh == NULL || comp == NULL) {
		rig_fail("out of memory");
	}
	for (int i = 0; i < reps; i++) {
		src[i] = (uint32_t)i; /* a different frame each time */
		t = rig_now_ms();
		memcpy(dst, src, bytes);
		__asm__ volatile("" : : "r"(dst) : "memory");
		times[i] = rig_now_ms() - t;
	}
	/*
	 * The source has just been written: its lines are dirty in the caches,
	 * and their write-back shares the memory bus with the copy. Written by
	 * this thread; a real client writes from another process, often on
	 * another CPU.
	 */
	size_t words = bytes / 4;
	for (int i = 0; i < reps; i++) {
		uint32_t pixel = 0xff000000u | (uint32_t)i;
		for (size_t k = 0; k < words; k++) {
			src[k] = pixel;
		}
		t = rig_now_ms();
		memcpy(dst, src, bytes);
		__asm__ volatile("" : : "r"(dst) : "memory");
		fresh[i] = rig_now_ms() - t;
	}
	pixman_image_t *s = pixman_image_create_bits_no_clear(PIXMAN_x8r8g8b8, width, height,
		src, width * 4);
	pixman_image_t *d = pixman_image_create_bits_no_clear(PIXMAN_x8r8g8b8, width, height,
		dst, width * 4);
	for (int i = 0; i < reps; i++) {
		src[i] = (uint32_t)i;
		t = rig_now_ms();
		pixman_image_composite32(PIXMAN_OP_SRC, s, NULL, d, 0, 0, 0, 0, 0, 0, width, height);
		__asm__ volatile("" : : "r"(dst) : "memory");
		comp[i] = rig_now_ms() - t;
	}
	pixman_image_unref(s);
	pixman_image_unref(d);
	*reps_out = reps;
	*memcpy_ms = rig_percentile(times, reps, 50);
	*fresh_ms = rig_percentile(fresh, reps, 50);
	*composite_ms = rig_percentile(comp, reps, 50);
	free(times);
	free(fresh);
	free(comp);
	frame_free(src, bytes, shared);
	frame_free(dst, bytes, shared);
}

static void run_memcpy(const char *sizes, int reps_arg) {
	char *list = strdup(sizes);
	if (list == NULL) {
		rig_fail("out of memory");
	}
	for (char *tok = strtok(list, ","); tok != NULL; tok = strtok(NULL, ",")) {
		int width, height;
		if (sscanf(tok, "%dx%d", &width, &height) != 2 || width <= 0 || height <= 0 ||
				width > 16384 || height > 16384) {
			fprintf(stderr, "ph-bench-capture: bad size %s\n", tok);
			exit(2);
		}
		size_t bytes = (size_t)width * height * 4;
		int reps, shm_reps;
		double mp50, fp50, cp50, shm_mp50, shm_fp50, shm_cp50;
		time_copies(width, height, reps_arg, false, &reps, &mp50, &fp50, &cp50);
		/* The same between memfd mappings, the kind of memory wl_shm
		 * buffers and wlroots' shm swapchain live in (no huge pages). */
		time_copies(width, height, reps_arg, true, &shm_reps, &shm_mp50, &shm_fp50,
			&shm_cp50);
		printf("memcpy size=%dx%d bytes=%zu reps=%d memcpy_p50_ms=%.3f memcpy_gbps=%.2f "
			"composite_p50_ms=%.3f floor_ms=%.3f memcpy_shm_p50_ms=%.3f "
			"composite_shm_p50_ms=%.3f floor_shm_ms=%.3f memcpy_fresh_p50_ms=%.3f "
			"memcpy_shm_fresh_p50_ms=%.3f\n",
			width, height, bytes, reps, mp50, bytes / (mp50 * 1e6), cp50, mp50 + cp50,
			shm_mp50, shm_cp50, shm_mp50 + shm_cp50, fp50, shm_fp50);
		fflush(stdout);
	}
	free(list);
}

static void usage(void) {
	fprintf(stderr,
		"usage: ph-bench-capture --memcpy WxH[,WxH...] [--reps N]\n"
		"       ph-bench-capture --damage SECONDS [--warmup K] [--sentinel-frames M]\n"
		"                        [--rect X,Y,W,H] [--cpu-pid PID]\n"
		"       ph-bench-capture --static ROUNDS [--idle-ms MS] [--rect X,Y,W,H]\n"
		"                        [--cpu-pid PID]\n");
	exit(2);
}

int main(int argc, char *argv[]) {
	static const struct option long_opts[] = {
		{"memcpy", required_argument, NULL, 'm'},
		{"reps", required_argument, NULL, 'r'},
		{"damage", required_argument, NULL, 'd'},
		{"warmup", required_argument, NULL, 'w'},
		{"sentinel-frames", required_argument, NULL, 'S'},
		{"rect", required_argument, NULL, 'R'},
		{"cpu-pid", required_argument, NULL, 'p'},
		{"static", required_argument, NULL, 's'},
		{"idle-ms", required_argument, NULL, 'i'},
		{0},
	};
	rig_set_program("ph-bench-capture");
	const char *memcpy_sizes = NULL;
	int reps = 0, warmup = 20, sentinel_frames = 30, rounds = 0;
	double damage_seconds = 0, idle_ms = 500;
	pid_t cpu_pid = 0;
	struct rect change = {0, 0, -1, -1};
	int c;
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (c) {
		case 'm': memcpy_sizes = optarg; break;
		case 'r': reps = (int)rig_parse_number(optarg, 1, 100000); break;
		case 'd': damage_seconds = rig_parse_number(optarg, 0.01, 3600); break;
		case 'w': warmup = (int)rig_parse_number(optarg, 0, 1000000); break;
		case 'S': sentinel_frames = (int)rig_parse_number(optarg, 0, 1000000); break;
		case 'p': cpu_pid = (pid_t)rig_parse_number(optarg, 1, 1 << 30); break;
		case 's': rounds = (int)rig_parse_number(optarg, 1, 100000); break;
		case 'i': idle_ms = rig_parse_number(optarg, 1, 600000); break;
		case 'R':
			if (sscanf(optarg, "%d,%d,%d,%d", &change.x, &change.y, &change.width,
					&change.height) != 4 || change.width <= 0 || change.height <= 0) {
				usage();
			}
			break;
		default: usage();
		}
	}
	if (optind != argc || (memcpy_sizes != NULL) + (damage_seconds > 0) + (rounds > 0) != 1) {
		usage();
	}
	verbose = getenv("PH_BENCH_VERBOSE") != NULL;
	if (memcpy_sizes != NULL) {
		run_memcpy(memcpy_sizes, reps);
		return 0;
	}

	struct state st = {.change = change};
	st.rig.on_frame_damage = record_damage;
	st.rig.on_frame_damage_data = &st;
	rig_start(&st.rig);
	struct step_result res;
	step(&st, colour_for(0), false, &res);
	/* Both capture buffers filled once, so later frames are steady state. */
	step(&st, colour_for(1 << 20), false, &res);
	if (damage_seconds > 0) {
		run_damage(&st, damage_seconds, warmup, sentinel_frames, cpu_pid);
	} else {
		run_static(&st, rounds, idle_ms, cpu_pid);
	}
	rig_finish(&st.rig);
	return 0;
}
