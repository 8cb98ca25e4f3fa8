/* Internals shared by the IKEv2 engine's files (ikev2_exch.c, _init.c, _auth.c). */
#ifndef SPIGOT_IKEV2_INT_H
#define SPIGOT_IKEV2_INT_H

#include "ikev2/ikev2_sa.h"

/* Half-open responder SAs (IKE_SA_INIT answered, no IKE_AUTH yet). */
#define IKEV2_HALF_OPEN_MAX 64
#define IKEV2_HALF_OPEN_PER_PEER 4

struct ikev2_sa *ikev2_sa_new(struct ikev2_engine *e, bool initiator, uint32_t local, uint32_t peer);
void ikev2_half_open_limit(struct ikev2_engine *e, uint32_t peer);
int ikev2_send_request(struct ikev2_sa *sa, const uint8_t *msg, size_t len);
/* Answers the request being processed, and keeps both for its retransmissions. */
int ikev2_send_response(struct ikev2_sa *sa, const uint8_t *msg, size_t len);

void ikev2_recv_init_req(struct ikev2_engine *e, uint32_t local, uint32_t peer, struct ikev2_msg *m,
			 uint8_t *buf, size_t len);
void ikev2_recv_init_rsp(struct ikev2_sa *sa, struct ikev2_msg *m, uint8_t *buf, size_t len);
void ikev2_recv_auth_req(struct ikev2_sa *sa, struct ikev2_msg *m, uint8_t *buf, size_t len);
void ikev2_recv_auth_rsp(struct ikev2_sa *sa, struct ikev2_msg *m, uint8_t *buf, size_t len);

/* Keys the SA from g^ir and the nonces once both IKE_SA_INIT messages are known. */
int ikev2_key_sa(struct ikev2_sa *sa, const uint8_t *peer_ke, size_t kelen);
/* Sends IKE_AUTH #1 (the initiator, after keying). */
int ikev2_send_auth_req(struct ikev2_sa *sa);

#endif
