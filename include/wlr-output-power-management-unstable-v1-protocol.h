#ifndef PINHOLE_WLR_OUTPUT_POWER_MANAGEMENT_UNSTABLE_V1_PROTOCOL_H
#define PINHOLE_WLR_OUTPUT_POWER_MANAGEMENT_UNSTABLE_V1_PROTOCOL_H

/*
 * <wlr/types/wlr_output_power_management_v1.h> includes this header, which
 * wayland-scanner would generate from wlr-protocols' XML. Neither the XML nor
 * the header is installed with wlroots or wayland-protocols, and wlroots
 * implements the protocol itself: the compositor needs only the mode enum of
 * zwlr_output_power_v1 (wlr-output-power-management-unstable-v1, version 1).
 */
enum zwlr_output_power_v1_mode {
	ZWLR_OUTPUT_POWER_V1_MODE_OFF = 0,
	ZWLR_OUTPUT_POWER_V1_MODE_ON = 1,
};

#endif
