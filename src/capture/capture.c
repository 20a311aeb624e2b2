#include <assert.h>
#include <drm_fourcc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/types/wlr_ext_foreign_toplevel_list_v1.h>
#include <wlr/types/wlr_output.h>
#include <wlr/util/log.h>
#include "capture/internal.h"
#include "ext-image-capture-source-v1-protocol.h"
#include "ext-image-copy-capture-v1-protocol.h"

#define COPY_CAPTURE_VERSION 1
#define SOURCE_MANAGER_VERSION 1

void capture_post_error(struct wl_resource *resource, uint32_t code, const char *fmt, ...) {
	char message[256];
	va_list args;
	va_start(args, fmt);
	vsnprintf(message, sizeof(message), fmt, args);
	va_end(args);
	pid_t pid = 0;
	wl_client_get_credentials(wl_resource_get_client(resource), &pid, NULL, NULL);
	wlr_log(WLR_INFO, "capture: protocol error %u on %s@%u of client pid %d: %s", code,
		wl_resource_get_class(resource), wl_resource_get_id(resource), (int)pid, message);
	wl_resource_post_error(resource, code, "%s", message);
}

/* Sources */

static void source_handle_destroy(struct wl_client *client, struct wl_resource *resource) {
	wl_resource_destroy(resource);
}

static const struct ext_image_capture_source_v1_interface source_impl = {
	.destroy = source_handle_destroy,
};

struct capture_source *capture_source_from_resource(struct wl_resource *resource) {
	assert(wl_resource_instance_of(resource, &ext_image_capture_source_v1_interface,
		&source_impl));
	return wl_resource_get_user_data(resource);
}

static void source_handle_resource_destroy(struct wl_resource *resource) {
	wl_list_remove(wl_resource_get_link(resource));
}

struct wl_resource *capture_source_create_resource(struct wl_client *client, uint32_t id,
		struct capture_source *source) {
	struct wl_resource *resource = wl_resource_create(client,
		&ext_image_capture_source_v1_interface, 1, id);
	if (resource == NULL) {
		wl_client_post_no_memory(client);
		return NULL;
	}
	wl_resource_set_implementation(resource, &source_impl, source,
		source_handle_resource_destroy);
	if (source != NULL) {
		wl_list_insert(&source->resources, wl_resource_get_link(resource));
	} else {
		/* Inert: the output or toplevel is already gone. */
		wl_list_init(wl_resource_get_link(resource));
	}
	return resource;
}

void capture_source_init(struct capture_source *source, struct pinhole_capture *capture,
		const struct capture_source_impl *impl) {
	source->capture = capture;
	source->impl = impl;
	source->transform = WL_OUTPUT_TRANSFORM_NORMAL;
	wl_list_init(&source->resources);
	wl_list_init(&source->sessions);
	wl_list_init(&source->cursor_sessions);
	wl_list_insert(&capture->sources, &source->link);
}

void capture_source_finish(struct capture_source *source) {
	wl_list_remove(&source->link);
	capture_source_finish_cursor_sessions(source);
	capture_source_stop_sessions(source);
	struct wl_resource *resource, *resource_tmp;
	wl_resource_for_each_safe(resource, resource_tmp, &source->resources) {
		wl_resource_set_user_data(resource, NULL);
		wl_list_remove(wl_resource_get_link(resource));
		wl_list_init(wl_resource_get_link(resource));
	}
}

/* The compositor's verdict on a request; see capture_config.allow_capture. */
static bool capture_allowed(struct pinhole_capture *capture, struct wl_client *client,
		enum capture_request request) {
	return capture->config.allow_capture == NULL ||
		capture->config.allow_capture(capture->config.data, client, request);
}

/* ext_image_copy_capture_manager_v1 */

static void copy_manager_handle_create_session(struct wl_client *client,
		struct wl_resource *resource, uint32_t id, struct wl_resource *source_resource,
		uint32_t options) {
	if (options & ~EXT_IMAGE_COPY_CAPTURE_MANAGER_V1_OPTIONS_PAINT_CURSORS) {
		capture_post_error(resource, EXT_IMAGE_COPY_CAPTURE_MANAGER_V1_ERROR_INVALID_OPTION,
			"unknown options 0x%x", options);
		return;
	}
	struct capture_source *source = capture_source_from_resource(source_resource);
	/* A denied session is one whose source is gone: stopped before any constraints. */
	if (source != NULL && !capture_allowed(source->capture, client,
			capture_source_is_toplevel(source) ? CAPTURE_REQUEST_TOPLEVEL_SESSION :
			CAPTURE_REQUEST_OUTPUT_SESSION)) {
		source = NULL;
	}
	capture_session_create(client, wl_resource_get_version(resource), id, source, options);
}

static void copy_manager_handle_create_pointer_cursor_session(struct wl_client *client,
		struct wl_resource *resource, uint32_t id, struct wl_resource *source_resource,
		struct wl_resource *pointer) {
	struct capture_source *source = capture_source_from_resource(source_resource);
	if (source != NULL && !capture_allowed(source->capture, client,
			CAPTURE_REQUEST_CURSOR_SESSION)) {
		source = NULL;
	}
	capture_cursor_session_create(client, wl_resource_get_version(resource), id, source,
		pointer);
}

static void manager_handle_destroy(struct wl_client *client, struct wl_resource *resource) {
	wl_resource_destroy(resource);
}

static const struct ext_image_copy_capture_manager_v1_interface copy_manager_impl = {
	.create_session = copy_manager_handle_create_session,
	.create_pointer_cursor_session = copy_manager_handle_create_pointer_cursor_session,
	.destroy = manager_handle_destroy,
};

static void copy_manager_bind(struct wl_client *client, void *data, uint32_t version,
		uint32_t id) {
	struct wl_resource *resource = wl_resource_create(client,
		&ext_image_copy_capture_manager_v1_interface, version, id);
	if (resource == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &copy_manager_impl, data, NULL);
}

/* ext_output_image_capture_source_manager_v1 */

static void output_manager_handle_create_source(struct wl_client *client,
		struct wl_resource *resource, uint32_t id, struct wl_resource *output_resource) {
	struct pinhole_capture *capture = wl_resource_get_user_data(resource);
	struct wlr_output *output = wlr_output_from_resource(output_resource);
	struct capture_source *source = NULL;
	if (output != NULL) {
		source = capture_output_source(capture, output);
	}
	capture_source_create_resource(client, id, source);
}

static const struct ext_output_image_capture_source_manager_v1_interface
		output_source_manager_impl = {
	.create_source = output_manager_handle_create_source,
	.destroy = manager_handle_destroy,
};

static void output_source_manager_bind(struct wl_client *client, void *data, uint32_t version,
		uint32_t id) {
	struct wl_resource *resource = wl_resource_create(client,
		&ext_output_image_capture_source_manager_v1_interface, version, id);
	if (resource == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &output_source_manager_impl, data, NULL);
}

/* ext_foreign_toplevel_image_capture_source_manager_v1 */

static void toplevel_manager_handle_create_source(struct wl_client *client,
		struct wl_resource *resource, uint32_t id, struct wl_resource *handle_resource) {
	struct pinhole_capture *capture = wl_resource_get_user_data(resource);
	struct wlr_ext_foreign_toplevel_handle_v1 *handle =
		wlr_ext_foreign_toplevel_handle_v1_from_resource(handle_resource);
	struct capture_source *source = NULL;
	if (handle != NULL && capture_allowed(capture, client, CAPTURE_REQUEST_TOPLEVEL_SOURCE)) {
		source = capture_toplevel_source(capture_toplevel_from_handle(capture, handle));
	}
	capture_source_create_resource(client, id, source);
}

static const struct ext_foreign_toplevel_image_capture_source_manager_v1_interface
		toplevel_source_manager_impl = {
	.create_source = toplevel_manager_handle_create_source,
	.destroy = manager_handle_destroy,
};

static void toplevel_source_manager_bind(struct wl_client *client, void *data,
		uint32_t version, uint32_t id) {
	struct wl_resource *resource = wl_resource_create(client,
		&ext_foreign_toplevel_image_capture_source_manager_v1_interface, version, id);
	if (resource == NULL) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &toplevel_source_manager_impl, data, NULL);
}

/* The module */

static void init_shm_formats(struct pinhole_capture *capture) {
	/*
	 * XRGB first: grim and others take the first format they know. All four
	 * are converted by the CPU copy, so the renderer's read formats do not
	 * limit what clients may ask for.
	 */
	static const uint32_t formats[] = {
		DRM_FORMAT_XRGB8888,
		DRM_FORMAT_ARGB8888,
		DRM_FORMAT_XBGR8888,
		DRM_FORMAT_ABGR8888,
	};
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		capture->shm_formats[capture->shm_formats_len++] = formats[i];
	}
}

struct pinhole_capture *capture_create(const struct capture_config *config) {
	struct pinhole_capture *capture = calloc(1, sizeof(*capture));
	if (capture == NULL) {
		return NULL;
	}
	capture->config = *config;
	wl_list_init(&capture->toplevels);
	wl_list_init(&capture->outputs);
	wl_list_init(&capture->detached_outputs);
	wl_list_init(&capture->sources);
	init_shm_formats(capture);
	capture_dmabuf_init(capture);
	capture->copy_manager_global = wl_global_create(config->display,
		&ext_image_copy_capture_manager_v1_interface, COPY_CAPTURE_VERSION, capture,
		copy_manager_bind);
	capture->output_source_manager_global = wl_global_create(config->display,
		&ext_output_image_capture_source_manager_v1_interface, SOURCE_MANAGER_VERSION,
		capture, output_source_manager_bind);
	capture->toplevel_source_manager_global = wl_global_create(config->display,
		&ext_foreign_toplevel_image_capture_source_manager_v1_interface,
		SOURCE_MANAGER_VERSION, capture, toplevel_source_manager_bind);
	if (capture->copy_manager_global == NULL || capture->output_source_manager_global == NULL ||
			capture->toplevel_source_manager_global == NULL) {
		capture_destroy(capture);
		return NULL;
	}
	return capture;
}

void capture_set_locked(struct pinhole_capture *capture, bool locked) {
	if (capture == NULL || capture->locked == locked) {
		return;
	}
	capture->locked = locked;
	wlr_log(WLR_INFO, "capture: session %s", locked ? "locked: window content held back" :
		"unlocked");
	if (locked) {
		capture_outputs_forget_content(capture);
		return;
	}
	struct capture_source *source, *tmp;
	wl_list_for_each_safe(source, tmp, &capture->sources, link) {
		if (capture_source_is_toplevel(source)) {
			capture_source_release_held(source);
		}
	}
}

void capture_set_renderer(struct pinhole_capture *capture, struct wlr_renderer *renderer,
		struct wlr_allocator *allocator) {
	if (capture == NULL) {
		return;
	}
	/* First what belongs to the old renderer, while it is current. */
	struct capture_source *source;
	wl_list_for_each(source, &capture->sources, link) {
		capture_source_drop_renderer_state(source);
	}
	capture->gpu_pending = false;
	capture_outputs_drop_renderer_state(capture);
	capture_toplevels_drop_renderer_state(capture);

	capture->config.renderer = renderer;
	capture->config.allocator = allocator;
	bool constraints_changed = capture_dmabuf_reinit(capture);
	wlr_log(WLR_INFO, "capture: renderer replaced; DMA-BUF capture %s%s",
		capture->dmabuf_enabled ? "on" : "off",
		constraints_changed ? ", sessions get new constraints" : "");
	struct capture_source *tmp;
	wl_list_for_each_safe(source, tmp, &capture->sources, link) {
		capture_source_renderer_changed(source, constraints_changed);
	}
}

void capture_destroy(struct pinhole_capture *capture) {
	if (capture == NULL) {
		return;
	}
	if (!wl_list_empty(&capture->outputs) || !wl_list_empty(&capture->detached_outputs) ||
			!wl_list_empty(&capture->toplevels)) {
		wlr_log(WLR_ERROR, "capture: destroyed before its sources");
	}
	if (capture->cursor_idle != NULL) {
		wl_event_source_remove(capture->cursor_idle);
	}
	if (capture->copy_manager_global != NULL) {
		wl_global_destroy(capture->copy_manager_global);
	}
	if (capture->output_source_manager_global != NULL) {
		wl_global_destroy(capture->output_source_manager_global);
	}
	if (capture->toplevel_source_manager_global != NULL) {
		wl_global_destroy(capture->toplevel_source_manager_global);
	}
	capture_dmabuf_finish(capture);
	capture_copy_worker_destroy(capture->copy_worker);
	free(capture);
}

struct capture_copy_worker *capture_copy_worker_get(struct pinhole_capture *capture) {
	if (!capture->copy_worker_tried) {
		capture->copy_worker_tried = true;
		capture->copy_worker = capture_copy_worker_create();
	}
	return capture->copy_worker;
}
