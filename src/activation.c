#include <stdlib.h>
#include <string.h>
#include <wayland-server-core.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/types/wlr_xdg_activation_v1.h>
#include <wlr/util/log.h>
#include "activation.h"
#include "seat.h"
#include "server.h"
#include "view.h"

struct activation {
	struct server *server;
	struct wlr_xdg_activation_v1 *xdg_activation;
	/* Sees activate requests before wlroots, which drops unknown tokens silently. */
	struct wl_protocol_logger *request_logger;
	struct wl_listener new_token;
	struct wl_listener request_activate;
	struct wl_listener destroy;
};

/* What pinhole learnt about a token when its client committed it (token->data). */
struct token_origin {
	struct wlr_xdg_activation_token_v1 *token;
	/* The token came from the client that had keyboard focus, with one of its input serials. */
	bool from_focused_client;
	struct wl_listener destroy;
};

static const char *view_name(struct view *view) {
	const char *app_id = view->impl->get_app_id(view);
	return app_id != NULL ? app_id : "(no app id)";
}

/* Attention instead of focus; the window that has the keyboard needs neither. */
static void demand_attention(struct activation *activation, struct wlr_surface *surface,
		const char *why) {
	struct view *view = view_from_surface(activation->server, surface);
	if (view == NULL || !view->mapped) {
		wlr_log(WLR_DEBUG, "xdg-activation: %s for a surface that is no mapped window", why);
		return;
	}
	struct wlr_seat *wlr_seat = seat_wlr_seat(activation->server->seat);
	if (wlr_seat->keyboard_state.focused_surface == view->surface) {
		return;
	}
	wlr_log(WLR_INFO, "xdg-activation: %s demands attention (%s)", view_name(view), why);
	view_set_urgent(view, true);
}

static void handle_token_destroy(struct wl_listener *listener, void *data) {
	struct token_origin *origin = wl_container_of(listener, origin, destroy);
	origin->token->data = NULL;
	wl_list_remove(&origin->destroy.link);
	free(origin);
}

static void handle_new_token(struct wl_listener *listener, void *data) {
	struct activation *activation = wl_container_of(listener, activation, new_token);
	struct wlr_xdg_activation_token_v1 *token = data;
	struct token_origin *origin = calloc(1, sizeof(*origin));
	if (origin == NULL) {
		return; /* a token we know nothing of only draws attention */
	}
	/*
	 * wlroots checked that the serial came from an input event of this client
	 * and that the surface had keyboard or pointer focus. Pointer focus is not
	 * enough here: a window the pointer merely crosses could take the keyboard
	 * from the one the user types into.
	 */
	struct wlr_seat *wlr_seat = seat_wlr_seat(activation->server->seat);
	struct wlr_surface *focused = wlr_seat->keyboard_state.focused_surface;
	origin->from_focused_client = token->seat == wlr_seat && token->surface != NULL &&
		focused != NULL &&
		wl_resource_get_client(token->surface->resource) ==
			wl_resource_get_client(focused->resource);
	origin->token = token;
	origin->destroy.notify = handle_token_destroy;
	wl_signal_add(&token->events.destroy, &origin->destroy);
	token->data = origin;
}

static void handle_request_activate(struct wl_listener *listener, void *data) {
	struct activation *activation = wl_container_of(listener, activation, request_activate);
	struct wlr_xdg_activation_v1_request_activate_event *event = data;
	struct token_origin *origin = event->token->data;
	if (origin == NULL || !origin->from_focused_client) {
		demand_attention(activation, event->surface, event->token->seat == NULL ?
			"token without an input serial" : "token not from the focused client");
		return;
	}
	struct view *view = view_from_surface(activation->server, event->surface);
	if (view == NULL || !view->mapped) {
		wlr_log(WLR_DEBUG, "xdg-activation: token for a surface that is no mapped window");
		return;
	}
	wlr_log(WLR_DEBUG, "xdg-activation: activating %s", view_name(view));
	view_activate(view);
}

/*
 * Called for every request of every client before it is dispatched. wlroots
 * ignores an activate whose token it does not know (never valid, used
 * already, expired) without a signal, so the urgency for those is set here.
 */
static void log_request(void *data, enum wl_protocol_logger_type direction,
		const struct wl_protocol_logger_message *message) {
	struct activation *activation = data;
	if (direction != WL_PROTOCOL_LOGGER_REQUEST ||
			strcmp(wl_resource_get_class(message->resource), "xdg_activation_v1") != 0 ||
			strcmp(message->message->name, "activate") != 0 ||
			message->arguments_count != 2 || activation->xdg_activation == NULL) {
		return;
	}
	const char *token = message->arguments[0].s;
	/* A server-side object argument is the wl_resource itself (its wl_object comes first). */
	struct wl_resource *surface_resource = (struct wl_resource *)message->arguments[1].o;
	if (token == NULL || surface_resource == NULL ||
			wlr_xdg_activation_v1_find_token(activation->xdg_activation, token) != NULL) {
		return;
	}
	demand_attention(activation, wlr_surface_from_resource(surface_resource),
		"unknown, used or expired token");
}

static void handle_destroy(struct wl_listener *listener, void *data) {
	struct activation *activation = wl_container_of(listener, activation, destroy);
	wl_list_remove(&activation->new_token.link);
	wl_list_remove(&activation->request_activate.link);
	wl_list_remove(&activation->destroy.link);
	wl_list_init(&activation->new_token.link);
	wl_list_init(&activation->request_activate.link);
	wl_list_init(&activation->destroy.link);
	activation->xdg_activation = NULL;
}

struct activation *activation_create(struct server *server) {
	struct activation *activation = calloc(1, sizeof(*activation));
	if (activation == NULL) {
		return NULL;
	}
	activation->server = server;
	activation->xdg_activation = wlr_xdg_activation_v1_create(server->display);
	if (activation->xdg_activation == NULL) {
		free(activation);
		return NULL;
	}
	activation->request_logger = wl_display_add_protocol_logger(server->display, log_request,
		activation);
	if (activation->request_logger == NULL) {
		wlr_log(WLR_ERROR, "xdg-activation: cannot watch activate requests: activations "
			"with unknown tokens will not mark windows urgent");
	}
	activation->new_token.notify = handle_new_token;
	wl_signal_add(&activation->xdg_activation->events.new_token, &activation->new_token);
	activation->request_activate.notify = handle_request_activate;
	wl_signal_add(&activation->xdg_activation->events.request_activate,
		&activation->request_activate);
	activation->destroy.notify = handle_destroy;
	wl_signal_add(&activation->xdg_activation->events.destroy, &activation->destroy);
	return activation;
}

void activation_destroy(struct activation *activation) {
	if (activation == NULL) {
		return;
	}
	if (activation->request_logger != NULL) {
		wl_protocol_logger_destroy(activation->request_logger);
	}
	wl_list_remove(&activation->new_token.link);
	wl_list_remove(&activation->request_activate.link);
	wl_list_remove(&activation->destroy.link);
	free(activation);
}
