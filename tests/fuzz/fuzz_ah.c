/* Arbitrary bytes into AH verification (and the ESP it may carry). */
#include "ipsec_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_feed_ip(fz_router(), 51, data, size);
	return 0;
}
