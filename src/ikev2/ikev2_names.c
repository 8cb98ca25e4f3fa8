/* Names for debug output, as `debug crypto ikev2` and tshark print them. */
#include "ikev2/ikev2_msg.h"

#include <stdio.h>

#include "core/ipfmt.h"
#include "ikev2/ikev2_sa.h"

const char *ikev2_exch_name(uint8_t exch)
{
	switch (exch) {
	case IKEV2_EXCH_IKE_SA_INIT: return "IKE_SA_INIT";
	case IKEV2_EXCH_IKE_AUTH: return "IKE_AUTH";
	case IKEV2_EXCH_CREATE_CHILD_SA: return "CREATE_CHILD_SA";
	case IKEV2_EXCH_INFORMATIONAL: return "INFORMATIONAL";
	}
	return "UNKNOWN";
}

const char *ikev2_pl_name(uint8_t type)
{
	static const char *const names[] = {
		[IKEV2_PL_SA] = "SA", [IKEV2_PL_KE] = "KE", [IKEV2_PL_IDI] = "IDi",
		[IKEV2_PL_IDR] = "IDr", [IKEV2_PL_CERT] = "CERT", [IKEV2_PL_CERTREQ] = "CERTREQ",
		[IKEV2_PL_AUTH] = "AUTH", [IKEV2_PL_NONCE] = "N(NONCE)", [IKEV2_PL_N] = "N",
		[IKEV2_PL_D] = "D", [IKEV2_PL_V] = "VID", [IKEV2_PL_TSI] = "TSi",
		[IKEV2_PL_TSR] = "TSr", [IKEV2_PL_SK] = "SK", [IKEV2_PL_CP] = "CFG",
		[IKEV2_PL_EAP] = "EAP", [IKEV2_PL_SKF] = "SKF",
	};
	return type < sizeof(names) / sizeof(names[0]) && names[type] ? names[type] : "UNKNOWN";
}

const char *ikev2_notify_name(uint16_t type)
{
	static const struct {
		uint16_t type;
		const char *name;
	} names[] = {
		{ IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD, "UNSUPPORTED_CRITICAL_PAYLOAD" },
		{ IKEV2_N_INVALID_IKE_SPI, "INVALID_IKE_SPI" },
		{ IKEV2_N_INVALID_MAJOR_VERSION, "INVALID_MAJOR_VERSION" },
		{ IKEV2_N_INVALID_SYNTAX, "INVALID_SYNTAX" },
		{ IKEV2_N_INVALID_MESSAGE_ID, "INVALID_MESSAGE_ID" },
		{ IKEV2_N_INVALID_SPI, "INVALID_SPI" },
		{ IKEV2_N_NO_PROPOSAL_CHOSEN, "NO_PROPOSAL_CHOSEN" },
		{ IKEV2_N_INVALID_KE_PAYLOAD, "INVALID_KE_PAYLOAD" },
		{ IKEV2_N_AUTHENTICATION_FAILED, "AUTHENTICATION_FAILED" },
		{ IKEV2_N_SINGLE_PAIR_REQUIRED, "SINGLE_PAIR_REQUIRED" },
		{ IKEV2_N_NO_ADDITIONAL_SAS, "NO_ADDITIONAL_SAS" },
		{ IKEV2_N_INTERNAL_ADDRESS_FAILURE, "INTERNAL_ADDRESS_FAILURE" },
		{ IKEV2_N_FAILED_CP_REQUIRED, "FAILED_CP_REQUIRED" },
		{ IKEV2_N_TS_UNACCEPTABLE, "TS_UNACCEPTABLE" },
		{ IKEV2_N_INVALID_SELECTORS, "INVALID_SELECTORS" },
		{ IKEV2_N_TEMPORARY_FAILURE, "TEMPORARY_FAILURE" },
		{ IKEV2_N_CHILD_SA_NOT_FOUND, "CHILD_SA_NOT_FOUND" },
		{ IKEV2_N_INITIAL_CONTACT, "INITIAL_CONTACT" },
		{ IKEV2_N_SET_WINDOW_SIZE, "SET_WINDOW_SIZE" },
		{ IKEV2_N_ADDITIONAL_TS_POSSIBLE, "ADDITIONAL_TS_POSSIBLE" },
		{ IKEV2_N_IPCOMP_SUPPORTED, "IPCOMP_SUPPORTED" },
		{ IKEV2_N_NAT_DETECTION_SOURCE_IP, "NAT_DETECTION_SOURCE_IP" },
		{ IKEV2_N_NAT_DETECTION_DESTINATION_IP, "NAT_DETECTION_DESTINATION_IP" },
		{ IKEV2_N_COOKIE, "COOKIE" },
		{ IKEV2_N_USE_TRANSPORT_MODE, "USE_TRANSPORT_MODE" },
		{ IKEV2_N_REKEY_SA, "REKEY_SA" },
		{ IKEV2_N_ESP_TFC_PADDING_NOT_SUPPORTED, "ESP_TFC_PADDING_NOT_SUPPORTED" },
		{ IKEV2_N_NON_FIRST_FRAGMENTS_ALSO, "NON_FIRST_FRAGMENTS_ALSO" },
		{ IKEV2_N_QUICK_CRASH_DETECTION, "QUICK_CRASH_DETECTION" },
		{ IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, "IKEV2_FRAGMENTATION_SUPPORTED" },
		{ IKEV2_N_SIGNATURE_HASH_ALGORITHMS, "SIGNATURE_HASH_ALGORITHMS" },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].type == type)
			return names[i].name;
	return type <= IKEV2_N_ERROR_MAX ? "UNKNOWN_ERROR" : "UNKNOWN_STATUS";
}

/*
 * An IKE SA as an engineer finds it in `show crypto ikev2 sa detailed` and
 * in a capture: the peer and both SPIs (a pointer would say nothing).
 */
struct ikev2_sa_name ikev2_sa_name(const struct ikev2_sa *sa)
{
	struct ikev2_sa_name n;
	char h[2][17];
	for (int k = 0; k < 2; k++) {
		const uint8_t *spi = k ? sa->spi_r : sa->spi_i;
		for (int i = 0; i < 8; i++)
			snprintf(h[k] + 2 * i, 3, "%02x", spi[i]);
	}
	snprintf(n.s, sizeof(n.s), "%s %s/%s", ip_str(sa->peer).s, h[0], h[1]);
	return n;
}
