/* Arbitrary text as a config file: load, render, reload the rendering. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/cmdtree.h"
#include "config/load.h"
#include "ikev2/ikev2_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 64 * 1024)
		return 0;
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct strbuf err, notes, r1, r2;
	sb_init(&err);
	sb_init(&notes);
	sb_init(&r1);
	sb_init(&r2);
	struct config *c = config_load_string(text, "fuzz", &err, &notes);
	if (c) {
		config_render(c, &r1);
		/* what we render must load again, to the same rendering */
		struct config *c2 = config_load_string(sb_str(&r1), "r1", &err, NULL);
		if (!c2)
			abort();
		config_render(c2, &r2);
		if (strcmp(sb_str(&r1), sb_str(&r2)) != 0)
			abort();
		/* the IKEv2 builder on whatever the text configured, both ways */
		for (size_t i = 0; i < c->ncmap; i++)
			for (size_t j = 0; j < c->cmaps[i].npeers; j++) {
				struct ikev2_peer_conf pc;
				uint32_t peer = c->cmaps[i].peers[j];
				const struct cfg_cmap_entry *e = ikev2_conf_entry_for_peer(c, peer);
				if (ikev2_conf_build(c, &c->cmaps[i], 0x0a010101u, peer, &pc) &&
				    (pc.nike == 0 || pc.nchild == 0 || !pc.psk_local_len || !pc.psk_remote_len))
					abort();
				if (e && !e->ikev2_profile[0])
					abort();
			}
		/* the same text through the interactive paths */
		struct strbuf out;
		sb_init(&out);
		struct cli_ctx ctx;
		memset(&ctx, 0, sizeof(ctx));
		ctx.cfg = c2;
		ctx.out = &out;
		ctx.mode = MODE_CONFIG;
		char *save = NULL;
		for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			cmd_help(&ctx, l, &out);
			free(cmd_complete(&ctx, l));
			cmd_execute(&ctx, l);
			if (ctx.mode == MODE_EXEC)
				ctx.mode = MODE_CONFIG;
			sb_reset(&out);
		}
		sb_free(&out);
		config_free(c2);
		config_free(c);
	}
	sb_free(&err);
	sb_free(&notes);
	sb_free(&r1);
	sb_free(&r2);
	free(text);
	return 0;
}
